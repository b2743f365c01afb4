"""The OCPP message log: every frame of every charge point, both ways, for operators to read.

The transport shows each frame to `MessageLog.frame` as it goes over the wire; that only
appends a small record to a bounded buffer in memory, so the message path never waits for
the database. A writer task inserts what waits in batches (every `interval` seconds, or
as soon as a batch is full) as one unit of group commit: on SQLite it shares the one
writer thread instead of contending with it for the file's lock. When the database is
down or cannot keep up, the buffer keeps the newest frames and drops (and counts) the
oldest: a bound on memory, never a wait. On shutdown the buffer is written out.

In a cluster each process writes its own frames to the shared database, so every node
reads the same log. The periodic sweep removes frames older than the retention time.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal

import orjson
from sqlalchemy import delete, select

from ampyre.ocpp.v16.framing import CALL, dumps
from ampyre.services.audit import redact
from ampyre.services.clock import now
from ampyre.storage.database import Database
from ampyre.storage.models import OcppMessage
from ampyre.storage.paging import fetch_page
from ampyre.storage.repositories import messages
from ampyre.storage.repositories.messages import LoggedFrame

log = logging.getLogger("ampyre.message_log")

#: Characters kept of one frame (the rest is cut; its whole length is kept beside it).
MAX_FRAME = 64 * 1024
#: Frames waiting to be written, at most; and their characters, at most.
CAPACITY = 20_000
MAX_WAITING_CHARS = 32 * 1024 * 1024
#: Frames per insert.
BATCH_SIZE = 500
#: Seconds between writes while fewer than a batch wait.
INTERVAL = 0.2
#: The longest pause between attempts while the database fails (s).
MAX_BACKOFF = 5.0
#: How long a read waits for this process's waiting frames to be written (s).
READ_FLUSH_TIMEOUT = 2.0
#: Rows removed per transaction when pruning, and how often pruning runs (s).
PRUNE_CHUNK = 5_000
PRUNE_EVERY = 60.0
#: CSMS-initiated actions whose requests may carry a secret (the AuthorizationKey of
#: security profiles 1 and 2): kept redacted like the audit log's bodies.
SECRET_ACTIONS = frozenset({"ChangeConfiguration"})

Direction = Literal["in", "out"]


class FrameBuffer:
    """Frames waiting to be written, oldest first, bounded in count and in characters.

    Full, it drops the oldest waiting frames and counts them: while the database is away
    the newest history is the most useful, and the message path must never wait.
    """

    def __init__(self, capacity: int = CAPACITY, max_chars: int = MAX_WAITING_CHARS) -> None:
        self.capacity = capacity
        self.max_chars = max_chars
        self._frames: collections.deque[LoggedFrame] = collections.deque()
        self._chars = 0
        #: Frames dropped unwritten since start.
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def chars(self) -> int:
        return self._chars

    def append(self, frame: LoggedFrame) -> None:
        self._frames.append(frame)
        self._chars += len(frame.text)
        while len(self._frames) > self.capacity or self._chars > self.max_chars:
            oldest = self._frames.popleft()
            self._chars -= len(oldest.text)
            self.dropped += 1

    def take(self, count: int) -> list[LoggedFrame]:
        """Up to `count` of the oldest frames, out of the buffer."""
        frames = self._frames
        batch = [frames.popleft() for _ in range(min(count, len(frames)))]
        self._chars -= sum(len(frame.text) for frame in batch)
        return batch

    def put_back(self, batch: list[LoggedFrame]) -> None:
        """A batch that could not be written goes back in front of the newer frames, as
        far as the bounds allow: what does not fit is its oldest part, dropped."""
        for index in range(len(batch) - 1, -1, -1):
            frame = batch[index]
            if len(self._frames) >= self.capacity or self._chars + len(frame.text) > self.max_chars:
                self.dropped += index + 1
                return
            self._frames.appendleft(frame)
            self._chars += len(frame.text)


class MessageLog:
    """Takes note of frames (`frame`, the transport's frame observer), writes them in the
    background (`start`, `stop`), reads them back (`page`) and prunes them (`prune`)."""

    def __init__(
        self,
        db: Database,
        *,
        retention: timedelta,
        buffer: FrameBuffer | None = None,
        batch_size: int = BATCH_SIZE,
        interval: float = INTERVAL,
    ) -> None:
        self.db = db
        self.retention = retention
        self.buffer = buffer if buffer is not None else FrameBuffer()  # an empty one is falsy
        self.batch_size = batch_size
        self.interval = interval
        #: Frames taken note of, and written, since start.
        self.appended = 0
        self.written = 0
        self._in_flight = 0
        self._wake: asyncio.Event | None = None
        self._round_done: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._stopping = False
        #: Whether the last write failed (the database is away): reads then do not wait.
        self._failing = False
        self._last_prune = 0.0
        #: In a cluster: has the node holding a charge point write out its waiting frames.
        self.flush_elsewhere: Callable[[str], Awaitable[None]] | None = None

    # -- the message path ---------------------------------------------------------------

    def frame(
        self,
        charge_point_id: str,
        incoming: bool,
        message_type: int | None,
        unique_id: str | None,
        action: str | None,
        text: str,
        answer_ms: float | None,
    ) -> None:
        """Take note of one frame (`transport.application.FrameObserver`): no I/O."""
        if not incoming and message_type == CALL and action in SECRET_ACTIONS:
            text = _redacted(text)
        self.buffer.append(
            LoggedFrame(
                charge_point_id,
                time.time(),
                incoming,
                message_type,
                unique_id,
                action,
                text[:MAX_FRAME],
                len(text),
                answer_ms,
            )
        )
        self.appended += 1
        if len(self.buffer) >= self.batch_size and self._wake is not None:
            self._wake.set()

    # -- the writer -----------------------------------------------------------------------

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._round_done = asyncio.Event()
        self._writer = asyncio.create_task(self._run(), name="message-log-writer")

    async def stop(self, timeout: float = 10.0) -> None:
        """Write out what waits (a clean shutdown loses no frame), then stop."""
        if self._writer is None or self._wake is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._writer, timeout)
        except TimeoutError:
            pass  # wait_for cancelled it
        except Exception:
            log.exception("the message log writer failed")
        if len(self.buffer):
            self.buffer.dropped += len(self.buffer)
            log.warning("message log: %d frames could not be written", len(self.buffer))
            self.buffer.take(len(self.buffer))

    async def _run(self) -> None:
        assert self._wake is not None and self._round_done is not None
        failures = 0
        while True:
            pause = (
                self.interval if failures == 0 else min(MAX_BACKOFF, self.interval * 2**failures)
            )
            if not self._stopping:
                try:
                    async with asyncio.timeout(pause):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            self._wake.clear()
            stopping = self._stopping
            try:
                await self._write_waiting()
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.warning(
                        "message log: cannot write (%s); %d frames wait, retrying",
                        exc,
                        len(self.buffer),
                    )
            else:
                if failures:
                    log.info(
                        "message log: writing again (%d frames dropped so far)", self.buffer.dropped
                    )
                failures = 0
            self._failing = failures > 0
            self._round_done.set()
            self._round_done.clear()
            if stopping:
                return

    async def _write_waiting(self) -> None:
        while len(self.buffer):
            batch = self.buffer.take(self.batch_size)
            self._in_flight = len(batch)
            try:
                await self.db.commits.run(functools.partial(messages.insert, frames=batch))
            except BaseException:
                self.buffer.put_back(batch)
                raise
            finally:
                self._in_flight = 0
            self.written += len(batch)

    async def flush(self, timeout: float = READ_FLUSH_TIMEOUT) -> None:
        """Wait until the frames noted so far are written (or dropped), `timeout` at most:
        what a read shows is then up to date for this process."""
        if self._wake is None or self._round_done is None or self._stopping:
            return
        target = self.appended
        deadline = asyncio.get_running_loop().time() + timeout
        while self.appended - len(self.buffer) - self._in_flight < target:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            self._wake.set()
            try:
                async with asyncio.timeout(remaining):
                    await self._round_done.wait()
            except TimeoutError:
                return
            if self._failing:  # the database is away: one attempt, not a wait
                return

    # -- reading and pruning --------------------------------------------------------------

    async def page(
        self,
        charge_point_id: str,
        *,
        action: str | None = None,
        direction: Direction | None = None,
        message_type: int | None = None,
        message_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[OcppMessage], int]:
        """A charge point's frames, newest first, within [since, until) when given: the
        ones still waiting here (and, in a cluster, on its node) written out first."""
        await self.flush()
        if self.flush_elsewhere is not None:
            await self.flush_elsewhere(charge_point_id)
        query = select(OcppMessage).where(OcppMessage.charge_point_id == charge_point_id)
        if action is not None:
            query = query.where(OcppMessage.action == action)
        if direction is not None:
            query = query.where(OcppMessage.direction == direction)
        if message_type is not None:
            query = query.where(OcppMessage.message_type == message_type)
        if message_id is not None:
            query = query.where(OcppMessage.unique_id == message_id)
        if since is not None:
            query = query.where(OcppMessage.time >= since)
        if until is not None:
            query = query.where(OcppMessage.time < until)
        return await fetch_page(
            self.db.sessions,
            query,
            OcppMessage.time.desc(),
            OcppMessage.id.desc(),
            limit=limit,
            offset=offset,
        )

    async def prune(self, at: datetime | None = None) -> int:
        """Remove the frames older than the retention time; how many went."""
        cutoff = (at or now()) - self.retention
        removed = 0
        while True:
            async with self.db.sessions.begin() as session:
                oldest = (
                    select(OcppMessage.id)
                    .where(OcppMessage.time < cutoff)
                    .limit(PRUNE_CHUNK)
                    .scalar_subquery()
                )
                result = await session.execute(
                    delete(OcppMessage).where(OcppMessage.id.in_(oldest))
                )
            count = int(getattr(result, "rowcount", 0) or 0)
            removed += count
            if count < PRUNE_CHUNK:
                return removed

    async def prune_if_due(self) -> None:
        """Prune at most every PRUNE_EVERY seconds (the sweep runs more often)."""
        if time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        removed = await self.prune()
        if removed:
            log.info("message log: removed %d frames older than %s", removed, self.retention)


def _redacted(text: str) -> str:
    """A CALL frame with its secret-looking payload values replaced by "***"."""
    try:
        frame = orjson.loads(text)
        frame[3] = redact(frame[3])
        return dumps(frame)
    except (ValueError, IndexError, TypeError):
        return text
