"""Which charge point is connected where, and CALLs to it by identity."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from ampyre.transport.answer_cache import AnswerCache
from ampyre.transport.connection import ChargePointConnection
from ampyre.transport.errors import ConnectionClosed, NotConnected

log = logging.getLogger("ampyre.connections")

#: WebSocket close code for a connection replaced by a newer one of the same identity.
CLOSE_REPLACED = 4000


class ConnectionRegistry:
    """The newest connection per identity; a new one replaces (and closes) the old one."""

    def __init__(self) -> None:
        self._connections: dict[str, ChargePointConnection] = {}
        self._answers: dict[str, AnswerCache] = {}

    def answers_for(self, charge_point_id: str) -> AnswerCache:
        """The repeated-CALL cache outlives connections: retries come after reconnects."""
        cache = self._answers.get(charge_point_id)
        if cache is None:
            cache = self._answers[charge_point_id] = AnswerCache()
        return cache

    async def add(self, connection: ChargePointConnection) -> None:
        previous = self._connections.get(connection.charge_point_id)
        self._connections[connection.charge_point_id] = connection
        if previous is not None:
            log.info("[%s] new connection replaces the old one", connection.charge_point_id)
            previous.closed = True
            await previous.close(CLOSE_REPLACED, "replaced by a new connection")

    def remove(self, connection: ChargePointConnection) -> bool:
        """Forget a closed connection; False when a newer one had already replaced it."""
        if self._connections.get(connection.charge_point_id) is connection:
            del self._connections[connection.charge_point_id]
            return True
        return False

    def get(self, charge_point_id: str) -> ChargePointConnection | None:
        return self._connections.get(charge_point_id)

    def all(self) -> list[ChargePointConnection]:
        return list(self._connections.values())

    async def drain(self, timeout: float) -> None:
        """On shutdown: let every connection finish and answer what it has taken."""
        connections = self.all()
        if not connections:
            return
        log.info("finishing in-flight messages of %d connections", len(connections))
        try:
            await asyncio.wait_for(
                asyncio.gather(*(connection.drain() for connection in connections)), timeout
            )
        except TimeoutError:
            log.warning("in-flight messages not finished after %.0f s", timeout)

    # -- by identity ----------------------------------------------------------------------

    def is_connected(self, charge_point_id: str) -> bool:
        connection = self._connections.get(charge_point_id)
        return connection is not None and not connection.closed

    def last_seen(self, charge_point_id: str) -> datetime | None:
        connection = self._connections.get(charge_point_id)
        return connection.last_activity if connection is not None else None

    def connected_ids(self) -> set[str]:
        return {cp for cp, connection in self._connections.items() if not connection.closed}

    async def call(
        self, charge_point_id: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """Send a CALL to the identity's connection and return the CALLRESULT payload.

        Raises NotConnected, CallTimeout or CallErrorAnswer (`transport/errors.py`).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            connection = self._connections.get(charge_point_id)
            if connection is None or connection.closed:
                raise NotConnected(f"Charge point {charge_point_id!r} is not connected")
            try:
                return await connection.call(action, payload, max(0.0, deadline - loop.time()))
            except ConnectionClosed as exc:
                # Replaced or dropped while the command waited its turn: a newer
                # connection takes it; with none, the charge point is offline.
                if exc.sent or self._connections.get(charge_point_id) is connection:
                    raise NotConnected(
                        f"Charge point {charge_point_id!r} disconnected before answering"
                    ) from None

    async def disconnect(self, charge_point_id: str, reason: str, code: int = 1000) -> None:
        connection = self._connections.get(charge_point_id)
        if connection is not None:
            connection.closed = True
            await connection.close(code, reason)
