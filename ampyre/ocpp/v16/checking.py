"""The check every received payload goes through: its schema, and for a lenient charge
point the repairs that make it pass (`lenient.py`).

Strict first: a payload that passes is used as it is, whatever the charge point's mode, so
the repairs cost nothing to a charge point that speaks OCPP well. A lenient charge point's
payload that fails is repaired and checked again; what was repaired is returned, for the
CSMS to record. Raises the OcppError of the (first) broken rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.lenient import Deviation, normalize_request, normalize_response
from ampyre.ocpp.v16.validation import MessageValidator

__all__ = ["checked_request", "checked_response"]


def checked_request(
    validator: MessageValidator, action: str, payload: dict[str, Any], *, lenient: bool
) -> tuple[dict[str, Any], list[Deviation]]:
    """A CALL's payload, checked (and repaired, for a lenient charge point)."""
    return _checked(
        validator.validate_request, normalize_request, validator, action, payload, lenient
    )


def checked_response(
    validator: MessageValidator, action: str, payload: dict[str, Any], *, lenient: bool
) -> tuple[dict[str, Any], list[Deviation]]:
    """A CALLRESULT's payload, checked (and repaired, for a lenient charge point)."""
    return _checked(
        validator.validate_response, normalize_response, validator, action, payload, lenient
    )


def _checked(
    validate: Callable[[str, Any], None],
    normalize: Callable[
        [MessageValidator, str, dict[str, Any]], tuple[dict[str, Any], list[Deviation]]
    ],
    validator: MessageValidator,
    action: str,
    payload: dict[str, Any],
    lenient: bool,
) -> tuple[dict[str, Any], list[Deviation]]:
    try:
        validate(action, payload)
        return payload, []
    except OcppError:
        if not lenient or not validator.knows(action):
            raise
    repaired, deviations = normalize(validator, action, payload)
    validate(action, repaired)
    return repaired, deviations
