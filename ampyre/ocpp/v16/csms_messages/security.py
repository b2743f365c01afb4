"""Security extension (OCPP 1.6 security whitepaper, section 5): the certificates a charge
point holds and is given (A02/A03, M03-M05), ExtendedTriggerMessage, GetLog (N01) and
SignedUpdateFirmware (L01).

Timestamps stay strings, as in `messages.py`: the services format and parse them.
"""

from __future__ import annotations

from typing import ClassVar

from ocpp.v16.enums import (
    CertificateSignedStatus,
    CertificateStatus,
    CertificateUse,
    DeleteCertificateStatus,
    GetInstalledCertificateStatus,
    HashAlgorithm,
    Log,
    LogStatus,
    MessageTrigger,
    TriggerMessageStatus,
    UpdateFirmwareStatus,
)

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, ConnectorId, Int32, Message

__all__ = [
    "COMMANDS",
    "CertificateHashData",
    "CertificateSignedConf",
    "CertificateSignedReq",
    "DeleteCertificateConf",
    "DeleteCertificateReq",
    "ExtendedTriggerMessageConf",
    "ExtendedTriggerMessageReq",
    "Firmware",
    "GetInstalledCertificateIdsConf",
    "GetInstalledCertificateIdsReq",
    "GetLogConf",
    "GetLogReq",
    "InstallCertificateConf",
    "InstallCertificateReq",
    "LogParameters",
    "SignedUpdateFirmwareConf",
    "SignedUpdateFirmwareReq",
]


class CertificateHashData(Message, frozen=True):
    """CertificateHashDataType (whitepaper 6.1): a certificate named as OCSP names it
    (`ocpp.v16.certificate_hash`). Frozen, so comparable and hashable as a whole."""

    hash_algorithm: HashAlgorithm
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str


# -- Certificates (A02/A03, M03-M05) -------------------------------------------------------


class CertificateSignedReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "CertificateSigned"

    certificate_chain: str


class CertificateSignedConf(Confirmation, frozen=True):
    status: CertificateSignedStatus


class DeleteCertificateReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "DeleteCertificate"

    certificate_hash_data: CertificateHashData


class DeleteCertificateConf(Confirmation, frozen=True):
    status: DeleteCertificateStatus


class GetInstalledCertificateIdsReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "GetInstalledCertificateIds"

    certificate_type: CertificateUse


class GetInstalledCertificateIdsConf(Confirmation, frozen=True):
    status: GetInstalledCertificateStatus
    certificate_hash_data: list[CertificateHashData] | None = None


class InstallCertificateReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "InstallCertificate"

    certificate_type: CertificateUse
    certificate: str


class InstallCertificateConf(Confirmation, frozen=True):
    status: CertificateStatus


# -- ExtendedTriggerMessage (F06) ----------------------------------------------------------


class ExtendedTriggerMessageReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "ExtendedTriggerMessage"

    # `ocpp`'s MessageTrigger holds both triggers' messages; the schema keeps each to its own.
    requested_message: MessageTrigger
    connector_id: ConnectorId | None = None


class ExtendedTriggerMessageConf(Confirmation, frozen=True):
    status: TriggerMessageStatus


# -- GetLog (N01) --------------------------------------------------------------------------


class LogParameters(Message, frozen=True):
    remote_location: str
    oldest_timestamp: str | None = None
    latest_timestamp: str | None = None


class GetLogReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "GetLog"

    log_type: Log
    request_id: Int32
    log: LogParameters
    retries: Int32 | None = None
    retry_interval: Int32 | None = None


class GetLogConf(Confirmation, frozen=True):
    status: LogStatus
    filename: str | None = None


# -- SignedUpdateFirmware (L01) --------------------------------------------------------------


class Firmware(Message, frozen=True):
    location: str
    retrieve_date_time: str
    signing_certificate: str
    signature: str
    install_date_time: str | None = None


class SignedUpdateFirmwareReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "SignedUpdateFirmware"

    request_id: Int32
    firmware: Firmware
    retries: Int32 | None = None
    retry_interval: Int32 | None = None


class SignedUpdateFirmwareConf(Confirmation, frozen=True):
    status: UpdateFirmwareStatus


COMMANDS = {
    "CertificateSigned": (CertificateSignedReq, CertificateSignedConf),
    "DeleteCertificate": (DeleteCertificateReq, DeleteCertificateConf),
    "ExtendedTriggerMessage": (ExtendedTriggerMessageReq, ExtendedTriggerMessageConf),
    "GetInstalledCertificateIds": (GetInstalledCertificateIdsReq, GetInstalledCertificateIdsConf),
    "GetLog": (GetLogReq, GetLogConf),
    "InstallCertificate": (InstallCertificateReq, InstallCertificateConf),
    "SignedUpdateFirmware": (SignedUpdateFirmwareReq, SignedUpdateFirmwareConf),
}
