"""The typed OCPP 1.6 messages (`ocpp/v16/messages.py`): conversion to and from JSON objects."""

from __future__ import annotations

import json
import os
from typing import Any

import msgspec
import pytest
from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    Reason,
    RegistrationStatus,
)

from ampyre.ocpp.v16.errors import PropertyConstraintViolation
from ampyre.ocpp.v16.messages import (
    CONFIRMATIONS,
    REQUESTS,
    AuthorizeConf,
    BootNotificationConf,
    BootNotificationReq,
    IdTagInfo,
    StartTransactionConf,
    StartTransactionReq,
    StatusNotificationReq,
    StopTransactionConf,
    StopTransactionReq,
    parse_confirmation,
    parse_request,
    unparse,
)
from ampyre.ocpp.v16.validation import CP_INITIATED, DEFAULT_SCHEMA_DIR, get_validator

T0 = "2024-05-01T10:00:00Z"


def _schema(action: str) -> dict[str, Any]:
    with open(os.path.join(DEFAULT_SCHEMA_DIR, f"{action}.json")) as file:
        schema: dict[str, Any] = json.load(file)
    return schema


def test_every_charge_point_initiated_action_has_both_types() -> None:
    assert set(REQUESTS) == set(CP_INITIATED) == set(CONFIRMATIONS)


@pytest.mark.parametrize("action", sorted(CP_INITIATED))
def test_fields_are_the_schemas_properties(action: str) -> None:
    """camelCase on the wire: the encoded field names are exactly the schema's."""
    for message_type, schema in (
        (REQUESTS[action], _schema(action)),
        (CONFIRMATIONS[action], _schema(f"{action}Response")),
    ):
        info = msgspec.inspect.type_info(message_type)
        assert isinstance(info, msgspec.inspect.StructType)
        names = {field.encode_name for field in info.fields}
        required = {field.encode_name for field in info.fields if field.required}
        assert names == set(schema.get("properties", {})), message_type
        assert required == set(schema.get("required", [])), message_type


def test_a_request_round_trips_with_camel_case_and_enums() -> None:
    payload = {
        "connectorId": 2,
        "errorCode": "NoError",
        "status": "Faulted",
        "timestamp": T0,
        "vendorErrorCode": "E42",
    }
    request = parse_request(payload, StatusNotificationReq)
    assert request.connector_id == 2
    assert request.status is ChargePointStatus.faulted
    assert request.error_code is ChargePointErrorCode.no_error
    assert request.vendor_error_code == "E42" and request.info is None
    # Unset optional fields are left out; the object is the one received.
    assert unparse(request) == payload


def test_optional_fields_default_to_none_and_are_omitted() -> None:
    request = parse_request(
        {"transactionId": 7, "meterStop": 10, "timestamp": T0}, StopTransactionReq
    )
    assert request.id_tag is None and request.reason is None and request.transaction_data is None
    assert unparse(request) == {"transactionId": 7, "meterStop": 10, "timestamp": T0}
    stop = parse_request(
        {"transactionId": 7, "meterStop": 10, "timestamp": T0, "reason": "EVDisconnected"},
        StopTransactionReq,
    )
    assert stop.reason is Reason.ev_disconnected


def test_confirmations_encode_as_ampyre_sends_them() -> None:
    accepted = IdTagInfo(status=AuthorizationStatus.accepted)
    assert unparse(StopTransactionConf()) == {}
    assert unparse(AuthorizeConf(id_tag_info=accepted)) == {"idTagInfo": {"status": "Accepted"}}
    full = IdTagInfo(
        status=AuthorizationStatus.concurrent_tx,
        expiry_date="2030-01-01T00:00:00.000Z",
        parent_id_tag="fleet",
    )
    # Key order is part of the bytes on the wire: the order Ampyre has always sent.
    assert json.dumps(unparse(StartTransactionConf(transaction_id=5, id_tag_info=full))) == (
        '{"transactionId": 5, "idTagInfo": {"status": "ConcurrentTx", '
        '"expiryDate": "2030-01-01T00:00:00.000Z", "parentIdTag": "fleet"}}'
    )
    boot = BootNotificationConf(
        status=RegistrationStatus.pending, current_time="2024-05-01T10:00:00.000Z", interval=300
    )
    assert list(unparse(boot).items()) == [
        ("status", "Pending"),
        ("currentTime", "2024-05-01T10:00:00.000Z"),
        ("interval", 300),
    ]


def test_encoded_confirmations_pass_the_response_schema() -> None:
    validator = get_validator()
    validator.validate_response(
        "StartTransaction",
        unparse(
            StartTransactionConf(
                transaction_id=1, id_tag_info=IdTagInfo(status=AuthorizationStatus.invalid)
            )
        ),
    )
    validator.validate_response(
        "BootNotification",
        unparse(
            BootNotificationConf(status=RegistrationStatus.accepted, current_time=T0, interval=60)
        ),
    )


def test_an_answer_is_read_into_its_confirmation_type() -> None:
    """The simulator's side: what Ampyre answers reads back into the same value."""
    full = IdTagInfo(AuthorizationStatus.blocked, "2030-01-01T00:00:00.000Z", "fleet")
    for confirmation in (
        StartTransactionConf(transaction_id=5, id_tag_info=full),
        BootNotificationConf(RegistrationStatus.rejected, T0, 30),
        StopTransactionConf(),
    ):
        assert parse_confirmation(unparse(confirmation), type(confirmation)) == confirmation
    answer = parse_confirmation({"idTagInfo": {"status": "Expired"}}, AuthorizeConf)
    assert answer.id_tag_info.status is AuthorizationStatus.expired
    with pytest.raises(PropertyConstraintViolation, match="interval"):
        parse_confirmation({"status": "Accepted", "currentTime": T0}, BootNotificationConf)


def test_the_boot_description_maps_every_field() -> None:
    payload = {
        "chargePointVendor": "V",
        "chargePointModel": "M",
        "chargePointSerialNumber": "cps",
        "chargeBoxSerialNumber": "cbs",
        "firmwareVersion": "1.0",
        "iccid": "i",
        "imsi": "m",
        "meterType": "t",
        "meterSerialNumber": "s",
    }
    request = parse_request(payload, BootNotificationReq)
    assert request.charge_box_serial_number == "cbs" and request.meter_serial_number == "s"
    assert unparse(request) == payload


def test_a_payload_the_schema_refuses_is_refused_here_too() -> None:
    with pytest.raises(PropertyConstraintViolation):
        parse_request({"connectorId": "1", "idTag": "T", "meterStart": 0}, StartTransactionReq)
    with pytest.raises(PropertyConstraintViolation):
        parse_request(
            {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}, StatusNotificationReq
        )


@pytest.mark.parametrize(
    ("payload", "request_type"),
    [
        (
            {"connectorId": 2**32, "errorCode": "NoError", "status": "Available"},
            StatusNotificationReq,
        ),
        ({"connectorId": -1, "errorCode": "NoError", "status": "Available"}, StatusNotificationReq),
        (
            {"connectorId": 0, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
            StartTransactionReq,
        ),
    ],
)
def test_numbers_out_of_bounds_are_a_constraint_violation(
    payload: dict[str, Any], request_type: Any
) -> None:
    with pytest.raises(PropertyConstraintViolation):
        parse_request(payload, request_type)
