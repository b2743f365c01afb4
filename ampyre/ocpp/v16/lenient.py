"""Lenient mode: repair the known ways field charge points break the OCPP 1.6 schemas.

Rejecting a StartTransaction because a serial number is one character too long, or a
meter reading because its timestamp lacks a `Z`, loses real data and strands drivers, and
the firmware usually cannot be fixed from here. A charge point switched to lenient mode has
such payloads repaired instead of rejected, and every repair is recorded as a Deviation, so
the operator can see what the station gets wrong and chase the vendor.

Only repairs whose result is unambiguous are made; anything else is left as it was for the
strict validation that follows to reject. The normaliser runs only after strict validation
failed, so it favours robustness over speed: it must survive any JSON a station can send.

Each Deviation's `detail` is kept free of per-message values (meter readings, timestamps),
because deviations are aggregated per (action, path, kind, detail) and one row per message
would bury the pattern the operator is looking for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ampyre.ocpp.v16.errors import NotImplementedError_, OcppError
from ampyre.ocpp.v16.validation import MessageValidator, is_date_time

__all__ = ["KINDS", "Deviation", "normalize_request", "normalize_response"]

KINDS: frozenset[str] = frozenset(
    {
        "string_too_long",
        "number_as_string",
        "boolean_as_string",
        "object_for_array",
        "timestamp_offset",
        "timestamp_without_zone",
        "enum_case",
        "unknown_property",
    }
)


@dataclass(frozen=True, slots=True)
class Deviation:
    action: str
    path: str
    kind: str
    detail: str


# A schema deeper than this is either recursive or hostile; stop repairing below it.
_MAX_DEPTH = 64
_MAX_REF_HOPS = 16
# Deviations are stored with their path; keep it within a VARCHAR(255).
_MAX_PATH = 255

_INTEGER = re.compile(r"\s*[+-]?\d+\s*\Z", re.ASCII)
_DECIMAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*\Z", re.ASCII)
# ISO 8601 extended date and time; the zone is optional and the offset may lack its colon
# or its minutes, which are the shapes stations actually send.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\Z",
    re.ASCII,
)


def normalize_request(
    validator: MessageValidator, action: str, payload: dict[str, Any]
) -> tuple[dict[str, Any], list[Deviation]]:
    """Repair a CALL payload; returns `payload` itself and no deviations if nothing to do.

    A payload that already passes strict validation is returned as it is, even if it holds
    repairable shapes such as a `+01:00` offset: those are valid OCPP, only unusual.
    """
    try:
        validator.validate_request(action, payload)
        return payload, []
    except NotImplementedError_:
        return payload, []
    except OcppError:
        pass
    return _normalize(validator.request_schema(action), action, payload)


def normalize_response(
    validator: MessageValidator, action: str, payload: dict[str, Any]
) -> tuple[dict[str, Any], list[Deviation]]:
    """Repair a CALLRESULT payload, e.g. a GetConfiguration.conf with `"readonly": "true"`.

    Its deviations are recorded under `<action>Response`, the name of the schema that was
    broken, so they do not mix with those of the request of the same action.
    """
    try:
        validator.validate_response(action, payload)
        return payload, []
    except NotImplementedError_:
        return payload, []
    except OcppError:
        pass
    return _normalize(validator.response_schema(action), f"{action}Response", payload)


def _normalize(
    schema: dict[str, Any], action: str, payload: dict[str, Any]
) -> tuple[dict[str, Any], list[Deviation]]:
    repairer = _Repairer(action, schema)
    repaired = repairer.walk(schema, payload, "", "payload", 0)
    if not repairer.deviations:
        return payload, []
    return repaired, repairer.deviations


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [item for item in declared if isinstance(item, str)]
    if isinstance(schema.get("properties"), dict):
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def _has_type(value: Any, json_type: str) -> bool:
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "array":
        return isinstance(value, list)
    if json_type == "object":
        return isinstance(value, dict)
    if json_type == "null":
        return value is None
    return False


def _parse_integer(text: str) -> int | None:
    try:
        if _INTEGER.match(text):
            return int(text)  # ValueError past sys.get_int_max_str_digits()
        if _DECIMAL.match(text):
            number = float(text)
            # "12.0" is an integer written the way some firmware's printf writes every number.
            if number.is_integer():
                return int(number)
    except ValueError:
        pass
    return None


def _parse_number(text: str) -> int | float | None:
    try:
        if _INTEGER.match(text):
            return int(text)
        if _DECIMAL.match(text):
            number = float(text)
            if math.isfinite(number):
                return number
    except ValueError:
        pass
    return None


#: The JSON schema number types a string may stand for, most specific first: (schema
#: type, parser, what the repair note calls the result).
_NUMBER_KINDS: tuple[tuple[str, Callable[[str], int | float | None], str], ...] = (
    ("integer", _parse_integer, "an integer"),
    ("number", _parse_number, "a number"),
)


def _format_utc(moment: datetime) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _repair_timestamp(value: str) -> tuple[str, str, str] | None:
    """(repaired value, kind, offset as sent) for a date-time missing its zone or not in UTC."""
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu:
        return None  # Already UTC: whatever else is wrong with it is not ours to guess.
    if sign is None:
        repaired = value + "Z"
        return (repaired, "timestamp_without_zone", "") if is_date_time(repaired) else None
    try:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=timezone(-offset if sign == "-" else offset),
        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    offset_text = f"{sign}{off_h}:{off_m or '00'}"
    return _format_utc(moment), "timestamp_offset", offset_text


class _Repairer:
    """One walk of a payload alongside its schema, collecting what it had to repair."""

    def __init__(self, action: str, root: dict[str, Any]) -> None:
        self.action = action
        self.root = root
        self.deviations: list[Deviation] = []

    def record(self, path: str, kind: str, detail: str) -> None:
        if len(path) > _MAX_PATH:
            path = path[: _MAX_PATH - 3] + "..."
        self.deviations.append(Deviation(self.action, path, kind, detail))

    def resolve(self, schema: Any) -> dict[str, Any]:
        """Follow local `$ref`s (the security-extension schemas use `#/definitions/...`)."""
        for _ in range(_MAX_REF_HOPS):
            if not isinstance(schema, dict):
                return {}
            ref = schema.get("$ref")
            if not isinstance(ref, str):
                return schema
            if not ref.startswith("#"):
                return {}
            target: Any = self.root
            for part in ref[1:].split("/"):
                if not part:
                    continue
                part = part.replace("~1", "/").replace("~0", "~")
                if isinstance(target, dict) and part in target:
                    target = target[part]
                elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                    target = target[int(part)]
                else:
                    return {}
            schema = target
        return {}

    def walk(self, schema: Any, value: Any, path: str, name: str, depth: int) -> Any:
        """The repaired copy of `value`; containers are rebuilt, never modified in place."""
        schema = self.resolve(schema)
        if not schema or depth > _MAX_DEPTH:
            return value
        types = _types(schema)
        if "object" in types and isinstance(value, dict):
            return self.walk_object(schema, value, path, depth)
        if "array" in types:
            if isinstance(value, list):
                return self.walk_array(schema, value, path, name, depth)
            if isinstance(value, dict) and self.holds_objects(schema):
                self.record(
                    path, "object_for_array", f"{name!r} was a single object, wrapped in an array"
                )
                return self.walk_array(schema, [value], path, name, depth)
        if "string" in types and isinstance(value, str):
            return self.repair_string(schema, value, path, name)
        if isinstance(value, str) and not any(_has_type(value, t) for t in types):
            return self.repair_scalar(types, value, path, name)
        return value

    def holds_objects(self, schema: dict[str, Any]) -> bool:
        items = self.resolve(schema.get("items"))
        return "object" in _types(items)

    def walk_object(
        self, schema: dict[str, Any], value: dict[Any, Any], path: str, depth: int
    ) -> dict[Any, Any]:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            properties = {}
        additional = schema.get("additionalProperties", True)
        result: dict[Any, Any] = {}
        for key, item in value.items():
            key_text = key if isinstance(key, str) else repr(key)
            item_path = f"{path}.{key_text}" if path else key_text
            if key in properties:
                result[key] = self.walk(properties[key], item, item_path, key_text, depth + 1)
            elif additional is False:
                # The key is the station's to choose: keep it from bloating path and detail.
                label = key_text if len(key_text) <= 60 else key_text[:57] + "..."
                self.record(
                    f"{path}.{label}" if path else label,
                    "unknown_property",
                    f"{label!r} is not in the schema, dropped",
                )
            elif isinstance(additional, dict):
                result[key] = self.walk(additional, item, item_path, key_text, depth + 1)
            else:
                result[key] = item
        return result

    def walk_array(
        self, schema: dict[str, Any], value: list[Any], path: str, name: str, depth: int
    ) -> list[Any]:
        items = schema.get("items", {})
        result = []
        for index, item in enumerate(value):
            if isinstance(items, list):
                item_schema = items[index] if index < len(items) else schema.get("additionalItems")
            else:
                item_schema = items
            item_path = f"{path}[{index}]"
            result.append(self.walk(item_schema, item, item_path, f"{name}[{index}]", depth + 1))
        return result

    def repair_string(self, schema: dict[str, Any], value: str, path: str, name: str) -> str:
        enum = schema.get("enum")
        if isinstance(enum, list) and value not in enum:
            folded = value.casefold()
            for choice in enum:
                if isinstance(choice, str) and choice.casefold() == folded:
                    self.record(
                        path,
                        "enum_case",
                        f"{name!r} was {value!r}, the schema spells it {choice!r}",
                    )
                    value = choice
                    break
        if schema.get("format") == "date-time":
            repaired = _repair_timestamp(value)
            if repaired is not None:
                value, kind, offset = repaired
                if kind == "timestamp_offset":
                    detail = f"{name!r} had the offset {offset}, converted to UTC"
                else:
                    detail = f"{name!r} had no time zone, taken as UTC"
                self.record(path, kind, detail)
        max_length = schema.get("maxLength")
        if isinstance(max_length, int) and not isinstance(max_length, bool) and max_length >= 0:
            if len(value) > max_length:
                self.record(
                    path,
                    "string_too_long",
                    f"{name!r} was {len(value)} characters, truncated to {max_length}",
                )
                value = value[:max_length]
        return value

    def repair_scalar(self, types: list[str], value: str, path: str, name: str) -> Any:
        for kind, parse, noun in _NUMBER_KINDS:
            if kind in types:
                number = parse(value)
                if number is not None:
                    self.record(
                        path, "number_as_string", f"{name!r} was a string, converted to {noun}"
                    )
                    return number
        if "boolean" in types:
            word = value.strip().lower()
            if word in ("true", "false"):
                self.record(
                    path,
                    "boolean_as_string",
                    f"{name!r} was the string {value!r}, converted to {word}",
                )
                return word == "true"
        return value
