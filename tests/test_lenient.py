"""Lenient mode: each known deviation is repaired and recorded; nothing else is touched."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.lenient import KINDS, Deviation, normalize_request, normalize_response
from ampyre.ocpp.v16.validation import (
    CP_INITIATED,
    CSMS_INITIATED,
    MessageValidator,
    get_validator,
)

NOW = "2024-05-01T12:00:00Z"
ALL_ACTIONS = sorted(CP_INITIATED | CSMS_INITIATED)


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    return get_validator()


def normalize(
    validator: MessageValidator, action: str, payload: Any
) -> tuple[dict[str, Any], list[Deviation]]:
    """normalize_request, checking on the way that the input was not modified."""
    before = copy.deepcopy(payload)
    result, deviations = normalize_request(validator, action, payload)
    assert payload == before
    return result, deviations


def kinds(deviations: list[Deviation]) -> list[tuple[str, str]]:
    return [(d.path, d.kind) for d in deviations]


def meter_values(*sampled: dict[str, Any], timestamp: str = NOW) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "transactionId": 7,
        "meterValue": [{"timestamp": timestamp, "sampledValue": list(sampled)}],
    }


# --- nothing to do -----------------------------------------------------------------------


def test_valid_payload_is_returned_as_it_is(validator: MessageValidator) -> None:
    payload = meter_values({"value": "12", "unit": "Celcius"}, {"value": "13", "unit": "Celsius"})
    result, deviations = normalize(validator, "MeterValues", payload)
    assert result is payload
    assert deviations == []


def test_valid_payload_with_offset_is_left_alone(validator: MessageValidator) -> None:
    """An offset is valid OCPP: only repaired as part of a payload that needed repair."""
    payload = meter_values({"value": "1"}, timestamp="2024-05-01T14:00:00+02:00")
    result, deviations = normalize(validator, "MeterValues", payload)
    assert result is payload
    assert deviations == []


def test_unknown_action_is_left_alone(validator: MessageValidator) -> None:
    payload = {"anything": "goes"}
    assert normalize_request(validator, "NoSuchAction", payload) == (payload, [])
    assert normalize_response(validator, "NoSuchAction", payload) == (payload, [])


def test_deviation_is_an_immutable_record() -> None:
    deviation = Deviation("Heartbeat", "x", "unknown_property", "'x' is not in the schema")
    with pytest.raises(dataclasses.FrozenInstanceError):
        deviation.kind = "enum_case"  # type: ignore[misc]
    assert not hasattr(deviation, "__dict__")


# --- each repair -------------------------------------------------------------------------


def test_string_too_long(validator: MessageValidator) -> None:
    payload = {
        "chargePointVendor": "Acme",
        "chargePointModel": "Wallbox",
        "chargePointSerialNumber": "S" * 31,
    }
    result, deviations = normalize(validator, "BootNotification", payload)
    assert result["chargePointSerialNumber"] == "S" * 25
    assert deviations == [
        Deviation(
            "BootNotification",
            "chargePointSerialNumber",
            "string_too_long",
            "'chargePointSerialNumber' was 31 characters, truncated to 25",
        )
    ]
    validator.validate_request("BootNotification", result)


def test_number_as_string(validator: MessageValidator) -> None:
    payload = {"connectorId": "1", "idTag": "TAG", "meterStart": "1500.0", "timestamp": NOW}
    result, deviations = normalize(validator, "StartTransaction", payload)
    assert result == {"connectorId": 1, "idTag": "TAG", "meterStart": 1500, "timestamp": NOW}
    assert type(result["meterStart"]) is int
    assert kinds(deviations) == [
        ("connectorId", "number_as_string"),
        ("meterStart", "number_as_string"),
    ]
    assert deviations[0].detail == "'connectorId' was a string, converted to an integer"


def test_number_as_string_for_a_number_field(validator: MessageValidator) -> None:
    payload = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": "12.5"},
                    {"startPeriod": "60", "limit": "16"},
                ],
            },
        },
    }
    result, deviations = normalize(validator, "SetChargingProfile", payload)
    periods = result["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    assert periods == [{"startPeriod": 0, "limit": 12.5}, {"startPeriod": 60, "limit": 16}]
    prefix = "csChargingProfiles.chargingSchedule.chargingSchedulePeriod"
    assert kinds(deviations) == [
        (f"{prefix}[0].limit", "number_as_string"),
        (f"{prefix}[1].startPeriod", "number_as_string"),
        (f"{prefix}[1].limit", "number_as_string"),
    ]
    validator.validate_request("SetChargingProfile", result)


@pytest.mark.parametrize("text", ["12.5", "abc", "", "1e999", "0x10", "1_000", "NaN", "٣"])
def test_non_integer_strings_stay(validator: MessageValidator, text: str) -> None:
    payload = {"connectorId": 1, "idTag": "TAG", "meterStart": text, "timestamp": NOW}
    result, deviations = normalize(validator, "StartTransaction", payload)
    assert result["meterStart"] == text
    assert deviations == []
    with pytest.raises(OcppError):
        validator.validate_request("StartTransaction", result)


def test_boolean_as_string(validator: MessageValidator) -> None:
    payload = {
        "configurationKey": [
            {"key": "HeartbeatInterval", "readonly": "false", "value": "300"},
            {"key": "ChargePointId", "readonly": "TRUE"},
            {"key": "Odd", "readonly": "yes"},
        ]
    }
    result, deviations = normalize_response(validator, "GetConfiguration", payload)
    readonly = [entry["readonly"] for entry in result["configurationKey"]]
    assert readonly == [False, True, "yes"]
    assert kinds(deviations) == [
        ("configurationKey[0].readonly", "boolean_as_string"),
        ("configurationKey[1].readonly", "boolean_as_string"),
    ]
    assert {d.action for d in deviations} == {"GetConfigurationResponse"}
    with pytest.raises(OcppError):  # "yes" is not ours to guess
        validator.validate_response("GetConfiguration", result)


def test_object_for_array(validator: MessageValidator) -> None:
    payload = {
        "connectorId": 1,
        "meterValue": {"timestamp": NOW, "sampledValue": {"value": "10", "unit": "Wh"}},
    }
    result, deviations = normalize(validator, "MeterValues", payload)
    assert result["meterValue"] == [
        {"timestamp": NOW, "sampledValue": [{"value": "10", "unit": "Wh"}]}
    ]
    assert kinds(deviations) == [
        ("meterValue", "object_for_array"),
        ("meterValue[0].sampledValue", "object_for_array"),
    ]
    validator.validate_request("MeterValues", result)


def test_a_string_is_not_wrapped_for_an_array_of_strings(validator: MessageValidator) -> None:
    result, deviations = normalize_response(
        validator, "GetConfiguration", {"unknownKey": "Foo", "configurationKey": []}
    )
    assert result["unknownKey"] == "Foo"
    assert deviations == []


@pytest.mark.parametrize(
    ("sent", "expected", "offset"),
    [
        ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z", "+02:00"),
        ("2024-05-01T14:00:00+0200", "2024-05-01T12:00:00Z", "+02:00"),
        ("2024-05-01T14:00:00+02", "2024-05-01T12:00:00Z", "+02:00"),
        ("2024-05-01T06:30:00.250-05:30", "2024-05-01T12:00:00.250Z", "-05:30"),
        ("2024-05-01T12:00:00.123456+00:00", "2024-05-01T12:00:00.123Z", "+00:00"),
        ("2024-05-01T12:00:00-00:00", "2024-05-01T12:00:00Z", "-00:00"),
        ("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z", "+01:00"),
    ],
)
def test_timestamp_offset(
    validator: MessageValidator, sent: str, expected: str, offset: str
) -> None:
    # The unknown property makes the payload invalid, so that the normaliser runs at all.
    payload = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": sent, "x": 1}
    result, deviations = normalize(validator, "StartTransaction", payload)
    assert result["timestamp"] == expected
    assert kinds(deviations) == [("timestamp", "timestamp_offset"), ("x", "unknown_property")]
    assert deviations[0].detail == f"'timestamp' had the offset {offset}, converted to UTC"
    validator.validate_request("StartTransaction", result)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2024-05-01T12:00:00", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00.123", "2024-05-01T12:00:00.123Z"),
        ("2024-05-01t12:00:00.1234567", "2024-05-01t12:00:00.1234567Z"),
    ],
)
def test_timestamp_without_zone(validator: MessageValidator, sent: str, expected: str) -> None:
    result, deviations = normalize(
        validator, "MeterValues", meter_values({"value": "1"}, timestamp=sent)
    )
    assert result["meterValue"][0]["timestamp"] == expected
    assert deviations == [
        Deviation(
            "MeterValues",
            "meterValue[0].timestamp",
            "timestamp_without_zone",
            "'timestamp' had no time zone, taken as UTC",
        )
    ]
    validator.validate_request("MeterValues", result)


@pytest.mark.parametrize(
    "sent",
    [
        "2024-05-01 12:00:00",  # space instead of T
        "2024-02-30T12:00:00",  # no such day
        "2024-02-30T12:00:00+01:00",
        "9999-12-31T23:30:00-01:00",  # UTC would be in year 10000
        "0001-01-01T00:30:00+01:00",  # UTC would be in year 0
        "2024-05-01T12:00:00+25:00",
        "2016-12-31T23:59:60Z",
        "12:00",
        "",
    ],
)
def test_irreparable_timestamps_stay(validator: MessageValidator, sent: str) -> None:
    payload = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": sent}
    result, deviations = normalize(validator, "StartTransaction", payload)
    assert result["timestamp"] == sent
    assert deviations == []
    with pytest.raises(OcppError):
        validator.validate_request("StartTransaction", result)


def test_enum_case(validator: MessageValidator) -> None:
    payload = {"connectorId": 1, "errorCode": "noError", "status": "AVAILABLE"}
    result, deviations = normalize(validator, "StatusNotification", payload)
    assert result == {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    assert deviations == [
        Deviation(
            "StatusNotification",
            "errorCode",
            "enum_case",
            "'errorCode' was 'noError', the schema spells it 'NoError'",
        ),
        Deviation(
            "StatusNotification",
            "status",
            "enum_case",
            "'status' was 'AVAILABLE', the schema spells it 'Available'",
        ),
    ]


def test_enum_case_keeps_both_celsius_spellings(validator: MessageValidator) -> None:
    payload = meter_values({"value": "1", "unit": "celcius"}, {"value": "2", "unit": "CELSIUS"})
    result, _ = normalize(validator, "MeterValues", payload)
    units = [sampled["unit"] for sampled in result["meterValue"][0]["sampledValue"]]
    assert units == ["Celcius", "Celsius"]


def test_enum_through_ref(validator: MessageValidator) -> None:
    """The security-extension schemas reach their enums through `$ref`."""
    result, deviations = normalize(
        validator, "SignedFirmwareStatusNotification", {"status": "invalidsignature"}
    )
    assert result == {"status": "InvalidSignature"}
    assert kinds(deviations) == [("status", "enum_case")]
    payload = {
        "status": "accepted",
        "certificateHashData": {
            "hashAlgorithm": "sha256",
            "issuerNameHash": "a",
            "issuerKeyHash": "b",
            "serialNumber": "c" * 41,
        },
    }
    result, deviations = normalize_response(validator, "GetInstalledCertificateIds", payload)
    validator.validate_response("GetInstalledCertificateIds", result)
    assert kinds(deviations) == [
        ("status", "enum_case"),
        ("certificateHashData", "object_for_array"),
        ("certificateHashData[0].hashAlgorithm", "enum_case"),
        ("certificateHashData[0].serialNumber", "string_too_long"),
    ]


def test_unknown_property(validator: MessageValidator) -> None:
    payload = meter_values({"value": "1", "signedMeterValue": "abc"})
    payload["vendorExtension"] = {"a": [1, 2]}
    result, deviations = normalize(validator, "MeterValues", payload)
    assert "vendorExtension" not in result
    assert result["meterValue"][0]["sampledValue"] == [{"value": "1"}]
    assert deviations == [
        Deviation(
            "MeterValues",
            "meterValue[0].sampledValue[0].signedMeterValue",
            "unknown_property",
            "'signedMeterValue' is not in the schema, dropped",
        ),
        Deviation(
            "MeterValues",
            "vendorExtension",
            "unknown_property",
            "'vendorExtension' is not in the schema, dropped",
        ),
    ]
    validator.validate_request("MeterValues", result)


def test_long_unknown_keys_are_clipped(validator: MessageValidator) -> None:
    key = "k" * 1000
    _, deviations = normalize(validator, "Heartbeat", {key: 1})
    assert deviations == [
        Deviation(
            "Heartbeat",
            "k" * 57 + "...",
            "unknown_property",
            f"{'k' * 57 + '...'!r} is not in the schema, dropped",
        )
    ]


def test_several_repairs_in_one_message(validator: MessageValidator) -> None:
    payload = {
        "transactionId": "42",
        "meterStop": "12345",
        "timestamp": "2024-05-01T12:00:00",
        "idTag": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "reason": "evdisconnected",
        "transactionData": {
            "timestamp": "2024-05-01T13:59:00+02:00",
            "sampledValue": [{"value": "1", "measurand": "energy.active.import.register"}],
        },
    }
    result, deviations = normalize(validator, "StopTransaction", payload)
    validator.validate_request("StopTransaction", result)
    assert result["idTag"] == "ABCDEFGHIJKLMNOPQRST"
    assert result["reason"] == "EVDisconnected"
    assert result["transactionData"][0]["timestamp"] == "2024-05-01T11:59:00Z"
    assert sorted({d.kind for d in deviations}) == sorted(
        {
            "number_as_string",
            "timestamp_without_zone",
            "string_too_long",
            "enum_case",
            "object_for_array",
            "timestamp_offset",
        }
    )


# --- what stays broken ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("StartTransaction", {"connectorId": 1, "meterStart": 0, "timestamp": NOW}),  # no idTag
        ("StartTransaction", {"connectorId": 1.5, "idTag": "T", "meterStart": 0, "timestamp": NOW}),
        (
            "StartTransaction",
            {"connectorId": None, "idTag": "T", "meterStart": 0, "timestamp": NOW},
        ),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Occupied"}),
        ("MeterValues", {"connectorId": 1, "meterValue": []}),
        ("MeterValues", {"connectorId": 1, "meterValue": [[{"timestamp": NOW}]]}),
        ("MeterValues", {"connectorId": 1, "meterValue": "lots"}),
        ("Authorize", {"idTag": 12345}),
        ("Heartbeat", []),
        ("Heartbeat", None),
        ("Heartbeat", "ping"),
    ],
)
def test_irreparable_input_stays_invalid(
    validator: MessageValidator, action: str, payload: Any
) -> None:
    result, deviations = normalize(validator, action, payload)
    assert result is payload
    assert deviations == []
    with pytest.raises(OcppError):
        validator.validate_request(action, result)


def test_repairs_are_made_even_if_something_else_stays_broken(
    validator: MessageValidator,
) -> None:
    payload = {"connectorId": "1", "meterStart": 0, "timestamp": NOW}  # idTag missing
    result, deviations = normalize(validator, "StartTransaction", payload)
    assert result == {"connectorId": 1, "meterStart": 0, "timestamp": NOW}
    assert kinds(deviations) == [("connectorId", "number_as_string")]
    with pytest.raises(OcppError):
        validator.validate_request("StartTransaction", result)


def test_garbage_nested_where_structure_belongs(validator: MessageValidator) -> None:
    payload: dict[str, Any] = {
        "connectorId": 1,
        "meterValue": [
            None,
            "x",
            {
                "timestamp": None,
                "sampledValue": [None, [], {"value": ["1"]}, {"value": "2", "z": 1}],
            },
            {"timestamp": {"nested": NOW}, "sampledValue": {"value": {"deep": [[[]]]}}},
        ],
    }
    result, deviations = normalize(validator, "MeterValues", payload)
    assert kinds(deviations) == [
        ("meterValue[2].sampledValue[3].z", "unknown_property"),
        ("meterValue[3].sampledValue", "object_for_array"),
    ]
    assert result["meterValue"][:2] == [None, "x"]
    with pytest.raises(OcppError):
        validator.validate_request("MeterValues", result)


def test_ambiguous_enums_do_not_exist(validator: MessageValidator) -> None:
    """enum_case picks the first case-insensitive match, which needs the match to be unique."""

    def enums(node: Any) -> list[list[Any]]:
        if isinstance(node, dict):
            found = [node["enum"]] if isinstance(node.get("enum"), list) else []
            return found + [e for value in node.values() for e in enums(value)]
        if isinstance(node, list):
            return [e for value in node for e in enums(value)]
        return []

    for action in ALL_ACTIONS:
        for schema in (validator.request_schema(action), validator.response_schema(action)):
            for enum in enums(schema):
                folded = [str(choice).casefold() for choice in enum]
                assert len(folded) == len(set(folded)), (action, enum)


# --- properties ---------------------------------------------------------------------------------


def resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema if isinstance(schema, dict) else {}


def _timestamp(moment: datetime, millis: int | None) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{millis:03d}" if millis is not None else "") + "Z"


TIMESTAMPS = st.builds(
    _timestamp,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.none() | st.integers(0, 999),
)


def valid(schema: Any, root: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Payloads the schema accepts, for the subset of JSON Schema the OCPP 1.6 files use."""
    schema = resolve(schema, root)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {key: valid(sub, root) for key, sub in properties.items() if key in required},
            optional={
                key: valid(sub, root) for key, sub in properties.items() if key not in required
            },
        )
    if kind == "array":
        min_items = schema.get("minItems", 0)
        return st.lists(valid(schema.get("items", {}), root), min_size=min_items, max_size=3)
    if kind == "string":
        if schema.get("format") == "date-time":
            return TIMESTAMPS
        if schema.get("format") == "uri":
            return st.sampled_from(["ftp://u:p@host/f.bin", "https://host:8443/x?y=1"])
        return st.text(max_size=min(schema.get("maxLength", 20), 20))
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "number":
        if schema.get("multipleOf") == 0.1:
            return st.integers(-(10**6), 10**6).map(lambda tenths: tenths / 10)
        return st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    raise AssertionError(f"schema construct not covered: {schema}")


Draw = Callable[[st.SearchStrategy[Any]], Any]
PLUS_0530 = timezone(timedelta(hours=5, minutes=30))


def corrupt(draw: Draw, schema: Any, root: dict[str, Any], value: Any, applied: set[str]) -> Any:
    """A copy of a valid `value` with some of the repairable deviations put in."""
    schema = resolve(schema, root)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        result = {
            key: corrupt(draw, properties[key], root, item, applied) for key, item in value.items()
        }
        if draw(st.integers(0, 7)) == 0:
            result["vendorExtra"] = {"nested": [1]}
            applied.add("unknown_property")
        return result
    if kind == "array":
        items = [corrupt(draw, schema.get("items", {}), root, item, applied) for item in value]
        if len(items) == 1 and isinstance(items[0], dict) and draw(st.booleans()):
            applied.add("object_for_array")
            return items[0]
        return items
    if draw(st.integers(0, 3)) != 0:
        return value
    if "enum" in schema:
        applied.add("enum_case")
        return value.swapcase()
    if schema.get("format") == "date-time":
        if draw(st.booleans()):
            applied.add("timestamp_without_zone")
            return value[:-1]
        applied.add("timestamp_offset")
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(PLUS_0530)
        return moment.isoformat(timespec="milliseconds")
    if kind == "string" and "maxLength" in schema:
        applied.add("string_too_long")
        return value + "x" * (schema["maxLength"] + 1 - len(value))
    if kind in ("integer", "number"):
        applied.add("number_as_string")
        return repr(value)
    if kind == "boolean":
        applied.add("boolean_as_string")
        return draw(st.sampled_from(["true", "True", "TRUE"]) if value else st.just("false"))
    return value


DIRECTIONS = st.tuples(st.sampled_from(ALL_ACTIONS), st.sampled_from(["request", "response"]))


def schema_of(action: str, direction: str) -> dict[str, Any]:
    validator = get_validator()
    if direction == "request":
        return validator.request_schema(action)
    return validator.response_schema(action)


def check(action: str, direction: str, payload: Any) -> None:
    validator = get_validator()
    if direction == "request":
        validator.validate_request(action, payload)
    else:
        validator.validate_response(action, payload)


def run(action: str, direction: str, payload: Any) -> tuple[Any, list[Deviation]]:
    before = copy.deepcopy(payload)
    if direction == "request":
        outcome = normalize_request(get_validator(), action, payload)
    else:
        outcome = normalize_response(get_validator(), action, payload)
    # `is`: a float NaN is not equal to itself, and deepcopy returns the same object.
    assert payload is before or payload == before, "the input was modified"
    return outcome


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), DIRECTIONS)
def test_valid_payloads_come_back_unchanged(data: st.DataObject, target: tuple[str, str]) -> None:
    action, direction = target
    schema = schema_of(action, direction)
    payload = data.draw(valid(schema, schema))
    check(action, direction, payload)  # the strategy itself is right
    result, deviations = run(action, direction, payload)
    assert result is payload
    assert deviations == []


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), DIRECTIONS)
def test_repairable_deviations_are_repaired(data: st.DataObject, target: tuple[str, str]) -> None:
    action, direction = target
    schema = schema_of(action, direction)
    payload = data.draw(valid(schema, schema))
    applied: set[str] = set()
    broken = corrupt(data.draw, schema, schema, payload, applied)
    try:
        check(action, direction, broken)
    except OcppError:
        strictly_valid = False
    else:
        strictly_valid = True
    for kind in applied:
        event(f"applied {kind}")
    result, deviations = run(action, direction, broken)
    if strictly_valid:
        assert applied <= {"timestamp_offset"}
        assert result is broken
        assert deviations == []
        return
    check(action, direction, result)
    assert {d.kind for d in deviations} == applied
    expected_action = action if direction == "request" else f"{action}Response"
    assert {d.action for d in deviations} == {expected_action}


def property_names(node: Any) -> set[str]:
    if isinstance(node, dict):
        names = set(node["properties"]) if isinstance(node.get("properties"), dict) else set()
        return names.union(*(property_names(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(property_names(value) for value in node))
    return set()


PROPERTY_NAMES = sorted(
    set().union(
        *(
            property_names(schema_of(action, direction))
            for action in ALL_ACTIONS
            for direction in ("request", "response")
        )
    )
)

GARBAGE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(
        ["true", "12", "12.0", "1e999", "2024-05-01T12:00:00", "2024-05-01T12:00:00+01"]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(PROPERTY_NAMES) | st.text(max_size=5), children, max_size=4
        )
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DIRECTIONS, GARBAGE)
def test_never_raises_on_garbage(target: tuple[str, str], payload: Any) -> None:
    action, direction = target
    result, deviations = run(action, direction, payload)
    assert all(d.kind in KINDS for d in deviations)
    assert all(isinstance(d.detail, str) and d.detail for d in deviations)
    assert all(len(d.path) <= 255 for d in deviations)
    if not deviations:
        assert result is payload


def mangle(draw: Draw, value: Any) -> Any:
    """A valid payload with some subtrees swapped for garbage: near misses reach deep."""
    if draw(st.integers(0, 5)) == 0:
        return draw(GARBAGE)
    if isinstance(value, dict):
        return {key: mangle(draw, item) for key, item in value.items()}
    if isinstance(value, list):
        return [mangle(draw, item) for item in value]
    return value


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), DIRECTIONS)
def test_never_raises_on_near_misses(data: st.DataObject, target: tuple[str, str]) -> None:
    action, direction = target
    schema = schema_of(action, direction)
    payload = mangle(data.draw, data.draw(valid(schema, schema)))
    result, deviations = run(action, direction, payload)
    assert all(d.kind in KINDS for d in deviations)
    if not deviations:
        assert result is payload


def test_deeply_nested_input_does_not_overflow(validator: MessageValidator) -> None:
    """The walk follows the schema, not the payload, so nesting depth costs nothing."""
    deep: Any = {"value": "1"}
    for _ in range(5000):
        deep = {"sampledValue": deep, "meterValue": [deep]}
    payload = {"connectorId": 1, "meterValue": deep}
    result, deviations = normalize_request(validator, "MeterValues", payload)
    assert ("meterValue", "object_for_array") in kinds(deviations)
    assert isinstance(result["meterValue"], list)


def test_kinds() -> None:
    assert KINDS == {
        "string_too_long",
        "number_as_string",
        "boolean_as_string",
        "object_for_array",
        "timestamp_offset",
        "timestamp_without_zone",
        "enum_case",
        "unknown_property",
    }


def test_result_is_a_copy_not_a_view(validator: MessageValidator) -> None:
    sampled = {"value": "1", "x": 1}
    payload = meter_values(sampled)
    result, _ = normalize(validator, "MeterValues", payload)
    result["meterValue"][0]["sampledValue"][0]["value"] = "changed"
    result["meterValue"].append({})
    assert sampled == {"value": "1", "x": 1}
    assert len(payload["meterValue"]) == 1
