"""What the domain needs from the transport: a way to reach connected charge points.

The transport layer implements this protocol; services and the API depend only on it, so
they never reach into WebSocket internals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from ampyre.services.errors import Conflict


class ChargePointGateway(Protocol):
    def is_connected(self, charge_point_id: str) -> bool: ...

    def connected_ids(self) -> set[str]: ...

    def last_seen(self, charge_point_id: str) -> datetime | None:
        """When a connected charge point last sent anything (None when not connected)."""
        ...

    async def call(
        self, charge_point_id: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """Send a CALL and return the CALLRESULT payload.

        Raises Conflict when the charge point is not connected, ChargePointCallError on a
        CALLERROR answer and ChargePointTimeout when no answer comes in time.
        """
        ...

    def check_request(self, action: str, payload: Any) -> None:
        """Check a CSMS-initiated request against the action's schema before it is sent.

        Raises NotFound for an action the CSMS cannot send and InvalidRequest, naming the
        broken rule, for a payload the schema refuses.
        """
        ...

    async def disconnect(self, charge_point_id: str, reason: str) -> None: ...


class OfflineGateway:
    """The gateway of a process without charge point connections (CLI, tests,
    benchmarks): nothing is connected, and a command is refused."""

    def is_connected(self, charge_point_id: str) -> bool:
        return False

    def connected_ids(self) -> set[str]:
        return set()

    def last_seen(self, charge_point_id: str) -> datetime | None:
        return None

    def check_request(self, action: str, payload: Any) -> None:
        raise Conflict("Commands to charge points go through a running server")

    async def call(
        self, charge_point_id: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        raise Conflict("Commands to charge points go through a running server")

    async def disconnect(self, charge_point_id: str, reason: str) -> None:
        return None
