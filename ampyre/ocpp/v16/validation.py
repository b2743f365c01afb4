"""Strict validation of OCPP 1.6 payloads against the official JSON schemas.

The schemas are the ones the `ocpp` package ships (the OCA's files, security extension
included), so that what we accept is what the OCA publishes, not our reading of it. Each
one is compiled to Python code once by `fastjsonschema`: a check then costs microseconds,
which matters because every CALL and CALLRESULT of every charge point goes through here.

A failed check becomes the OCPP-J 1.6 CALLERROR code for the broken JSON-schema keyword
(OCPP-J section 4.2.3; the OCPP 1.6 errata sheet v4 confirms that an invalid enumeration
value is a PropertyConstraintViolation), with a description that names the field, because
the engineer reading the charge point's log has nothing else to go on.

Three deliberate departures from fastjsonschema's defaults, all stricter or more correct:

* `integer` means a JSON number without a fraction in every schema. The security-extension
  files are draft-06, where `1.0` is an integer, while the core files are draft-04, where it
  is not; we compile all of them with draft-04 semantics, so the same field type behaves the
  same in every message and handlers can count on a Python `int`.
* `date-time` is RFC 3339 with a mandatory zone (`Z` or `+hh:mm`; fractional seconds
  allowed) that `datetime.fromisoformat` can represent. fastjsonschema's own check also
  accepts `+hhmm` offsets, which RFC 3339 does not, and the leap second `:60`, which Python
  cannot represent, so the handler would fail on it instead; the lenient normaliser
  repairs the former.
* `uri` accepts any RFC 3986 scheme (`svn+ssh:`, `x-vendor.ftp:`), not only `\\w+`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import fastjsonschema
import ocpp

from ampyre.ocpp.v16.errors import (
    FormationViolation,
    NotImplementedError_,
    OccurenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)

__all__ = [
    "CP_INITIATED",
    "CSMS_INITIATED",
    "DEFAULT_SCHEMA_DIR",
    "RULE_ERRORS",
    "MessageValidator",
    "get_validator",
    "is_date_time",
    "is_uri",
]

DEFAULT_SCHEMA_DIR = os.path.join(os.path.dirname(ocpp.__file__), "v16", "schemas")

#: Actions a charge point initiates (OCPP 1.6 section 4, security whitepaper section 4).
CP_INITIATED: frozenset[str] = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        # Security extension
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    }
)

#: Actions the central system initiates (OCPP 1.6 section 5, security whitepaper section 5).
CSMS_INITIATED: frozenset[str] = frozenset(
    {
        "CancelReservation",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetLocalListVersion",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
        # Security extension
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "SignedUpdateFirmware",
    }
)

#: JSON-schema keyword -> OCPP-J 1.6 CALLERROR class. Keywords not listed (including
#: additionalProperties) are a FormationViolation: the payload does not have the PDU's shape.
#: minItems/maxItems are the array form of the spec's cardinality ("1..*"), hence occurrence.
RULE_ERRORS: dict[str, type[OcppError]] = {
    "type": TypeConstraintViolation,
    "required": OccurenceConstraintViolation,
    "minItems": OccurenceConstraintViolation,
    "maxItems": OccurenceConstraintViolation,
    "maxLength": PropertyConstraintViolation,
    "minLength": PropertyConstraintViolation,
    "enum": PropertyConstraintViolation,
    "const": PropertyConstraintViolation,
    "minimum": PropertyConstraintViolation,
    "maximum": PropertyConstraintViolation,
    "exclusiveMinimum": PropertyConstraintViolation,
    "exclusiveMaximum": PropertyConstraintViolation,
    "format": PropertyConstraintViolation,
    "pattern": PropertyConstraintViolation,
    "multipleOf": PropertyConstraintViolation,
    "additionalProperties": FormationViolation,
}

_DRAFT_04 = "http://json-schema.org/draft-04/schema#"

# RFC 3339 section 5.6 `date-time`, zone mandatory. The calendar (31 February, the leap
# second, year 0) is left to fromisoformat, which is what every consumer parses with.
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})\Z", re.ASCII
)
# RFC 3986 section 3.1 scheme, then anything without white space.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")


def is_date_time(value: str) -> bool:
    """Whether `value` is an RFC 3339 date-time with a zone that Python can represent."""
    if not _DATE_TIME.match(value):
        return False
    try:
        # Python 3.11 does not read a lowercase `z`; fractions beyond 6 digits are cut.
        moment = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        if moment.year in (1, 9999):
            moment.astimezone(UTC)  # 9999-12-31T23:00:00-02:00 is in year 10000 in UTC.
    except (ValueError, OverflowError):
        return False
    return True


def is_uri(value: str) -> bool:
    return _URI.match(value) is not None


_FORMATS: dict[str, Callable[[Any], bool]] = {"date-time": is_date_time, "uri": is_uri}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error text: bounded, because it goes into a CALLERROR and a log line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field_path(name: str | None) -> str:
    """fastjsonschema's `data.meterValue[0].timestamp` as `meterValue[0].timestamp`."""
    if not name or name == "data":
        return ""
    if name.startswith("data."):
        return name[5:]
    if name.startswith("data["):
        return name[4:]
    return name


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


#: Keywords whose failure reads "<value> <what> <the keyword's limit>".
_VALUE_RULES = {
    "format": "is not a valid",
    "multipleOf": "is not a multiple of",
    "minimum": "is less than",
    "maximum": "is greater than",
    "pattern": "does not match",
}


def _explain(exc: fastjsonschema.JsonSchemaValueException) -> tuple[str, str]:
    """(path of the offending field, what is wrong with it) for one failed keyword."""
    rule = exc.rule or ""
    path = _field_path(exc.name)
    value = exc.value
    definition = exc.definition if isinstance(exc.definition, dict) else {}
    limit = definition.get(rule)
    if rule == "required" and isinstance(value, dict) and isinstance(limit, list):
        missing = [key for key in limit if key not in value]
        if len(missing) == 1:
            return _join(path, missing[0]), "required property missing"
        if missing:
            names = ", ".join(repr(key) for key in missing)
            return path, f"required properties {names} missing"
    if rule == "additionalProperties" and isinstance(value, dict):
        allowed = definition.get("properties") or {}
        extra = sorted(str(key) for key in value if key not in allowed)
        if len(extra) == 1:
            return _join(path, extra[0]), "property not allowed by the schema"
        if extra:
            names = ", ".join(repr(key) for key in extra)
            return path, f"properties {names} not allowed by the schema"
    if rule == "type":
        expected = limit if isinstance(limit, str) else " or ".join(map(str, limit or []))
        return path, f"must be {expected}, got {_json_type(value)}"
    if rule == "maxLength" and isinstance(value, str):
        return path, f"longer than {limit} characters ({len(value)})"
    if rule == "minLength" and isinstance(value, str):
        return path, f"shorter than {limit} characters ({len(value)})"
    if rule == "enum" and isinstance(limit, list):
        return path, f"{_short(value)} is not one of {', '.join(map(str, limit))}"
    if rule == "format" and limit == "date-time":
        return path, (
            f"{_short(value)} is not a valid date-time with a time zone"
            " (RFC 3339, e.g. 2024-05-01T12:00:00Z)"
        )
    if rule in _VALUE_RULES:
        return path, f"{_short(value)} {_VALUE_RULES[rule]} {limit}"
    if rule == "minItems":
        return path, f"must contain at least {limit} item{'s' if limit != 1 else ''}"
    if rule == "maxItems":
        return path, f"must contain at most {limit} items"
    message = exc.message
    prefix = exc.name or ""
    if prefix and message.startswith(prefix):
        message = message[len(prefix) :].strip()
    return path, message


def _validate(checks: dict[str, Validate], action: str, payload: Any, kind: str) -> None:
    """Check `payload` against `action`'s request or response schema (`kind`: req, conf)."""
    check = checks.get(action)
    if check is None:
        raise NotImplementedError_(f"Unknown action {_short(action)}")
    try:
        check(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise _to_ocpp_error(f"{action}.{kind}", exc) from None


def _to_ocpp_error(label: str, exc: fastjsonschema.JsonSchemaValueException) -> OcppError:
    rule = exc.rule or ""
    path, problem = _explain(exc)
    error_class = RULE_ERRORS.get(rule, FormationViolation)
    where = path or "payload"
    return error_class(f"{label}: {where}: {problem}", {"path": path, "rule": rule})


def _load_schema(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as file:
        schema = json.load(file)
    if not isinstance(schema, dict):
        raise ValueError(f"{path}: a schema must be a JSON object")
    return schema


Validate = Callable[[Any], Any]


class MessageValidator:
    """The compiled request and response schemas of every action in one schema directory.

    Compiling all of them up front (about 0.3 s) keeps the first message of each kind
    from paying for it, and makes a broken schema file fail at start-up, not mid-session.
    """

    def __init__(self, schema_dir: str | None = None) -> None:
        self.schema_dir = schema_dir or DEFAULT_SCHEMA_DIR
        self._requests: dict[str, dict[str, Any]] = {}
        self._responses: dict[str, dict[str, Any]] = {}
        self._request_checks: dict[str, Validate] = {}
        self._response_checks: dict[str, Validate] = {}
        for file_name in sorted(os.listdir(self.schema_dir)):
            if not file_name.endswith(".json"):
                continue
            name = file_name[: -len(".json")]
            schema = _load_schema(os.path.join(self.schema_dir, file_name))
            check = self._compile(schema)
            if name.endswith("Response"):
                action = name[: -len("Response")]
                self._responses[action], self._response_checks[action] = schema, check
            else:
                self._requests[name], self._request_checks[name] = schema, check
        unpaired = set(self._requests) ^ set(self._responses)
        if unpaired:
            raise ValueError(f"{self.schema_dir}: no request/response pair for {sorted(unpaired)}")

    @staticmethod
    def _compile(schema: dict[str, Any]) -> Validate:
        # Same `integer` everywhere (see the module docstring); the draft-06 files use no
        # keyword that draft-04 lacks, and their `#/definitions/...` refs resolve the same.
        definition = {**schema, "$schema": _DRAFT_04}
        return fastjsonschema.compile(definition, formats=_FORMATS, use_default=False)

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._requests)

    def knows(self, action: str) -> bool:
        return action in self._request_checks

    def validate_request(self, action: str, payload: Any) -> None:
        _validate(self._request_checks, action, payload, "req")

    def validate_response(self, action: str, payload: Any) -> None:
        _validate(self._response_checks, action, payload, "conf")

    def request_schema(self, action: str) -> dict[str, Any]:
        """The schema as loaded; shared, so treat it as read-only."""
        try:
            return self._requests[action]
        except KeyError:
            raise NotImplementedError_(f"Unknown action {_short(action)}") from None

    def response_schema(self, action: str) -> dict[str, Any]:
        """The schema as loaded; shared, so treat it as read-only."""
        try:
            return self._responses[action]
        except KeyError:
            raise NotImplementedError_(f"Unknown action {_short(action)}") from None


@functools.cache
def get_validator() -> MessageValidator:
    """The validator of the `ocpp` package's schemas, compiled once per process."""
    return MessageValidator()
