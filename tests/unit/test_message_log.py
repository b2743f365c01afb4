"""The message log's buffer (bounds, drop counting, a failed batch put back) and its writer
on a real SQLite file: batches written, read newest first, redacted, pruned, flushed."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import text as sql

from ampyre.services.clock import now
from ampyre.services.message_log import MAX_FRAME, FrameBuffer, MessageLog
from ampyre.storage.database import Database
from ampyre.storage.repositories.messages import LoggedFrame


def logged(n: int, text: str = '[2,"1","Heartbeat",{}]') -> LoggedFrame:
    return LoggedFrame("CP-1", float(n), True, 2, str(n), "Heartbeat", text, len(text), None)


def test_a_full_buffer_drops_its_oldest_frames_and_counts_them() -> None:
    buffer = FrameBuffer(capacity=3, max_chars=10_000)
    for n in range(5):
        buffer.append(logged(n))
    assert len(buffer) == 3
    assert buffer.dropped == 2
    assert [f.unique_id for f in buffer.take(10)] == ["2", "3", "4"]
    assert len(buffer) == 0 and buffer.chars == 0


def test_the_buffer_is_bounded_by_characters_too() -> None:
    buffer = FrameBuffer(capacity=100, max_chars=25)
    for n in range(3):
        buffer.append(logged(n, "x" * 10))
    assert len(buffer) == 2 and buffer.chars == 20 and buffer.dropped == 1


def test_a_batch_that_failed_goes_back_in_front_as_far_as_there_is_room() -> None:
    buffer = FrameBuffer(capacity=4, max_chars=10_000)
    for n in range(4):
        buffer.append(logged(n))
    batch = buffer.take(3)  # 0, 1, 2 are being written
    buffer.append(logged(4))
    buffer.append(logged(5))  # 3, 4, 5 wait
    buffer.put_back(batch)  # room for one: the newest of the batch
    assert [f.unique_id for f in buffer.take(10)] == ["2", "3", "4", "5"]
    assert buffer.dropped == 2


async def test_frames_are_written_in_batches_and_read_newest_first(db: Database) -> None:
    log = MessageLog(db, retention=timedelta(days=7), batch_size=2, interval=0.05)
    log.start()
    try:
        log.frame("CP-1", True, 2, "a", "Heartbeat", '[2,"a","Heartbeat",{}]', None)
        log.frame("CP-1", False, 3, "a", "Heartbeat", '[3,"a",{"currentTime":"x"}]', 1.5)
        log.frame("CP-2", True, None, None, None, "not json", None)
        rows, total = await log.page("CP-1", limit=10, offset=0)
        assert total == 2
        assert [(r.direction, r.message_type, r.unique_id) for r in rows] == [
            ("out", 3, "a"),
            ("in", 2, "a"),
        ]
        assert rows[0].answer_us == 1500
        rows, total = await log.page("CP-1", direction="in", limit=10, offset=0)
        assert total == 1 and rows[0].frame == '[2,"a","Heartbeat",{}]'
        rows, total = await log.page("CP-2", limit=10, offset=0)
        assert total == 1 and rows[0].frame == "not json" and rows[0].message_type is None
        assert log.written == 3 and log.buffer.dropped == 0
    finally:
        await log.stop()


async def test_while_the_database_fails_the_newest_frames_wait_and_are_written_after(
    db: Database,
) -> None:
    log = MessageLog(
        db,
        retention=timedelta(days=7),
        buffer=FrameBuffer(capacity=10),
        batch_size=4,
        interval=0.02,
    )
    log.start()
    async with db.engine.begin() as connection:  # every insert fails from now on
        await connection.execute(sql("ALTER TABLE ocpp_messages RENAME TO elsewhere"))
    for n in range(15):
        log.frame("CP-1", True, 2, str(n), "Heartbeat", f'[2,"{n}","Heartbeat",{{}}]', None)
    await asyncio.sleep(0.2)
    assert log.written == 0
    assert len(log.buffer) == 10 and log.buffer.dropped == 5  # bounded: the oldest went
    started = time.monotonic()
    await log.flush()  # a read does not wait for a database that is away
    assert time.monotonic() - started < 1
    async with db.engine.begin() as connection:
        await connection.execute(sql("ALTER TABLE elsewhere RENAME TO ocpp_messages"))
    await log.flush()
    assert log.written == 10 and len(log.buffer) == 0
    rows, total = await log.page("CP-1", limit=20, offset=0)
    assert total == 10
    assert sorted(int(r.unique_id or "") for r in rows) == list(range(5, 15))
    await log.stop()


async def test_stop_writes_out_what_waits(db: Database) -> None:
    log = MessageLog(db, retention=timedelta(days=7), interval=60)  # no timed write
    log.start()
    for n in range(5):
        log.frame("CP-1", True, 2, str(n), "Heartbeat", f'[2,"{n}","Heartbeat",{{}}]', None)
    await asyncio.sleep(0.05)
    assert log.written == 0
    await log.stop()
    assert log.written == 5 and len(log.buffer) == 0
    reader = MessageLog(db, retention=timedelta(days=7))
    _rows, total = await reader.page("CP-1", limit=10, offset=0)
    assert total == 5


async def test_secrets_sent_to_a_charge_point_are_kept_redacted(db: Database) -> None:
    log = MessageLog(db, retention=timedelta(days=7))
    frame = '[2,"u","ChangeConfiguration",{"key":"AuthorizationKey","value":"0123456789abcdef"}]'
    log.frame("CP-1", False, 2, "u", "ChangeConfiguration", frame, None)
    log.start()
    await log.stop()
    rows, _ = await log.page("CP-1", limit=10, offset=0)
    assert "0123456789abcdef" not in rows[0].frame and '"value":"***"' in rows[0].frame


async def test_long_frames_are_cut_and_nul_characters_stored(db: Database) -> None:
    log = MessageLog(db, retention=timedelta(days=7))
    huge = '[2,"h","DataTransfer",{"vendorId":"V","data":"' + "d" * MAX_FRAME + '"}]'
    log.frame("CP-1", True, 2, "h", "DataTransfer", huge, None)
    log.frame("CP-1", True, None, None, None, "bad\x00frame", None)
    log.frame("CP-1", True, 2, "x", "A" * 500, '[2,"x","' + "A" * 500 + '",{}]', None)
    log.start()
    await log.stop()
    rows, total = await log.page("CP-1", limit=10, offset=0)
    assert total == 3 and log.buffer.dropped == 0
    by_id = {r.unique_id: r for r in rows}
    assert len(by_id["h"].frame) == MAX_FRAME and by_id["h"].size == len(huge)
    assert by_id[None].frame == "bad\\u0000frame"
    assert by_id["x"].action == "A" * 64


async def test_prune_removes_what_is_older_than_the_retention(db: Database) -> None:
    log = MessageLog(db, retention=timedelta(hours=1))
    log.start()
    log.frame("CP-1", True, 2, "old", "Heartbeat", '[2,"old","Heartbeat",{}]', None)
    await log.flush()
    assert await log.prune(now() + timedelta(minutes=30)) == 0
    assert await log.prune(now() + timedelta(hours=2)) == 1
    _rows, total = await log.page("CP-1", limit=10, offset=0)
    assert total == 0
    await log.stop()


async def test_taking_note_of_a_frame_is_cheap() -> None:
    """The message path's share: microseconds of CPU a frame (no I/O, no encoding). CPU
    time, not wall time: the machine may be busy with other work."""
    log = MessageLog(Database("sqlite:///:memory:"), retention=timedelta(days=7))
    text = '[2,"1","Heartbeat",{}]'
    started = time.process_time()
    for n in range(20_000):
        log.frame("CP-1", True, 2, str(n), "Heartbeat", text, None)
    assert (time.process_time() - started) / 20_000 < 50e-6
    assert len(log.buffer) == 20_000
