"""Answers to the certificate messages of the security extension (whitepaper A02/A03,
M03-M05) and to ExtendedTriggerMessage.

SignChargePointCertificate makes a new key and sends its CSR (CN: the identity, O: the
CpoName configuration key, A02.FR.13) once the trigger is answered; a CertificateSigned
chain that does not carry that key, or does not hold, is refused and reported as an
InvalidChargePointCertificate security event (A02.FR.07).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from ocpp.v16.enums import (
    CertificateSignedStatus,
    CertificateStatus,
    DeleteCertificateStatus,
    GetInstalledCertificateStatus,
    MessageTrigger,
    TriggerMessageStatus,
)

from ampyre.ocpp.v16.csms_messages.security import (
    CertificateHashData,
    CertificateSignedConf,
    CertificateSignedReq,
    DeleteCertificateConf,
    ExtendedTriggerMessageConf,
    ExtendedTriggerMessageReq,
    GetInstalledCertificateIdsConf,
    GetInstalledCertificateIdsReq,
    InstallCertificateConf,
    InstallCertificateReq,
)
from ampyre.ocpp.v16.messages import (
    SecurityEventNotificationConf,
    SecurityEventNotificationReq,
    SignCertificateConf,
    SignCertificateReq,
    parse_request,
    unparse,
)
from ampyre.ocpp.v16.timestamps import timestamp_now
from ampyre.simulator.responders.base import Answer, Responder
from ampyre.simulator.responders.remote_trigger import trigger_message

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint


async def request_certificate(cp: SimulatedChargePoint) -> None:
    """A03, or A02 once triggered: send a new CSR; the chain comes with CertificateSigned."""
    csr = cp.certificates.new_csr(cp.charge_point_id, cp.config_value("CpoName"))
    answer = await cp.send(SignCertificateReq(csr=csr), SignCertificateConf)
    cp.emit("info", f"SignCertificate answered {answer.status.value}")


def extended_trigger_message(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, ExtendedTriggerMessageReq)
    if request.requested_message is MessageTrigger.sign_charge_point_certificate:

        async def sign() -> None:
            await request_certificate(cp)

        return Answer(
            unparse(ExtendedTriggerMessageConf(status=TriggerMessageStatus.accepted)), sign
        )
    # The messages both triggers share are sent the way TriggerMessage sends them.
    return trigger_message(cp, payload)


def certificate_signed(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, CertificateSignedReq)
    problem = cp.certificates.take_chain(request.certificate_chain)
    if problem is None:
        if cp.ssl_context is not None:
            # Presented from the next connection on (A02.FR.08).
            cp.ssl_context = cp.certificates.client_context(cp.ssl_context)
        cp.emit("info", "new charge point certificate in use")
        return Answer(unparse(CertificateSignedConf(status=CertificateSignedStatus.accepted)))
    cp.emit("warning", f"CertificateSigned refused: {problem}")

    async def report() -> None:
        await cp.send(
            SecurityEventNotificationReq(
                type="InvalidChargePointCertificate", timestamp=timestamp_now(), tech_info=problem
            ),
            SecurityEventNotificationConf,
        )

    rejected = CertificateSignedConf(status=CertificateSignedStatus.rejected)
    return Answer(unparse(rejected), report)


def install_certificate(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, InstallCertificateReq)
    installed = cp.certificates.install(request.certificate_type.value, request.certificate)
    status = CertificateStatus.accepted if installed else CertificateStatus.rejected
    return Answer(unparse(InstallCertificateConf(status=status)))


def get_installed_certificate_ids(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, GetInstalledCertificateIdsReq)
    hash_data = cp.certificates.hash_data(request.certificate_type.value)
    if not hash_data:
        answer = GetInstalledCertificateIdsConf(status=GetInstalledCertificateStatus.not_found)
    else:
        answer = GetInstalledCertificateIdsConf(
            status=GetInstalledCertificateStatus.accepted,
            certificate_hash_data=[
                msgspec.convert(item, CertificateHashData) for item in hash_data
            ],
        )
    return Answer(unparse(answer))


def delete_certificate(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    # M04.FR.05: the charge point certificate itself is not among the deletable ones.
    deleted = cp.certificates.delete(payload["certificateHashData"])
    status = DeleteCertificateStatus.accepted if deleted else DeleteCertificateStatus.not_found
    return Answer(unparse(DeleteCertificateConf(status=status)))


RESPONDERS: dict[str, Responder] = {
    "CertificateSigned": certificate_signed,
    "DeleteCertificate": delete_certificate,
    "ExtendedTriggerMessage": extended_trigger_message,
    "GetInstalledCertificateIds": get_installed_certificate_ids,
    "InstallCertificate": install_certificate,
}
