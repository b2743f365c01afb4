"""Which node holds each charge point's connection, kept in Redis and mirrored locally.

A node claims an identity when a charge point connects to it: `SET key node GET` names
the node that held it before, which is then told to close its connection (the newest
connection wins across nodes). Each key expires unless its node keeps renewing it, so the
charge points of a node that died are released within `HOLD_TTL` seconds.

Every node keeps a mirror of the other nodes' claims, so the API can say `connected` and
`lastSeen` for the whole network without a Redis round trip per charge point: claims,
releases and lastSeen times are broadcast as they happen, and the mirror is rebuilt from
the keys every `RESYNC_INTERVAL` seconds to catch what a broadcast missed and the keys
that expired.

The Redis client decodes responses: keys, values and messages are `str`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import orjson
from redis.asyncio import Redis

#: How long a claim lives without renewal (s), and how often a live node renews (s).
HOLD_TTL = 10.0
RENEW_INTERVAL = 3.0
#: How often the mirror is rebuilt from the keys (s).
RESYNC_INTERVAL = 5.0
#: lastSeen times of released charge points remembered at most.
MAX_RELEASED = 10_000

# Renew the claims a node still holds; put back the ones Redis lost (restart, eviction),
# never overwrite a newer node's claim.
_RENEW = """
local node, ttl = ARGV[1], tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == node then
    redis.call('PEXPIRE', key, ttl)
  elseif not holder then
    redis.call('SET', key, node, 'PX', ttl)
  end
end
return 0
"""
# Release a claim only if it is still this node's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Presence:
    def __init__(self, redis: Redis, namespace: str, node_id: str) -> None:
        self.redis = redis
        self.namespace = namespace
        self.node_id = node_id
        self.channel = f"{namespace}:presence"
        self._prefix = f"{namespace}:cp:"
        #: Charge points held by other nodes: identity -> node.
        self.remote: dict[str, str] = {}
        #: When those charge points last sent anything, as their nodes broadcast it.
        self.remote_seen: dict[str, datetime] = {}
        #: When charge points that left another node last sent anything: the API shows
        #: it until that node's own write of lastSeen (within a second) is in the database.
        self.released_seen: dict[str, datetime] = {}
        #: Claims and releases heard while a resync reads the keys: they are newer.
        self._heard: dict[str, str | None] | None = None
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def key(self, charge_point_id: str) -> str:
        return self._prefix + charge_point_id

    # -- this node's claims ---------------------------------------------------------------

    async def claim(self, charge_point_id: str) -> str | None:
        """Record this node as the holder; returns the other node that held it, if any."""
        # Not another node's any more, whatever the mirror heard before.
        self.remote.pop(charge_point_id, None)
        self.remote_seen.pop(charge_point_id, None)
        previous = await self.redis.set(
            self.key(charge_point_id), self.node_id, px=int(HOLD_TTL * 1000), get=True
        )
        await self._broadcast({"up": [charge_point_id]})
        return previous if isinstance(previous, str) and previous != self.node_id else None

    async def release(self, charge_point_id: str, last_seen: datetime | None = None) -> None:
        if await self._release(keys=[self.key(charge_point_id)], args=[self.node_id]):
            event: dict[str, object] = {"down": [charge_point_id]}
            if last_seen is not None:
                event["released"] = {charge_point_id: last_seen.isoformat()}
            await self._broadcast(event)

    async def renew(self, charge_point_ids: Iterable[str]) -> None:
        keys = [self.key(cp) for cp in charge_point_ids]
        for start in range(0, len(keys), 1000):
            await self._renew(
                keys=keys[start : start + 1000], args=[self.node_id, int(HOLD_TTL * 1000)]
            )

    async def announce_seen(self, seen: dict[str, datetime]) -> None:
        if seen:
            await self._broadcast({"seen": {cp: at.isoformat() for cp, at in seen.items()}})

    async def holder(self, charge_point_id: str) -> str | None:
        """The node holding the charge point now, read from Redis (not the mirror)."""
        value = await self.redis.get(self.key(charge_point_id))
        return str(value) if value is not None else None

    # -- the other nodes' claims ----------------------------------------------------------

    def apply(self, message: str) -> None:
        """Apply another node's broadcast to the mirror."""
        event = orjson.loads(message)
        node = event.get("node")
        if node == self.node_id:
            return
        for cp in event.get("up", ()):
            self.remote[cp] = node
            self.released_seen.pop(cp, None)
            if self._heard is not None:
                self._heard[cp] = node
        for cp in event.get("down", ()):
            if self.remote.get(cp) == node:
                del self.remote[cp]
                self.remote_seen.pop(cp, None)
                if self._heard is not None:
                    self._heard[cp] = None
        for cp, at in event.get("released", {}).items():
            if len(self.released_seen) >= MAX_RELEASED:
                self.released_seen.clear()
            self.released_seen[cp] = datetime.fromisoformat(at)
        for cp, at in event.get("seen", {}).items():
            if self.remote.get(cp) == node:
                self.remote_seen[cp] = datetime.fromisoformat(at)

    async def resync(self) -> None:
        """Rebuild the mirror from the keys: expired claims go, missed ones come. What is
        heard meanwhile is newer than what the keys said when they were read."""
        self._heard = {}
        try:
            keys = [k async for k in self.redis.scan_iter(match=self._prefix + "*", count=1000)]
            remote: dict[str, str] = {}
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                for key, value in zip(chunk, await self.redis.mget(chunk), strict=True):
                    if value is not None and value != self.node_id:
                        remote[str(key)[len(self._prefix) :]] = str(value)
            for cp, node in self._heard.items():
                if node is None:
                    remote.pop(cp, None)
                else:
                    remote[cp] = node
        finally:
            self._heard = None
        self.remote = remote
        self.remote_seen = {cp: at for cp, at in self.remote_seen.items() if cp in remote}

    async def _broadcast(self, event: dict[str, object]) -> None:
        event["node"] = self.node_id
        await self.redis.publish(self.channel, orjson.dumps(event))
