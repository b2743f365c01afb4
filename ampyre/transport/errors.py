"""What can go wrong with a CALL the CSMS sends: the transport's own errors.

The transport knows nothing of the domain's errors or of HTTP; the gateway adapter
(`handlers/gateway.py`) turns these into the domain's `Conflict`, `ChargePointCallError`
and `ChargePointTimeout`.
"""

from __future__ import annotations

from typing import Any


class TransportError(Exception):
    """A CALL to a charge point did not get a CALLRESULT."""


class NotConnected(TransportError):
    """No open connection for the identity, or it closed before it answered."""


class ConnectionClosed(TransportError):
    """The connection ended before an outgoing CALL could be sent or answered."""

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        #: Whether the CALL had reached the socket (then it must not be sent again).
        self.sent = sent


class CallTimeout(TransportError):
    """No answer within the CALL's time limit."""


class CallErrorAnswer(TransportError):
    """The charge point answered with a CALLERROR (or with a CALLRESULT that breaks the
    response schema, reported with the schema's error code)."""

    def __init__(self, code: str, description: str, details: dict[str, Any]) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details
