"""The repeated-CALL answers of every node, in Redis (`SharedAnswers`).

Each node keeps its recent answers in memory; in a cluster each charge point's latest
answer is also written to Redis, so a charge point that reconnects to another node and
repeats the CALL it got no answer to gets the same answer there, and the message takes
effect once. Only the latest matters: a charge point sends a CALL only once the one
before was answered (OCPP-J 1.6, 4.1.1), so the one it can repeat is its last. One key per
charge point, all written by one script call per flush a tenth of a second apart: the
cost per message is a dictionary assignment. A node reads a charge point's last answer once, at
the first CALL of a new connection, into that connection's own answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("ampyre.cluster")

#: How often new answers are written (s).
FLUSH_INTERVAL = 0.1
#: How long a charge point's last answer is kept after it was written (s).
ANSWER_TTL = 600


# Set every key to its answer, each to expire after ARGV[#ARGV] seconds: one round trip.
_STORE = """
local ttl = ARGV[#ARGV]
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i], 'EX', ttl)
end
return 0
"""


class RedisAnswers:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:answer:"
        #: The latest answer per charge point since the last flush: bounded by the fleet.
        self._waiting: dict[str, bytes] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._store = redis.register_script(_STORE)

    def remember(self, identity: str, key: tuple[str, str, str], frame: str) -> None:
        self._waiting[self.prefix + identity] = orjson.dumps([*key, frame])
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def last(self, identity: str) -> tuple[tuple[str, str, str], str] | None:
        try:
            value = await self.redis.get(self.prefix + identity)
        except RedisError as exc:
            log.debug("answer lookup skipped: %s", exc)
            return None
        if value is None:
            return None
        unique_id, action, digest, frame = orjson.loads(value)
        return (str(unique_id), str(action), str(digest)), str(frame)

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_INTERVAL)
        await self.flush()

    async def flush(self) -> None:
        waiting, self._waiting = self._waiting, {}
        if not waiting:
            return
        try:
            await self._store(keys=list(waiting), args=[*waiting.values(), ANSWER_TTL])
        except RedisError as exc:
            log.debug("%d answers not shared: %s", len(waiting), exc)

    async def close(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._flusher
        await self.flush()
