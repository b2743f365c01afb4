"""The gateway of a node in a cluster: its own connections first, then the other nodes.

`connected` and `lastSeen` of charge points held elsewhere come from the presence mirror;
a command for one of them goes to its node over the bus and comes back with the same
outcomes as a local one (not connected, CALLERROR, time-out). With Redis unreachable, a
command for a charge point that is not held here fails with `Unavailable` (503).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redis.exceptions import RedisError

from ampyre.cluster.bus import NodeBus, outcome
from ampyre.cluster.presence import Presence
from ampyre.handlers.gateway import ConnectionGateway
from ampyre.services.errors import Conflict, Unavailable


class ClusterGateway:
    def __init__(self, local: ConnectionGateway, presence: Presence, bus: NodeBus) -> None:
        self.local = local
        self.presence = presence
        self.bus = bus

    def is_connected(self, charge_point_id: str) -> bool:
        return self.local.is_connected(charge_point_id) or charge_point_id in self.presence.remote

    def connected_ids(self) -> set[str]:
        return self.local.connected_ids() | self.presence.remote.keys()

    def last_seen(self, charge_point_id: str) -> datetime | None:
        presence = self.presence
        return (
            self.local.last_seen(charge_point_id)
            or presence.remote_seen.get(charge_point_id)
            or presence.released_seen.get(charge_point_id)
        )

    def check_request(self, action: str, payload: Any) -> None:
        self.local.check_request(action, payload)

    async def call(
        self, charge_point_id: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        if self.local.is_connected(charge_point_id):
            return await self.local.call(charge_point_id, action, payload, timeout)
        node = await self._holder(charge_point_id)
        message = {
            "kind": "call",
            "chargePointId": charge_point_id,
            "action": action,
            "payload": payload,
            "timeout": timeout,
        }
        try:
            reply = await self.bus.request(node, message, timeout)
        except RedisError as exc:
            raise Unavailable(f"The cluster's Redis is unreachable: {exc}") from None
        return outcome(reply)

    async def disconnect(self, charge_point_id: str, reason: str) -> None:
        if self.local.is_connected(charge_point_id):
            await self.local.disconnect(charge_point_id, reason)
            return
        if charge_point_id not in self.presence.remote:
            return
        try:
            node = await self.presence.holder(charge_point_id)
            if node and node != self.presence.node_id:
                await self.bus.tell(
                    node, {"kind": "disconnect", "chargePointId": charge_point_id, "reason": reason}
                )
        except RedisError as exc:
            raise Unavailable(f"The cluster's Redis is unreachable: {exc}") from None

    async def _holder(self, charge_point_id: str) -> str:
        try:
            node = await self.presence.holder(charge_point_id)
        except RedisError as exc:
            raise Unavailable(f"The cluster's Redis is unreachable: {exc}") from None
        if node is None or node == self.presence.node_id:
            raise Conflict(f"Charge point {charge_point_id!r} is not connected")
        return node
