"""One local list sync per charge point at a time: in this process, and across nodes."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from ampyre.services.errors import Conflict
from ampyre.services.locks import LocalLocks, Locks


async def exclusive_while_held(locks: Locks, other: Locks) -> None:
    name = f"local-list:{uuid.uuid4().hex}"
    async with locks.exclusive(name, wait=1):
        with pytest.raises(Conflict):
            async with other.exclusive(name, wait=0.2):
                pass
    # Free again once released; other names never wait.
    async with other.exclusive(name, wait=1), locks.exclusive(name + "-2", wait=0.2):
        pass


async def test_local_locks_keep_one_holder_and_forget_free_names() -> None:
    locks = LocalLocks()
    await exclusive_while_held(locks, locks)
    assert len(locks._locks) == 0


async def test_a_waiter_gets_the_lock_when_it_is_released() -> None:
    locks, order = LocalLocks(), []

    async def hold(label: str) -> None:
        async with locks.exclusive("x", wait=2):
            order.append(label)
            await asyncio.sleep(0.05)

    await asyncio.gather(hold("first"), hold("second"))
    assert order == ["first", "second"]


async def test_redis_locks_keep_two_nodes_apart() -> None:
    url = os.environ.get("AMPYRE_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs AMPYRE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    from redis.asyncio import Redis

    from ampyre.cluster.locks import RedisLocks

    node_a, node_b = Redis.from_url(url), Redis.from_url(url)
    try:
        await exclusive_while_held(RedisLocks(node_a, "test"), RedisLocks(node_b, "test"))
    finally:
        await node_a.aclose()
        await node_b.aclose()
