"""The typed CSMS-initiated OCPP 1.6 messages (`ocpp/v16/csms_messages/`): the same wire
names as the schemas, conversion both ways, and bounds refused."""

from __future__ import annotations

import json
import os
from typing import Any

import msgspec
import pytest
from ocpp.v16.enums import (
    CancelReservationStatus,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    GetCompositeScheduleStatus,
    MessageTrigger,
    RemoteStartStopStatus,
    ReservationStatus,
    TriggerMessageStatus,
    UpdateStatus,
    UpdateType,
)

from ampyre.ocpp.v16.csms_messages import COMMANDS, CsmsRequest
from ampyre.ocpp.v16.csms_messages.core import (
    ChangeConfigurationConf,
    ChangeConfigurationReq,
    GetConfigurationConf,
    GetConfigurationReq,
    KeyValue,
    RemoteStartTransactionConf,
    RemoteStartTransactionReq,
)
from ampyre.ocpp.v16.csms_messages.local_list import (
    GetLocalListVersionConf,
    GetLocalListVersionReq,
    SendLocalListConf,
    SendLocalListReq,
)
from ampyre.ocpp.v16.csms_messages.remote_trigger import TriggerMessageConf, TriggerMessageReq
from ampyre.ocpp.v16.csms_messages.reservation import (
    CancelReservationConf,
    CancelReservationReq,
    ReserveNowConf,
    ReserveNowReq,
)
from ampyre.ocpp.v16.csms_messages.smart_charging import (
    ClearChargingProfileConf,
    ClearChargingProfileReq,
    GetCompositeScheduleConf,
    GetCompositeScheduleReq,
    SetChargingProfileConf,
    SetChargingProfileReq,
)
from ampyre.ocpp.v16.errors import PropertyConstraintViolation
from ampyre.ocpp.v16.messages import parse_confirmation, parse_request, unparse
from ampyre.ocpp.v16.validation import DEFAULT_SCHEMA_DIR, get_validator


def _schema(name: str) -> dict[str, Any]:
    with open(os.path.join(DEFAULT_SCHEMA_DIR, f"{name}.json")) as file:
        schema: dict[str, Any] = json.load(file)
    return schema


@pytest.mark.parametrize("action", sorted(COMMANDS))
def test_fields_are_the_schemas_properties(action: str) -> None:
    """camelCase on the wire: the encoded field names are exactly the schema's, and the
    required ones are the schema's required."""
    request_type, confirmation_type = COMMANDS[action]
    assert request_type.action == action
    for message_type, schema in (
        (request_type, _schema(action)),
        (confirmation_type, _schema(f"{action}Response")),
    ):
        info = msgspec.inspect.type_info(message_type)
        assert isinstance(info, msgspec.inspect.StructType)
        assert {field.encode_name for field in info.fields} == set(schema.get("properties", {}))
        required = {field.encode_name for field in info.fields if field.required}
        assert required == set(schema.get("required", []))


def _round_trip(action: str, message: Any, payload: dict[str, Any]) -> None:
    """`message` unparses to `payload`, which is schema-valid and parses back to it."""
    validator = get_validator()
    assert unparse(message) == payload
    if isinstance(message, CsmsRequest):
        validator.validate_request(action, payload)
        assert parse_request(payload, type(message)) == message
    else:
        validator.validate_response(action, payload)
        assert parse_confirmation(payload, type(message)) == message


def test_trigger_message_round_trip() -> None:
    action = "TriggerMessage"
    request = TriggerMessageReq(MessageTrigger.status_notification, connector_id=2)
    _round_trip(action, request, {"requestedMessage": "StatusNotification", "connectorId": 2})
    heartbeat = TriggerMessageReq(MessageTrigger.heartbeat)
    _round_trip(action, heartbeat, {"requestedMessage": "Heartbeat"})
    answer = TriggerMessageConf(TriggerMessageStatus.not_implemented)
    _round_trip(action, answer, {"status": "NotImplemented"})


def test_trigger_message_bound_refused() -> None:
    with pytest.raises(PropertyConstraintViolation):
        parse_request({"requestedMessage": "MeterValues", "connectorId": -1}, TriggerMessageReq)


def test_reservation_round_trip() -> None:
    request = ReserveNowReq(
        connector_id=1,
        expiry_date="2026-06-01T12:00:00Z",
        id_tag="TAG",
        reservation_id=7,
        parent_id_tag="GROUP",
    )
    payload = {
        "connectorId": 1,
        "expiryDate": "2026-06-01T12:00:00Z",
        "idTag": "TAG",
        "reservationId": 7,
        "parentIdTag": "GROUP",
    }
    _round_trip("ReserveNow", request, payload)
    _round_trip("ReserveNow", ReserveNowConf(ReservationStatus.occupied), {"status": "Occupied"})
    _round_trip("CancelReservation", CancelReservationReq(7), {"reservationId": 7})
    answer = CancelReservationConf(CancelReservationStatus.rejected)
    _round_trip("CancelReservation", answer, {"status": "Rejected"})


def test_reservation_bounds_refused() -> None:
    with pytest.raises(PropertyConstraintViolation):
        parse_request({"reservationId": 2**31}, CancelReservationReq)


def test_configuration_round_trip() -> None:
    _round_trip("GetConfiguration", GetConfigurationReq(), {})
    _round_trip("GetConfiguration", GetConfigurationReq(key=["A", "B"]), {"key": ["A", "B"]})
    answer = GetConfigurationConf(
        configuration_key=[KeyValue("A", readonly=True, value="1"), KeyValue("K", False)],
        unknown_key=["B"],
    )
    payload = {
        "configurationKey": [
            {"key": "A", "readonly": True, "value": "1"},
            {"key": "K", "readonly": False},
        ],
        "unknownKey": ["B"],
    }
    _round_trip("GetConfiguration", answer, payload)
    request = ChangeConfigurationReq(key="HeartbeatInterval", value="60")
    _round_trip("ChangeConfiguration", request, {"key": "HeartbeatInterval", "value": "60"})
    changed = ChangeConfigurationConf(ConfigurationStatus.reboot_required)
    _round_trip("ChangeConfiguration", changed, {"status": "RebootRequired"})


def test_remote_start_round_trip_keeps_the_profile_as_sent() -> None:
    profile = {"chargingProfileId": 1, "stackLevel": 0}
    request = RemoteStartTransactionReq(id_tag="TAG", connector_id=1, charging_profile=profile)
    payload = {"idTag": "TAG", "connectorId": 1, "chargingProfile": profile}
    assert unparse(request) == payload
    assert parse_request(payload, RemoteStartTransactionReq) == request
    answer = RemoteStartTransactionConf(RemoteStartStopStatus.accepted)
    _round_trip("RemoteStartTransaction", answer, {"status": "Accepted"})
    with pytest.raises(PropertyConstraintViolation):
        parse_request({"idTag": "TAG", "connectorId": -1}, RemoteStartTransactionReq)


def test_local_list_round_trip_keeps_the_entries_as_sent() -> None:
    entries: list[dict[str, Any]] = [
        {"idTag": "TAG", "idTagInfo": {"status": "Accepted"}},
        {"idTag": "GONE"},
    ]
    request = SendLocalListReq(3, UpdateType.differential, entries)
    payload = {"listVersion": 3, "updateType": "Differential", "localAuthorizationList": entries}
    _round_trip("SendLocalList", request, payload)
    empty = SendLocalListReq(1, UpdateType.full, [])
    _round_trip(
        "SendLocalList",
        empty,
        {"listVersion": 1, "updateType": "Full", "localAuthorizationList": []},
    )
    answer = SendLocalListConf(UpdateStatus.version_mismatch)
    _round_trip("SendLocalList", answer, {"status": "VersionMismatch"})
    _round_trip("GetLocalListVersion", GetLocalListVersionReq(), {})
    _round_trip("GetLocalListVersion", GetLocalListVersionConf(-1), {"listVersion": -1})
    with pytest.raises(PropertyConstraintViolation):
        parse_request({"listVersion": 2**31, "updateType": "Full"}, SendLocalListReq)


def test_smart_charging_round_trip_keeps_the_profile_as_sent() -> None:
    profile = {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }
    request = SetChargingProfileReq(connector_id=0, cs_charging_profiles=profile)
    _round_trip("SetChargingProfile", request, {"connectorId": 0, "csChargingProfiles": profile})
    answer = SetChargingProfileConf(ChargingProfileStatus.not_supported)
    _round_trip("SetChargingProfile", answer, {"status": "NotSupported"})
    clear = ClearChargingProfileReq(
        connector_id=1, charging_profile_purpose=ChargingProfilePurposeType.tx_profile
    )
    _round_trip(
        "ClearChargingProfile", clear, {"connectorId": 1, "chargingProfilePurpose": "TxProfile"}
    )
    _round_trip("ClearChargingProfile", ClearChargingProfileReq(), {})
    cleared = ClearChargingProfileConf(ClearChargingProfileStatus.unknown)
    _round_trip("ClearChargingProfile", cleared, {"status": "Unknown"})
    ask = GetCompositeScheduleReq(1, 3600, ChargingRateUnitType.watts)
    _round_trip(
        "GetCompositeSchedule", ask, {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"}
    )
    refused = GetCompositeScheduleConf(GetCompositeScheduleStatus.rejected)
    _round_trip("GetCompositeSchedule", refused, {"status": "Rejected"})
    with pytest.raises(PropertyConstraintViolation):
        parse_request({"connectorId": -1, "csChargingProfiles": profile}, SetChargingProfileReq)
