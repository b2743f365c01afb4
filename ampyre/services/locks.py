"""Sections that one node of the whole system runs at a time, per name.

A local list sync of a charge point is a conversation of several calls whose versions
build on each other: two at once would interleave their SendLocalList versions. On one
node an asyncio lock per name keeps them apart; in a cluster the composition root passes
locks held in Redis (`cluster/locks.py`) instead, so two nodes do not run one at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from ampyre.services.errors import Conflict


class Locks(Protocol):
    def exclusive(self, name: str, *, wait: float) -> AbstractAsyncContextManager[None]:
        """Hold `name` for the block, waiting at most `wait` seconds for it (else
        `Conflict`)."""
        ...


class LocalLocks:
    """Locks of this process: enough without a cluster."""

    def __init__(self) -> None:
        # A lock lives while someone holds or awaits it: no entry per charge point forever.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str, *, wait: float) -> AsyncIterator[None]:
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), wait)
        except TimeoutError:
            raise Conflict(f"{name} is busy: try again when it is done") from None
        try:
            yield
        finally:
            lock.release()
