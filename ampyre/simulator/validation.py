"""What the simulator checks of the CSMS: every CALL and answer it gets, against the
official OCPP 1.6 schemas, with the same compiled validator the server uses.

The simulator validates what the CSMS sends it, in both directions (its CALLs and its
answers), because its main job besides demos is to catch server bugs in end-to-end tests.
It deliberately does not validate what it sends itself: `call()` is also used to feed a
server deliberately broken payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ampyre.ocpp.v16.errors import NotImplementedError_, OcppError
from ampyre.ocpp.v16.validation import get_validator


def request_problem(action: str, payload: dict[str, Any]) -> OcppError | None:
    """The CALLERROR a charge point should answer a malformed request with, if any."""
    return _problem(get_validator().validate_request, action, payload)


def response_problem(action: str, payload: dict[str, Any]) -> OcppError | None:
    return _problem(get_validator().validate_response, action, payload)


def _problem(
    check: Callable[[str, Any], None], action: str, payload: dict[str, Any]
) -> OcppError | None:
    try:
        check(action, payload)
    except NotImplementedError_:
        return None  # no schema: nothing to check against
    except OcppError as exc:
        return exc
    return None
