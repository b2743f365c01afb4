"""Locks held in Redis, so that one node of the cluster at a time runs a section.

A lock expires unless its holder renews it, so the locks of a node that died are free
again within `TTL` seconds; the holder renews while it runs the section.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from ampyre.services.errors import Conflict, Unavailable

#: How long a lock outlives its holder (s); it is renewed every third of it.
TTL = 10.0


class RedisLocks:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.prefix = f"{namespace}:lock:"

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str, *, wait: float) -> AsyncIterator[None]:
        lock = self.redis.lock(self.prefix + name, timeout=TTL, sleep=0.05, blocking_timeout=wait)
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            raise Unavailable(f"The cluster's Redis is unreachable: {exc}") from None
        if not acquired:
            raise Conflict(f"{name} is busy: try again when it is done")
        renewal = asyncio.create_task(self._renew(lock))
        try:
            yield
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            with contextlib.suppress(LockError, RedisError):
                await lock.release()

    @staticmethod
    async def _renew(lock: Lock) -> None:
        while True:
            await asyncio.sleep(TTL / 3)
            with contextlib.suppress(LockError, RedisError):
                await lock.reacquire()
