"""The charge-point-initiated OCPP 1.6 messages as types: each request and its confirmation.

Pure protocol, like the rest of `ocpp/v16/`: no I/O, no domain. A payload that passed the
schema check (`validation.py`) is converted to its request type with `parse_request`; a
handler answers with a confirmation type, which `unparse` turns back into the JSON object
that is checked against the response schema and sent. The simulated charge point uses the
same types the other way round: it sends `unparse(request)` and reads the answer with
`parse_confirmation`.

The types are msgspec Structs: field names in snake_case, camelCase on the wire
(`rename="camel"`), optional fields `None` and left out of the payload when unset
(`omit_defaults=True`), status fields as the `ocpp.v16.enums` enumerations. The field
order is the order of the payload's keys that Ampyre sends. Conversion costs about a
microsecond per message (`benchmarks/messages.py`), next to tens for the schema check.

Timestamps stay strings: the schema check already ensured their form (RFC 3339 with a
zone), and the handlers parse them where the domain needs a datetime. Sampled values
(MeterValues, StopTransaction's transactionData) stay JSON objects: they are kept
verbatim, as the charge point sent them, because billing disputes are settled on them.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    GenericStatus,
    Reason,
    RegistrationStatus,
    UploadLogStatus,
)

from ampyre.ocpp.v16.errors import PropertyConstraintViolation

__all__ = [
    "CONFIRMATIONS",
    "MESSAGES",
    "REQUESTS",
    "AuthorizeConf",
    "AuthorizeReq",
    "BootNotificationConf",
    "BootNotificationReq",
    "Confirmation",
    "DataTransferConf",
    "DataTransferReq",
    "DiagnosticsStatusNotificationConf",
    "DiagnosticsStatusNotificationReq",
    "FirmwareStatusNotificationConf",
    "FirmwareStatusNotificationReq",
    "HeartbeatConf",
    "HeartbeatReq",
    "IdTagInfo",
    "LogStatusNotificationConf",
    "LogStatusNotificationReq",
    "MeterValue",
    "MeterValuesConf",
    "MeterValuesReq",
    "Request",
    "SecurityEventNotificationConf",
    "SecurityEventNotificationReq",
    "SignCertificateConf",
    "SignCertificateReq",
    "SignedFirmwareStatusNotificationConf",
    "SignedFirmwareStatusNotificationReq",
    "StartTransactionConf",
    "StartTransactionReq",
    "StatusNotificationConf",
    "StatusNotificationReq",
    "StopTransactionConf",
    "StopTransactionReq",
    "parse",
    "parse_confirmation",
    "parse_request",
    "unparse",
]


# OCPP 1.6 writes these as plain JSON integers; the schemas set no bounds. The spec's own
# (connectorId >= 0; > 0 in StartTransaction, section 6.45) and what the CSMS stores
# (32-bit connector and reservation ids, 64-bit transaction ids and meter readings) are
# kept here, so an out-of-range number is a PropertyConstraintViolation, not a failed write.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
ConnectorId = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]
EvseConnectorId = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
Int32 = Annotated[int, msgspec.Meta(ge=-INT32_MAX - 1, le=INT32_MAX)]
Int64 = Annotated[int, msgspec.Meta(ge=-INT64_MAX - 1, le=INT64_MAX)]


class Message(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True, gc=False):
    """A payload of one OCPP 1.6 message (request or confirmation).

    `gc=False`: a message never takes part in a reference cycle (it holds JSON values and
    other messages), so the cyclic collector need not track the thousands made per second.
    """


class Request(Message, frozen=True):
    """The payload of a CALL (here: one the charge point sends; `csms_messages` has the
    CSMS's)."""


class Confirmation(Message, frozen=True):
    """The payload of the CALLRESULT that answers a CALL."""


class IdTagInfo(Message, frozen=True):
    """OCPP 1.6, 7.25."""

    status: AuthorizationStatus
    expiry_date: str | None = None
    parent_id_tag: str | None = None


#: A MeterValue's sampledValue: a list of SampledValue JSON objects (OCPP 1.6, 7.43), as
#: the schema check let them through. Typed `Any` so the conversion hands over the
#: charge point's own list instead of copying every object of it (the largest part of a
#: MeterValues message, and half of all traffic): they are stored verbatim anyway.
SampledValues = Any


class MeterValue(Message, frozen=True):
    """OCPP 1.6, 7.36: sampled values at one moment, kept as JSON objects (see above)."""

    timestamp: str
    sampled_value: SampledValues


# -- Core (OCPP 1.6, section 4) ---------------------------------------------------------


class AuthorizeReq(Request, frozen=True):
    id_tag: str


class AuthorizeConf(Confirmation, frozen=True):
    id_tag_info: IdTagInfo


class BootNotificationReq(Request, frozen=True):
    charge_point_vendor: str
    charge_point_model: str
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


class BootNotificationConf(Confirmation, frozen=True):
    status: RegistrationStatus
    current_time: str
    interval: int


class DataTransferReq(Request, frozen=True):
    vendor_id: str
    message_id: str | None = None
    data: str | None = None


class DataTransferConf(Confirmation, frozen=True):
    status: DataTransferStatus
    data: str | None = None


class HeartbeatReq(Request, frozen=True):
    pass


class HeartbeatConf(Confirmation, frozen=True):
    current_time: str


class MeterValuesReq(Request, frozen=True):
    connector_id: ConnectorId
    meter_value: list[MeterValue]
    transaction_id: Int64 | None = None


class MeterValuesConf(Confirmation, frozen=True):
    pass


class StartTransactionReq(Request, frozen=True):
    connector_id: EvseConnectorId
    id_tag: str
    meter_start: Int64
    timestamp: str
    reservation_id: Int32 | None = None


class StartTransactionConf(Confirmation, frozen=True):
    transaction_id: int
    id_tag_info: IdTagInfo


class StatusNotificationReq(Request, frozen=True):
    connector_id: ConnectorId
    error_code: ChargePointErrorCode
    status: ChargePointStatus
    info: str | None = None
    timestamp: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


class StatusNotificationConf(Confirmation, frozen=True):
    pass


class StopTransactionReq(Request, frozen=True):
    transaction_id: Int64
    meter_stop: Int64
    timestamp: str
    id_tag: str | None = None
    reason: Reason | None = None
    transaction_data: list[MeterValue] | None = None


class StopTransactionConf(Confirmation, frozen=True):
    id_tag_info: IdTagInfo | None = None


# -- Firmware Management (OCPP 1.6, 4.4 and 4.5) ------------------------------------------


class DiagnosticsStatusNotificationReq(Request, frozen=True):
    status: DiagnosticsStatus


class DiagnosticsStatusNotificationConf(Confirmation, frozen=True):
    pass


class FirmwareStatusNotificationReq(Request, frozen=True):
    status: FirmwareStatus


class FirmwareStatusNotificationConf(Confirmation, frozen=True):
    pass


# -- Security extension (OCPP 1.6 security whitepaper, section 4) ------------------------


class LogStatusNotificationReq(Request, frozen=True):
    status: UploadLogStatus
    request_id: Int32 | None = None


class LogStatusNotificationConf(Confirmation, frozen=True):
    pass


class SecurityEventNotificationReq(Request, frozen=True):
    type: str
    timestamp: str
    tech_info: str | None = None


class SecurityEventNotificationConf(Confirmation, frozen=True):
    pass


class SignCertificateReq(Request, frozen=True):
    csr: str


class SignCertificateConf(Confirmation, frozen=True):
    status: GenericStatus


class SignedFirmwareStatusNotificationReq(Request, frozen=True):
    # The signed-update statuses extend 1.6's FirmwareStatus; `ocpp` has them in one enum.
    status: FirmwareStatus
    request_id: Int32 | None = None


class SignedFirmwareStatusNotificationConf(Confirmation, frozen=True):
    pass


M = TypeVar("M", bound=Message)

#: Action -> (request type, confirmation type) of every charge-point-initiated message.
MESSAGES: dict[str, tuple[type[Request], type[Confirmation]]] = {
    "Authorize": (AuthorizeReq, AuthorizeConf),
    "BootNotification": (BootNotificationReq, BootNotificationConf),
    "DataTransfer": (DataTransferReq, DataTransferConf),
    "DiagnosticsStatusNotification": (
        DiagnosticsStatusNotificationReq,
        DiagnosticsStatusNotificationConf,
    ),
    "FirmwareStatusNotification": (FirmwareStatusNotificationReq, FirmwareStatusNotificationConf),
    "Heartbeat": (HeartbeatReq, HeartbeatConf),
    "MeterValues": (MeterValuesReq, MeterValuesConf),
    "StartTransaction": (StartTransactionReq, StartTransactionConf),
    "StatusNotification": (StatusNotificationReq, StatusNotificationConf),
    "StopTransaction": (StopTransactionReq, StopTransactionConf),
    "LogStatusNotification": (LogStatusNotificationReq, LogStatusNotificationConf),
    "SecurityEventNotification": (SecurityEventNotificationReq, SecurityEventNotificationConf),
    "SignCertificate": (SignCertificateReq, SignCertificateConf),
    "SignedFirmwareStatusNotification": (
        SignedFirmwareStatusNotificationReq,
        SignedFirmwareStatusNotificationConf,
    ),
}
#: Action -> request type.
REQUESTS: dict[str, type[Request]] = {action: types[0] for action, types in MESSAGES.items()}
#: Action -> confirmation type.
CONFIRMATIONS: dict[str, type[Confirmation]] = {
    action: types[1] for action, types in MESSAGES.items()
}


def parse(payload: dict[str, Any], message_type: type[M]) -> M:
    """The typed message of a payload that passed its schema.

    The schema check answers a charge point's mistakes of shape and type; what is left
    here are the bounds above: PropertyConstraintViolation. Without the schema check
    (a test's payload), anything that does not fit the type is.
    """
    try:
        return msgspec.convert(payload, message_type)
    except msgspec.ValidationError as exc:
        raise PropertyConstraintViolation(str(exc)) from None


#: A CALL's payload as its request type (the charge point's, or the CSMS's in the simulator).
parse_request = parse
#: A CALLRESULT's payload as its confirmation type, for the side that sent the CALL.
parse_confirmation = parse


def unparse(message: Message) -> dict[str, Any]:
    """The JSON object of a message: camelCase keys, unset optional fields left out,
    enumerations as their values."""
    result: dict[str, Any] = msgspec.to_builtins(message)
    return result
