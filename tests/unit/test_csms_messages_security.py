"""The Firmware Management and security-extension CSMS-initiated messages as types: each
one's JSON object survives the round trip, passes the official schema, and a bound the
schema does not set is refused."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from ocpp.v16.enums import GetInstalledCertificateStatus, Log, LogStatus

from ampyre.ocpp.v16.csms_messages import COMMANDS, CsmsRequest
from ampyre.ocpp.v16.csms_messages.firmware import GetDiagnosticsConf, UpdateFirmwareReq
from ampyre.ocpp.v16.csms_messages.security import (
    GetInstalledCertificateIdsConf,
    GetLogConf,
    GetLogReq,
    LogParameters,
    SignedUpdateFirmwareReq,
)
from ampyre.ocpp.v16.messages import unparse
from ampyre.ocpp.v16.validation import get_validator

HASH_DATA = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "aa" * 32,
    "issuerKeyHash": "bb" * 32,
    "serialNumber": "1f",
}

#: action -> (request payload, confirmation payload), as they travel.
EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "UpdateFirmware": (
        {
            "location": "https://x/fw.bin",
            "retrieveDate": "2026-05-01T08:30:00.000Z",
            "retries": 2,
            "retryInterval": 30,
        },
        {},
    ),
    "GetDiagnostics": (
        {"location": "ftp://u:p@x/", "startTime": "2026-05-01T08:30:00.000Z"},
        {"fileName": "diag.log"},
    ),
    "CertificateSigned": ({"certificateChain": "-----BEGIN..."}, {"status": "Rejected"}),
    "InstallCertificate": (
        {"certificateType": "CentralSystemRootCertificate", "certificate": "-----BEGIN..."},
        {"status": "Failed"},
    ),
    "DeleteCertificate": ({"certificateHashData": HASH_DATA}, {"status": "NotFound"}),
    "GetInstalledCertificateIds": (
        {"certificateType": "ManufacturerRootCertificate"},
        {"status": "Accepted", "certificateHashData": [HASH_DATA]},
    ),
    "ExtendedTriggerMessage": (
        {"requestedMessage": "SignChargePointCertificate"},
        {"status": "Accepted"},
    ),
    "GetLog": (
        {
            "logType": "SecurityLog",
            "requestId": 7,
            "log": {"remoteLocation": "https://x/up/", "oldestTimestamp": "2026-05-01T08:30:00Z"},
            "retries": 1,
        },
        {"status": "AcceptedCanceled", "filename": "security.log"},
    ),
    "SignedUpdateFirmware": (
        {
            "requestId": 3,
            "firmware": {
                "location": "https://x/fw.bin",
                "retrieveDateTime": "2026-05-01T08:30:00.000Z",
                "signingCertificate": "-----BEGIN...",
                "signature": "c2ln",
            },
        },
        {"status": "InvalidCertificate"},
    ),
}


@pytest.mark.parametrize("action", sorted(EXAMPLES))
def test_round_trip(action: str) -> None:
    request_type, confirmation_type = COMMANDS[action]
    request_payload, confirmation_payload = EXAMPLES[action]
    request = msgspec.convert(request_payload, request_type)
    assert request.action == action
    assert unparse(request) == request_payload
    assert unparse(msgspec.convert(confirmation_payload, confirmation_type)) == confirmation_payload
    validator = get_validator()
    validator.validate_request(action, unparse(request))
    validator.validate_response(action, confirmation_payload)


def test_every_profile_action_is_typed() -> None:
    assert set(EXAMPLES) <= set(COMMANDS)
    assert all(issubclass(COMMANDS[action][0], CsmsRequest) for action in EXAMPLES)


def test_enums_and_nested_types() -> None:
    answer = msgspec.convert(EXAMPLES["GetLog"][1], GetLogConf)
    assert answer.status is LogStatus.accepted_canceled
    request = msgspec.convert(EXAMPLES["GetLog"][0], GetLogReq)
    assert request.log_type is Log.security_log
    assert request.log == LogParameters(
        remote_location="https://x/up/", oldest_timestamp="2026-05-01T08:30:00Z"
    )
    ids = msgspec.convert(EXAMPLES["GetInstalledCertificateIds"][1], GetInstalledCertificateIdsConf)
    assert ids.status is GetInstalledCertificateStatus.accepted
    assert ids.certificate_hash_data is not None
    assert unparse(ids.certificate_hash_data[0]) == HASH_DATA
    assert msgspec.convert({}, GetDiagnosticsConf).file_name is None


@pytest.mark.parametrize(
    ("request_type", "payload"),
    [
        (UpdateFirmwareReq, {"location": "x", "retrieveDate": "t", "retries": 2**31}),
        (
            GetLogReq,
            {
                "logType": "DiagnosticsLog",
                "requestId": -(2**31) - 1,
                "log": {"remoteLocation": "x"},
            },
        ),
        (
            SignedUpdateFirmwareReq,
            {
                "requestId": 2**40,
                "firmware": {
                    "location": "x",
                    "retrieveDateTime": "t",
                    "signingCertificate": "c",
                    "signature": "s",
                },
            },
        ),
    ],
)
def test_bounds_refused(request_type: type[CsmsRequest], payload: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(payload, request_type)
