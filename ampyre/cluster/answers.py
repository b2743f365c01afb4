"""The repeated-CALL answers of every node, in Redis (`SharedAnswers`).

Each node keeps its recent answers in memory; in a cluster they are also written to
Redis, in batches a tenth of a second apart, so a charge point that reconnects to another
node and repeats a CALL it got no answer to gets the same answer there, and the message
takes effect once. A node looks there only for the CALLs of its newly opened connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("ampyre.cluster")

#: How long an answer is kept for a repeat (s), and how often new ones are written (s).
ANSWER_TTL = 600
FLUSH_INTERVAL = 0.1
#: Answers waiting to be written, at most (beyond: dropped, like an unreachable Redis).
MAX_WAITING = 100_000


class RedisAnswers:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:answer:"
        self._waiting: list[tuple[str, str]] = []
        self._flusher: asyncio.Task[None] | None = None

    def _key(self, identity: str, key: tuple[str, str, str]) -> str:
        unique_id, action, digest = key
        return f"{self.prefix}{identity}:{action}:{digest}:{unique_id}"

    def remember(self, identity: str, key: tuple[str, str, str], frame: str) -> None:
        if len(self._waiting) < MAX_WAITING:
            self._waiting.append((self._key(identity, key), frame))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def recall(self, identity: str, key: tuple[str, str, str]) -> str | None:
        try:
            value = await self.redis.get(self._key(identity, key))
        except RedisError as exc:
            log.debug("answer lookup skipped: %s", exc)
            return None
        return str(value) if value is not None else None

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_INTERVAL)
        await self.flush()

    async def flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, frame in waiting:
                    pipe.set(key, frame, ex=ANSWER_TTL)
                await pipe.execute()
        except RedisError as exc:
            log.debug("%d answers not shared: %s", len(waiting), exc)

    async def close(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._flusher
        await self.flush()
