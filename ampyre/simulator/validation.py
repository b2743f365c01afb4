"""Checks payloads against the official OCPP 1.6 JSON schemas (shipped by the `ocpp` package).

The simulator validates what the CSMS sends it, in both directions (its CALLs and its
answers), because its main job besides demos is to catch server bugs in end-to-end tests.
It deliberately does not validate what it sends itself: `call()` is also used to feed a
server deliberately broken payloads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from typing import Any

import fastjsonschema
import ocpp

from ampyre.transport.errors import (
    FormationViolation,
    OccurenceConstraintViolation,
    OcppError,
    PropertyConstraintViolation,
    TypeConstraintViolation,
)

SCHEMA_DIRECTORY = os.path.join(os.path.dirname(ocpp.__file__), "v16", "schemas")

Validator = Callable[[Any], Any]


@cache
def _validator(schema_name: str) -> Validator | None:
    path = os.path.join(SCHEMA_DIRECTORY, f"{schema_name}.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8-sig") as schema_file:
        schema = json.load(schema_file)
    validator: Validator = fastjsonschema.compile(schema)
    return validator


def has_schema(action: str) -> bool:
    return _validator(action) is not None


def request_problem(action: str, payload: dict[str, Any]) -> OcppError | None:
    """The CALLERROR a charge point should answer a malformed request with, if any."""
    return _problem(action, payload)


def response_problem(action: str, payload: dict[str, Any]) -> OcppError | None:
    return _problem(f"{action}Response", payload)


def _problem(schema_name: str, payload: dict[str, Any]) -> OcppError | None:
    validator = _validator(schema_name)
    if validator is None:
        return None
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        return _error_for(exc)
    return None


def _error_for(exc: fastjsonschema.JsonSchemaValueException) -> OcppError:
    """Map a schema failure to the OCPP-J error code that names it (OCPP-J 1.6, 4.2.3)."""
    message = exc.message
    if exc.rule == "required":
        return OccurenceConstraintViolation(message)
    if exc.rule == "type":
        return TypeConstraintViolation(message)
    if exc.rule in ("additionalProperties", "properties"):
        return FormationViolation(message)
    return PropertyConstraintViolation(message)
