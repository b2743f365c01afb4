"""Exceptions raised by the simulator's Python API.

They all derive from SimulatorError so that the CLI can turn any of them into a one-line
message and a non-zero exit status instead of a traceback.
"""

from __future__ import annotations

from typing import Any


class SimulatorError(Exception):
    """Base class: something the simulator could not do, explained in the message."""


class ConnectError(SimulatorError):
    """The WebSocket could not be opened: unreachable server or refused upgrade.

    `status_code` is the HTTP status of a refused upgrade (401, 404...), None otherwise, so
    that tests can tell an authentication failure from a network failure.
    """

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class ConnectionLost(SimulatorError):
    """The socket closed while a CALL was waiting, or a CALL was attempted while offline."""


class CallErrorReceived(SimulatorError):
    """The CSMS answered one of our CALLs with a CALLERROR."""

    def __init__(
        self,
        code: str,
        description: str = "",
        details: dict[str, Any] | None = None,
        action: str = "",
    ) -> None:
        super().__init__(f"{action} answered with CALLERROR {code}: {description}".strip())
        self.code = code
        self.description = description
        self.details: dict[str, Any] = details or {}
        self.action = action


class InvalidResponse(SimulatorError):
    """The CSMS's CALLRESULT does not match the action's JSON schema.

    Raised rather than tolerated because the simulator is the engine of the end-to-end
    tests: a server bug in a response must fail the test that provoked it.
    """

    def __init__(self, action: str, problem: str, payload: dict[str, Any]) -> None:
        super().__init__(f"{action}.conf violates the OCPP 1.6 schema: {problem}")
        self.action = action
        self.problem = problem
        self.payload = payload


class ScriptError(SimulatorError):
    """A scenario that is malformed, or a step whose outcome was not the expected one."""
