"""The CA certificates a charge point holds (security whitepaper M03 list, M04 delete,
M05 install).

What InstallCertificate, DeleteCertificate and GetInstalledCertificateIds answers mean is
recorded as the effects of those commands, whether the operator used the certificate
endpoints or the generic commands endpoint. A certificate is named by its hash data as
the charge point reported it (M04.FR.07), so the CSMS's record and the charge point's
list name it the same way.
"""

from __future__ import annotations

from typing import Any

import msgspec
from cryptography import x509
from ocpp.v16.enums import (
    CertificateStatus,
    CertificateUse,
    DeleteCertificateStatus,
    GetInstalledCertificateStatus,
    HashAlgorithm,
)
from sqlalchemy import delete, func, select

from ampyre.ocpp.v16.certificate_hash import certificate_hash_data
from ampyre.ocpp.v16.csms_messages.security import (
    CertificateHashData,
    DeleteCertificateConf,
    DeleteCertificateReq,
    GetInstalledCertificateIdsConf,
    GetInstalledCertificateIdsReq,
    InstallCertificateConf,
    InstallCertificateReq,
)
from ampyre.ocpp.v16.messages import unparse
from ampyre.services.clock import now
from ampyre.services.commands import CommandService
from ampyre.services.errors import Conflict, InvalidRequest, NotFound
from ampyre.services.event_log import EventLogService
from ampyre.storage.database import Database
from ampyre.storage.models import InstalledCertificate

#: DeleteCertificate answers after which the charge point holds the certificate no more.
_LACKED = frozenset({DeleteCertificateStatus.accepted, DeleteCertificateStatus.not_found})


class InstalledCertificates:
    """Installs, lists and deletes a charge point's CA certificates, and keeps the CSMS's
    record of them."""

    def __init__(self, db: Database, commands: CommandService, event_log: EventLogService) -> None:
        self.db = db
        self.commands = commands
        self.event_log = event_log
        commands.register_effect("InstallCertificate", self.on_install_answered)
        commands.register_effect("DeleteCertificate", self.on_delete_answered)
        commands.register_effect("GetInstalledCertificateIds", self.on_installed_ids_answered)

    # -- operator commands ------------------------------------------------------------------

    async def install(
        self, charge_point_id: str, certificate_type: str, pem: str, *, timeout: float
    ) -> dict[str, Any]:
        """M05: send a CA certificate to install; the charge point's answer."""
        try:
            x509.load_pem_x509_certificate(pem.encode())
        except ValueError as exc:
            raise InvalidRequest(f"certificate: not a PEM X.509 certificate ({exc})") from None
        request = InstallCertificateReq(
            certificate_type=CertificateUse(certificate_type), certificate=pem
        )
        answer = await self.commands.ask(
            charge_point_id, request, InstallCertificateConf, timeout=timeout
        )
        return unparse(answer)

    async def refresh(
        self, charge_point_id: str, certificate_types: list[str], *, timeout: float
    ) -> dict[str, dict[str, Any]]:
        """M03: ask for the installed CA certificates of each type; the answers by type."""
        answers = {}
        for certificate_type in certificate_types:
            request = GetInstalledCertificateIdsReq(
                certificate_type=CertificateUse(certificate_type)
            )
            answer = await self.commands.ask(
                charge_point_id, request, GetInstalledCertificateIdsConf, timeout=timeout
            )
            answers[certificate_type] = unparse(answer)
        return answers

    async def delete_installed(
        self, charge_point_id: str, key: str, *, timeout: float
    ) -> dict[str, Any]:
        """M04: delete the installed certificate with serial number (or issuer key hash)
        `key`, by the hash data the charge point reported (M04.FR.07: its hash algorithm)."""
        async with self.db.sessions() as session:
            rows = list(
                await session.scalars(
                    select(InstalledCertificate).where(
                        InstalledCertificate.charge_point_id == charge_point_id,
                        (func.lower(InstalledCertificate.serial_number) == key.lower())
                        | (func.lower(InstalledCertificate.issuer_key_hash) == key.lower()),
                    )
                )
            )
        if not rows:
            await self._known(charge_point_id)
            raise NotFound(
                f"No installed certificate {key!r} is known of {charge_point_id!r} "
                "(refresh the list first: POST .../certificates/refresh)"
            )
        if len(rows) > 1:
            raise Conflict(
                f"{len(rows)} installed certificates match {key!r}; name one by its serial number"
            )
        request = DeleteCertificateReq(certificate_hash_data=_hash_data(rows[0]))
        answer = await self.commands.ask(
            charge_point_id, request, DeleteCertificateConf, timeout=timeout
        )
        return unparse(answer)

    # -- effects ----------------------------------------------------------------------------

    async def on_install_answered(
        self, charge_point_id: str, request: InstallCertificateReq, response: InstallCertificateConf
    ) -> None:
        hash_data: CertificateHashData | None = None
        try:
            hash_data = msgspec.convert(
                certificate_hash_data(x509.load_pem_x509_certificate(request.certificate.encode())),
                CertificateHashData,
            )
        except ValueError:
            pass  # not self-signed: its hash data comes with the next refresh
        certificate_type = request.certificate_type.value
        await self.event_log.record(
            charge_point_id,
            "InstallCertificate",
            {
                "certificateType": certificate_type,
                "certificateHashData": unparse(hash_data) if hash_data is not None else None,
                "status": response.status.value,
            },
        )
        if response.status is not CertificateStatus.accepted or hash_data is None:
            return
        async with self.db.sessions.begin() as session:
            present = await session.scalar(
                select(InstalledCertificate.id).where(
                    InstalledCertificate.charge_point_id == charge_point_id,
                    InstalledCertificate.certificate_type == certificate_type,
                    *_matching(hash_data),
                )
            )
            if present is None:
                session.add(_installed(charge_point_id, certificate_type, hash_data, "Installed"))

    async def on_delete_answered(
        self, charge_point_id: str, request: DeleteCertificateReq, response: DeleteCertificateConf
    ) -> None:
        hash_data = request.certificate_hash_data
        await self.event_log.record(
            charge_point_id,
            "DeleteCertificate",
            {"certificateHashData": unparse(hash_data), "status": response.status.value},
        )
        if response.status in _LACKED:  # either way, the charge point lacks it
            async with self.db.sessions.begin() as session:
                await session.execute(
                    delete(InstalledCertificate).where(
                        InstalledCertificate.charge_point_id == charge_point_id,
                        *_matching(hash_data),
                    )
                )

    async def on_installed_ids_answered(
        self,
        charge_point_id: str,
        request: GetInstalledCertificateIdsReq,
        response: GetInstalledCertificateIdsConf,
    ) -> None:
        """The charge point's list of one type replaces what the CSMS knew of that type
        (Accepted with the list, or NotFound: none)."""
        certificate_type = request.certificate_type.value
        accepted = response.status is GetInstalledCertificateStatus.accepted
        reported = response.certificate_hash_data or [] if accepted else []
        async with self.db.sessions.begin() as session:
            await session.execute(
                delete(InstalledCertificate).where(
                    InstalledCertificate.charge_point_id == charge_point_id,
                    InstalledCertificate.certificate_type == certificate_type,
                )
            )
            for hash_data in dict.fromkeys(reported):  # each once, in the charge point's order
                session.add(_installed(charge_point_id, certificate_type, hash_data, "Reported"))

    # -- reading ----------------------------------------------------------------------------

    async def installed(self, charge_point_id: str) -> list[InstalledCertificate]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(InstalledCertificate)
                .where(InstalledCertificate.charge_point_id == charge_point_id)
                .order_by(InstalledCertificate.certificate_type, InstalledCertificate.id)
            )
            return list(rows)

    async def _known(self, charge_point_id: str) -> None:
        await self.commands.charge_points.get(charge_point_id)  # NotFound


def _hash_data(row: InstalledCertificate) -> CertificateHashData:
    return CertificateHashData(
        hash_algorithm=HashAlgorithm(row.hash_algorithm),
        issuer_name_hash=row.issuer_name_hash,
        issuer_key_hash=row.issuer_key_hash,
        serial_number=row.serial_number,
    )


def _matching(hash_data: CertificateHashData) -> list[Any]:
    return [
        InstalledCertificate.hash_algorithm == hash_data.hash_algorithm.value,
        InstalledCertificate.issuer_name_hash == hash_data.issuer_name_hash,
        InstalledCertificate.issuer_key_hash == hash_data.issuer_key_hash,
        InstalledCertificate.serial_number == hash_data.serial_number,
    ]


def _installed(
    charge_point_id: str, certificate_type: str, hash_data: CertificateHashData, source: str
) -> InstalledCertificate:
    # Kept as the charge point wrote it: DeleteCertificate names it the same way (M04.FR.07).
    return InstalledCertificate(
        charge_point_id=charge_point_id,
        certificate_type=certificate_type,
        hash_algorithm=hash_data.hash_algorithm.value,
        issuer_name_hash=hash_data.issuer_name_hash,
        issuer_key_hash=hash_data.issuer_key_hash,
        serial_number=hash_data.serial_number,
        source=source,
        updated_at=now(),
    )
