"""Group commit: the hot OCPP writes of every connection, one database transaction per batch.

A unit of work is a plain function of a `Cursor` (the repositories' statements, no ORM).
Units wait in one queue; a single committer takes everything queued, runs it in one
transaction and commits once, then resolves all of the batch's waiters together. Under
load a batch holds as many messages as arrived during the previous commit, so the cost of
a commit (and of the hop to the database thread) is shared; at low load a unit commits
alone at once, with no timer to wait for.

An answer goes out only after its batch committed. One failing unit does not fail its
neighbours: the batch is rolled back and run again without it (no savepoint per unit on
the common path, where nothing fails).

- SQLite: one thread owns one `sqlite3` connection (no thread hop per statement, as with
  aiosqlite: one per batch).
- PostgreSQL: one asyncio task runs the batch on one asyncpg connection of the engine's
  pool, through SQLAlchemy's adapted DB-API cursor inside `run_sync`.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ampyre.storage.sql import Cursor, PostgresCursor, SqliteCursor

log = logging.getLogger("ampyre.storage")

T = TypeVar("T")
Unit = Callable[[Cursor], Any]

#: Most units in one transaction: bounds the latency of a batch's first waiter.
MAX_BATCH = 512


class _Pending:
    __slots__ = ("future", "unit")

    def __init__(self, unit: Unit, future: asyncio.Future[Any]) -> None:
        self.unit = unit
        self.future = future


class GroupCommit:
    """The queue and the batch logic; subclasses provide the connection that runs it."""

    def __init__(self) -> None:
        self._queue: collections.deque[_Pending] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.units = 0

    async def run(self, unit: Callable[[Cursor], T]) -> T:
        """Run `unit` in the next batch; its result once the batch is committed."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Pending(unit, future))
        self._wake()
        return await future

    def _wake(self) -> None:
        raise NotImplementedError

    def _take(self) -> list[_Pending]:
        queue = self._queue
        batch: list[_Pending] = []
        while queue and len(batch) < MAX_BATCH:
            batch.append(queue.popleft())
        return batch

    def _run_batch(self, cursor: Cursor, batch: list[_Pending]) -> list[tuple[_Pending, Any, Any]]:
        """Run a batch in one transaction: (pending, result, error) per unit.

        `cursor.begin()`/`commit()`/`rollback()` bracket the transaction. A unit that
        raises is set aside and the rest run again in a fresh transaction.
        """
        failed: dict[int, BaseException] = {}
        while True:
            results: list[tuple[_Pending, Any, Any]] = []
            cursor.begin()
            failure: int | None = None
            for index, pending in enumerate(batch):
                if index in failed:
                    results.append((pending, None, failed[index]))
                    continue
                try:
                    results.append((pending, pending.unit(cursor), None))
                except Exception as exc:
                    if cursor.lost():
                        raise  # the database went away: the whole batch fails, now
                    failed[index] = exc
                    failure = index
                    break
            if failure is not None:
                cursor.rollback()
                continue
            try:
                cursor.commit()
            except Exception as exc:
                cursor.rollback()
                return [(pending, None, exc) for pending in batch]
            self.batches += 1
            self.units += len(batch)
            return results

    @staticmethod
    def _resolve(results: list[tuple[_Pending, Any, Any]]) -> None:
        for pending, result, error in results:
            future = pending.future
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    async def close(self) -> None:
        raise NotImplementedError


#: Seconds between WAL checkpoints of an SQLite database (see `SqliteGroupCommit`).
CHECKPOINT_INTERVAL = 1.0
#: Write-ahead log size (pages) past which a checkpoint makes writers wait for it to
#: finish, so that the log starts over instead of growing without end (64 MiB).
WAL_RESTART_PAGES = 16384


class SqliteGroupCommit(GroupCommit):
    """The committer thread of an SQLite database, and its checkpointer.

    SQLite checkpoints its write-ahead log inside whichever commit crosses 1,000 pages,
    and a checkpoint waits for the disk (fsync): a commit that meets one holds up its
    whole batch for tens of milliseconds. The committer's connection therefore never
    checkpoints; a second thread does, passively, beside the commits.
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._signal = threading.Event()
        self._idle = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._main, name="ampyre-commit", daemon=True)
        self._checkpointer = threading.Thread(
            target=self._checkpoints, name="ampyre-checkpoint", daemon=True
        )
        self._started = False

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        # The same tuning as the engine's connections (storage/database.py): WAL, durable
        # against a killed process, foreign keys on.
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=30000",
        ):
            connection.execute(pragma)
        return connection

    def _wake(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()
            self._checkpointer.start()
        # Only an idle committer needs waking: a busy one takes the queue when it is done.
        if self._idle:
            self._signal.set()

    def _main(self) -> None:
        connection = self._connect()
        connection.execute("PRAGMA wal_autocheckpoint=0")
        cursor = SqliteCursor(connection)
        loop = self._loop
        assert loop is not None
        try:
            while True:
                while self._queue:
                    batch = self._take()
                    results = self._run_batch(cursor, batch)
                    loop.call_soon_threadsafe(self._resolve, results)
                if self._stopping.is_set():
                    return
                self._idle = True
                if not self._queue:  # what came while `_idle` was False is taken now
                    self._signal.wait()
                self._signal.clear()
                self._idle = False
        finally:
            connection.close()

    def _checkpoints(self) -> None:
        connection = self._connect()
        try:
            while not self._stopping.wait(CHECKPOINT_INTERVAL):
                try:
                    _busy, wal_pages, _done = connection.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)"
                    ).fetchone()
                    if wal_pages > WAL_RESTART_PAGES:
                        # Under steady writes a passive checkpoint never catches up with
                        # the end of the log, so the log never starts over: now and then
                        # writers wait for one that does.
                        connection.execute("PRAGMA wal_checkpoint(RESTART)")
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint failed: %s", exc)
        finally:
            connection.close()

    async def close(self) -> None:
        if not self._started:
            return
        self._stopping.set()
        self._signal.set()
        await asyncio.to_thread(self._thread.join, 10)
        await asyncio.to_thread(self._checkpointer.join, 10)


class PostgresGroupCommit(GroupCommit):
    """Committer tasks of a PostgreSQL database, each on its own asyncpg connection.

    A batch runs one statement round trip after another; with one committer, throughput
    would be bound by the round-trip time, not by either CPU. Several committers run
    batches side by side (PostgreSQL's MVCC keeps them apart; one charge point's messages
    are sequential anyway: the next waits for the previous answer).
    """

    def __init__(self, engine: AsyncEngine, committers: int = 8) -> None:
        super().__init__()
        self.engine = engine
        self.committers = committers
        self._tasks: list[asyncio.Task[None]] = []
        self._signal = asyncio.Event()
        self._stopping = False

    def _wake(self) -> None:
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [
                loop.create_task(self._main(), name=f"commit-{n}") for n in range(self.committers)
            ]
        self._signal.set()

    async def _main(self) -> None:
        connection: AsyncConnection | None = None
        cursor: PostgresCursor | None = None
        try:
            while True:
                await self._signal.wait()
                self._signal.clear()
                while self._queue:
                    batch = self._take()
                    try:
                        if connection is None or cursor is None:
                            connection = await self.engine.connect()
                            raw = await connection.get_raw_connection()
                            cursor = PostgresCursor(raw.dbapi_connection)
                        results = await connection.run_sync(
                            functools.partial(self._run_on, cursor=cursor, batch=batch)
                        )
                    except Exception as exc:  # the database is unreachable: fail the batch
                        log.warning("database unavailable for a batch of %d: %s", len(batch), exc)
                        results = [(pending, None, exc) for pending in batch]
                        if connection is not None:
                            # Not back into the pool: the next batch connects afresh.
                            await _discard_quietly(connection)
                        connection = cursor = None
                    self._resolve(results)
                if self._stopping:
                    return
        finally:
            if connection is not None:
                await _close_quietly(connection)

    def _run_on(
        self, _sync_connection: Any, *, cursor: Cursor, batch: list[_Pending]
    ) -> list[tuple[_Pending, Any, Any]]:
        return self._run_batch(cursor, batch)

    async def close(self) -> None:
        if not self._tasks:
            return
        self._stopping = True
        self._signal.set()
        _done, pending = await asyncio.wait(self._tasks, timeout=10)
        for task in pending:
            task.cancel()


async def _close_quietly(connection: AsyncConnection) -> None:
    try:
        await connection.close()
    except Exception:
        log.debug("closing a broken committer connection failed", exc_info=True)


async def _discard_quietly(connection: AsyncConnection) -> None:
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:
        log.debug("discarding a broken committer connection failed", exc_info=True)
