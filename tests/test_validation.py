"""Strict validation against the official OCPP 1.6 schemas, and its CALLERROR codes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ampyre.ocpp.v16.errors import (
    FormationViolation,
    NotImplementedError_,
    OccurenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)
from ampyre.ocpp.v16.validation import (
    CP_INITIATED,
    CSMS_INITIATED,
    DEFAULT_SCHEMA_DIR,
    RULE_ERRORS,
    MessageValidator,
    get_validator,
    is_date_time,
    is_uri,
)

NOW = "2024-05-01T12:00:00Z"

SAMPLED_VALUE = {
    "value": "1234.5",
    "context": "Sample.Periodic",
    "format": "Raw",
    "measurand": "Energy.Active.Import.Register",
    "phase": "L1-N",
    "location": "Outlet",
    "unit": "kWh",
}

VALID_CP_REQUESTS: dict[str, dict[str, Any]] = {
    "Authorize": {"idTag": "04A2B3C4D5E6F7"},
    "BootNotification": {
        "chargePointVendor": "Acme",
        "chargePointModel": "Wallbox 22",
        "chargePointSerialNumber": "SN-0001",
        "chargeBoxSerialNumber": "CB-0001",
        "firmwareVersion": "1.2.3",
        "iccid": "8931000000000000000",
        "imsi": "204080000000000",
        "meterType": "Eastron SDM630",
        "meterSerialNumber": "M-1",
    },
    "DataTransfer": {"vendorId": "com.acme", "messageId": "Ping", "data": '{"a": 1}'},
    "DiagnosticsStatusNotification": {"status": "Uploaded"},
    "FirmwareStatusNotification": {"status": "Installed"},
    "Heartbeat": {},
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 42,
        "meterValue": [{"timestamp": NOW, "sampledValue": [SAMPLED_VALUE, {"value": "7"}]}],
    },
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "04A2B3C4D5E6F7",
        "meterStart": 0,
        "reservationId": 3,
        "timestamp": NOW,
    },
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Charging",
        "info": "ok",
        "timestamp": NOW,
        "vendorId": "com.acme",
        "vendorErrorCode": "0",
    },
    "StopTransaction": {
        "idTag": "04A2B3C4D5E6F7",
        "meterStop": 12345,
        "timestamp": NOW,
        "transactionId": 42,
        "reason": "EVDisconnected",
        "transactionData": [{"timestamp": NOW, "sampledValue": [SAMPLED_VALUE]}],
    },
    "LogStatusNotification": {"status": "Uploaded", "requestId": 7},
    "SecurityEventNotification": {
        "type": "FirmwareUpdated",
        "timestamp": NOW,
        "techInfo": "v1.2.3",
    },
    "SignCertificate": {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB...\n"},
    "SignedFirmwareStatusNotification": {"status": "SignatureVerified", "requestId": 7},
}

ID_TAG_INFO = {"status": "Accepted", "expiryDate": NOW, "parentIdTag": "PARENT"}

VALID_CSMS_RESPONSES: dict[str, dict[str, Any]] = {
    "Authorize": {"idTagInfo": ID_TAG_INFO},
    "BootNotification": {"status": "Accepted", "currentTime": NOW, "interval": 300},
    "DataTransfer": {"status": "Accepted", "data": "pong"},
    "DiagnosticsStatusNotification": {},
    "FirmwareStatusNotification": {},
    "Heartbeat": {"currentTime": NOW},
    "MeterValues": {},
    "StartTransaction": {"idTagInfo": ID_TAG_INFO, "transactionId": 42},
    "StatusNotification": {},
    "StopTransaction": {"idTagInfo": {"status": "Accepted"}},
    "LogStatusNotification": {},
    "SecurityEventNotification": {},
    "SignCertificate": {"status": "Accepted"},
    "SignedFirmwareStatusNotification": {},
}

CHARGING_PROFILE = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Absolute",
    "validFrom": NOW,
    "chargingSchedule": {
        "duration": 3600,
        "startSchedule": NOW,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16},
            {"startPeriod": 1800, "limit": 10.5, "numberPhases": 3},
        ],
        "minChargingRate": 6.1,
    },
}


@pytest.fixture(scope="module")
def validator() -> MessageValidator:
    return get_validator()


def with_(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**payload, **changes}


def without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


def rejection(
    validator: MessageValidator, action: str, payload: Any, response: bool = False
) -> OcppError:
    with pytest.raises(OcppError) as info:
        if response:
            validator.validate_response(action, payload)
        else:
            validator.validate_request(action, payload)
    return info.value


# --- the action sets ---------------------------------------------------------------------


def test_action_sets_cover_the_schema_directory(validator: MessageValidator) -> None:
    assert CP_INITIATED | CSMS_INITIATED == validator.actions
    assert CP_INITIATED & CSMS_INITIATED == {"DataTransfer"}
    assert len(validator.actions) == 39


def test_get_validator_is_cached() -> None:
    assert get_validator() is get_validator()


def test_knows(validator: MessageValidator) -> None:
    assert validator.knows("BootNotification")
    assert validator.knows("SignedUpdateFirmware")
    assert not validator.knows("BootNotificationResponse")
    assert not validator.knows("bootnotification")
    assert not validator.knows("TransactionEvent")  # OCPP 2.0.1


def test_raw_schemas_are_exposed(validator: MessageValidator) -> None:
    request = validator.request_schema("StartTransaction")
    assert request["properties"]["idTag"]["maxLength"] == 20
    response = validator.response_schema("GetInstalledCertificateIds")
    assert "definitions" in response


# --- valid messages pass -------------------------------------------------------------------


def test_every_cp_initiated_action_has_a_sample() -> None:
    assert set(VALID_CP_REQUESTS) == CP_INITIATED
    assert set(VALID_CSMS_RESPONSES) == CP_INITIATED


@pytest.mark.parametrize("action", sorted(VALID_CP_REQUESTS))
def test_valid_cp_request_passes(validator: MessageValidator, action: str) -> None:
    validator.validate_request(action, VALID_CP_REQUESTS[action])


@pytest.mark.parametrize("action", sorted(VALID_CSMS_RESPONSES))
def test_valid_csms_response_passes(validator: MessageValidator, action: str) -> None:
    validator.validate_response(action, VALID_CSMS_RESPONSES[action])


@pytest.mark.parametrize("unit", ["Celcius", "Celsius", "Fahrenheit", "K"])
def test_both_spellings_of_celsius_pass(validator: MessageValidator, unit: str) -> None:
    sampled = {"value": "21.5", "measurand": "Temperature", "unit": unit}
    payload = {"connectorId": 0, "meterValue": [{"timestamp": NOW, "sampledValue": [sampled]}]}
    validator.validate_request("MeterValues", payload)


def test_integer_is_accepted_for_number(validator: MessageValidator) -> None:
    payload = {"connectorId": 1, "csChargingProfiles": CHARGING_PROFILE}
    validator.validate_request("SetChargingProfile", payload)
    period = CHARGING_PROFILE["chargingSchedule"]["chargingSchedulePeriod"][0]  # type: ignore[index]
    assert type(period["limit"]) is int


# --- CSMS-initiated requests --------------------------------------------------------------


def test_remote_start_with_charging_profile(validator: MessageValidator) -> None:
    payload = {"connectorId": 1, "idTag": "TAG", "chargingProfile": CHARGING_PROFILE}
    validator.validate_request("RemoteStartTransaction", payload)


def test_remote_start_profile_without_schedule(validator: MessageValidator) -> None:
    profile = without(CHARGING_PROFILE, "chargingSchedule")
    error = rejection(
        validator, "RemoteStartTransaction", {"idTag": "TAG", "chargingProfile": profile}
    )
    assert isinstance(error, OccurenceConstraintViolation)
    assert error.details == {"path": "chargingProfile.chargingSchedule", "rule": "required"}


def test_change_configuration_value_must_be_a_string(validator: MessageValidator) -> None:
    validator.validate_request("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"})
    error = rejection(validator, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": 60})
    assert isinstance(error, TypeConstraintViolation)
    assert error.description == "ChangeConfiguration.req: value: must be string, got integer"


def test_change_configuration_value_length(validator: MessageValidator) -> None:
    error = rejection(validator, "ChangeConfiguration", {"key": "K", "value": "v" * 501})
    assert isinstance(error, PropertyConstraintViolation)
    assert error.details == {"path": "value", "rule": "maxLength"}


def test_signed_update_firmware_through_ref(validator: MessageValidator) -> None:
    firmware = {
        "location": "https://fw.example.com/1.2.3.bin",
        "retrieveDateTime": NOW,
        "signingCertificate": "-----BEGIN CERTIFICATE-----",
        "signature": "c2lnbmF0dXJl",
    }
    validator.validate_request("SignedUpdateFirmware", {"requestId": 1, "firmware": firmware})
    error = rejection(
        validator,
        "SignedUpdateFirmware",
        {"requestId": 1, "firmware": with_(firmware, signature="s" * 801)},
    )
    assert isinstance(error, PropertyConstraintViolation)
    assert error.details["path"] == "firmware.signature"


@pytest.mark.parametrize(
    "location",
    [
        "ftp://user:pass@host/path",
        "http://host:8080/x",
        "https://fw.example.com/a/b.bin?token=1#frag",
        "sftp://10.0.0.1/diag",
        "svn+ssh://host/repo",
    ],
)
def test_uri_format_accepts(validator: MessageValidator, location: str) -> None:
    validator.validate_request("UpdateFirmware", {"location": location, "retrieveDate": NOW})
    validator.validate_request("GetDiagnostics", {"location": location})


@pytest.mark.parametrize("location", ["", "host/path", "http://a b/c", "://x", "1http://x"])
def test_uri_format_rejects(validator: MessageValidator, location: str) -> None:
    error = rejection(validator, "UpdateFirmware", {"location": location, "retrieveDate": NOW})
    assert isinstance(error, PropertyConstraintViolation)
    assert error.details == {"path": "location", "rule": "format"}


# --- the error-code mapping ------------------------------------------------------------------

START = VALID_CP_REQUESTS["StartTransaction"]
METER = VALID_CP_REQUESTS["MeterValues"]


@pytest.mark.parametrize(
    ("action", "payload", "error_class", "rule", "path", "description"),
    [
        (
            "StartTransaction",
            with_(START, connectorId="1"),
            TypeConstraintViolation,
            "type",
            "connectorId",
            "StartTransaction.req: connectorId: must be integer, got string",
        ),
        (
            "StartTransaction",
            with_(START, connectorId=True),
            TypeConstraintViolation,
            "type",
            "connectorId",
            "StartTransaction.req: connectorId: must be integer, got boolean",
        ),
        (
            "StartTransaction",
            with_(START, meterStart=10.0),
            TypeConstraintViolation,
            "type",
            "meterStart",
            "StartTransaction.req: meterStart: must be integer, got number",
        ),
        (
            # A draft-06 file: fastjsonschema alone would take 7.0 as an integer here.
            "LogStatusNotification",
            {"status": "Uploaded", "requestId": 7.0},
            TypeConstraintViolation,
            "type",
            "requestId",
            "LogStatusNotification.req: requestId: must be integer, got number",
        ),
        (
            "Heartbeat",
            [],
            TypeConstraintViolation,
            "type",
            "",
            "Heartbeat.req: payload: must be object, got array",
        ),
        (
            "StartTransaction",
            without(START, "idTag"),
            OccurenceConstraintViolation,
            "required",
            "idTag",
            "StartTransaction.req: idTag: required property missing",
        ),
        (
            "MeterValues",
            with_(METER, meterValue=[{"timestamp": NOW, "sampledValue": [{"unit": "Wh"}]}]),
            OccurenceConstraintViolation,
            "required",
            "meterValue[0].sampledValue[0].value",
            "MeterValues.req: meterValue[0].sampledValue[0].value: required property missing",
        ),
        (
            "MeterValues",
            with_(METER, meterValue=[]),
            OccurenceConstraintViolation,
            "minItems",
            "meterValue",
            "MeterValues.req: meterValue: must contain at least 1 item",
        ),
        (
            "StartTransaction",
            with_(START, idTag="X" * 21),
            PropertyConstraintViolation,
            "maxLength",
            "idTag",
            "StartTransaction.req: idTag: longer than 20 characters (21)",
        ),
        (
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Occupied"},
            PropertyConstraintViolation,
            "enum",
            "status",
            "StatusNotification.req: status: 'Occupied' is not one of Available, Preparing, "
            "Charging, SuspendedEVSE, SuspendedEV, Finishing, Reserved, Unavailable, Faulted",
        ),
        (
            "StartTransaction",
            with_(START, timestamp="2024-05-01T12:00:00"),
            PropertyConstraintViolation,
            "format",
            "timestamp",
            "StartTransaction.req: timestamp: '2024-05-01T12:00:00' is not a valid date-time "
            "with a time zone (RFC 3339, e.g. 2024-05-01T12:00:00Z)",
        ),
        (
            "UpdateFirmware",
            {"location": "not a uri", "retrieveDate": NOW},
            PropertyConstraintViolation,
            "format",
            "location",
            "UpdateFirmware.req: location: 'not a uri' is not a valid uri",
        ),
        (
            "SetChargingProfile",
            {
                "connectorId": 1,
                "csChargingProfiles": with_(
                    CHARGING_PROFILE,
                    chargingSchedule={
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11.05}],
                    },
                ),
            },
            PropertyConstraintViolation,
            "multipleOf",
            "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit",
            "SetChargingProfile.req: csChargingProfiles.chargingSchedule."
            "chargingSchedulePeriod[0].limit: 11.05 is not a multiple of 0.1",
        ),
        (
            "StartTransaction",
            with_(START, vendorField="x"),
            FormationViolation,
            "additionalProperties",
            "vendorField",
            "StartTransaction.req: vendorField: property not allowed by the schema",
        ),
        (
            "MeterValues",
            with_(
                METER,
                meterValue=[{"timestamp": NOW, "sampledValue": [{"value": "1", "signed": 1}]}],
            ),
            FormationViolation,
            "additionalProperties",
            "meterValue[0].sampledValue[0].signed",
            "MeterValues.req: meterValue[0].sampledValue[0].signed: "
            "property not allowed by the schema",
        ),
    ],
)
def test_error_mapping(
    validator: MessageValidator,
    action: str,
    payload: Any,
    error_class: type[OcppError],
    rule: str,
    path: str,
    description: str,
) -> None:
    error = rejection(validator, action, payload)
    assert type(error) is error_class
    assert error.description == description
    assert error.details == {"path": path, "rule": rule}


def test_several_missing_properties_are_all_named(validator: MessageValidator) -> None:
    error = rejection(validator, "StartTransaction", {"connectorId": 1})
    assert isinstance(error, OccurenceConstraintViolation)
    assert error.description == (
        "StartTransaction.req: payload: required properties 'idTag', 'meterStart', "
        "'timestamp' missing"
    )


def test_response_errors_name_the_conf(validator: MessageValidator) -> None:
    error = rejection(
        validator,
        "StartTransaction",
        {"idTagInfo": {"status": "Accepted"}, "transactionId": "42"},
        response=True,
    )
    assert isinstance(error, TypeConstraintViolation)
    assert error.description == "StartTransaction.conf: transactionId: must be integer, got string"


def test_error_code_table() -> None:
    expected = {
        "type": "TypeConstraintViolation",
        "required": "OccurenceConstraintViolation",
        "maxLength": "PropertyConstraintViolation",
        "minLength": "PropertyConstraintViolation",
        "enum": "PropertyConstraintViolation",
        "minimum": "PropertyConstraintViolation",
        "maximum": "PropertyConstraintViolation",
        "format": "PropertyConstraintViolation",
        "pattern": "PropertyConstraintViolation",
        "multipleOf": "PropertyConstraintViolation",
        "additionalProperties": "FormationViolation",
    }
    assert {rule: RULE_ERRORS[rule].code for rule in expected} == expected


def test_keywords_unused_by_ocpp_map_too(tmp_path: Path) -> None:
    """minLength, minimum, maximum, pattern and unknown keywords, on a made-up action."""
    request = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
            "level": {"type": "integer", "minimum": 0, "maximum": 10},
            "tags": {"type": "array", "uniqueItems": True},
        },
        "additionalProperties": False,
    }
    (tmp_path / "Probe.json").write_text(json.dumps(request))
    (tmp_path / "ProbeResponse.json").write_text(json.dumps({"type": "object"}))
    probe = MessageValidator(str(tmp_path))
    assert probe.actions == {"Probe"}
    cases: list[tuple[dict[str, Any], type[OcppError], str]] = [
        ({"name": "a"}, PropertyConstraintViolation, "minLength"),
        ({"name": "AB"}, PropertyConstraintViolation, "pattern"),
        ({"level": -1}, PropertyConstraintViolation, "minimum"),
        ({"level": 11}, PropertyConstraintViolation, "maximum"),
        ({"tags": [1, 1]}, FormationViolation, "uniqueItems"),
    ]
    for payload, error_class, rule in cases:
        error = rejection(probe, "Probe", payload)
        assert type(error) is error_class, payload
        assert error.details["rule"] == rule
    probe.validate_request("Probe", {"name": "ab", "level": 10, "tags": [1, 2]})


def test_schema_dir_without_pairs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Lonely.json").write_text('{"type": "object"}')
    with pytest.raises(ValueError, match="Lonely"):
        MessageValidator(str(tmp_path))


# --- unknown actions ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["Foo", "", "BootNotificationResponse", "TransactionEvent"])
def test_unknown_action_is_not_implemented(validator: MessageValidator, action: str) -> None:
    for call in (
        validator.validate_request,
        validator.validate_response,
    ):
        with pytest.raises(NotImplementedError_) as info:
            call(action, {})
        assert info.value.code == "NotImplemented"
    with pytest.raises(NotImplementedError_):
        validator.request_schema(action)
    with pytest.raises(NotImplementedError_):
        validator.response_schema(action)


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00.5Z",
        "2024-05-01T12:00:00.123456Z",
        "2024-05-01T12:00:00.123456789Z",
        "2024-05-01T14:00:00+02:00",
        "2024-05-01T07:00:00-05:00",
        "2024-05-01T12:00:00+00:00",
        "2024-05-01t12:00:00z",
        "2024-02-29T00:00:00Z",
    ],
)
def test_date_time_accepts(validator: MessageValidator, value: str) -> None:
    assert is_date_time(value)
    validator.validate_request("Heartbeat", {})
    validator.validate_request("StartTransaction", with_(START, timestamp=value))


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T12:00:00",  # no zone
        "2024-05-01T12:00:00.000",  # no zone
        "2024-05-01T12:00:00+0200",  # not RFC 3339
        "2024-05-01T12:00:00+02",
        "2024-05-01 12:00:00Z",
        "2024-05-01T12:00Z",
        "20240501T120000Z",
        "2023-02-29T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2016-12-31T23:59:60Z",  # a leap second: RFC 3339 has it, Python cannot hold it
        "2024-05-01T12:00:00+24:00",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:30:00-01:00",  # year 10000 in UTC
        "",
        "yesterday",
        "\uff12\uff10\uff12\uff14-05-01T12:00:00Z",  # full-width digits
    ],
)
def test_date_time_rejects(validator: MessageValidator, value: str) -> None:
    assert not is_date_time(value)
    error = rejection(validator, "StartTransaction", with_(START, timestamp=value))
    assert isinstance(error, PropertyConstraintViolation)


def test_uri_helper() -> None:
    assert is_uri("ftp://user:pass@host/path")
    assert not is_uri("ftp ://host")


# --- robustness -----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(CP_INITIATED | CSMS_INITIATED)), JSON, st.booleans())
def test_any_json_passes_or_raises_an_ocpp_error(action: str, payload: Any, response: bool) -> None:
    validator = get_validator()
    check = validator.validate_response if response else validator.validate_request
    try:
        check(action, payload)
    except OcppError as error:
        assert error.code in {
            "TypeConstraintViolation",
            "OccurenceConstraintViolation",
            "PropertyConstraintViolation",
            "FormationViolation",
        }
        assert error.description.startswith(f"{action}.{'conf' if response else 'req'}: ")
        assert set(error.details) == {"path", "rule"}


def test_schema_directory_is_the_ocpp_packages() -> None:
    assert os.path.isfile(os.path.join(DEFAULT_SCHEMA_DIR, "BootNotification.json"))
    assert get_validator().schema_dir == DEFAULT_SCHEMA_DIR
