"""The OCPP message log's batch insert: many frames, one statement run per batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from ampyre.storage.sql import Cursor, Sql


class LoggedFrame(NamedTuple):
    """One frame as the message log keeps it until it is written (see `OcppMessage`)."""

    charge_point_id: str
    #: Seconds since the epoch (`time.time()`): cheaper to take than a datetime.
    time: float
    incoming: bool
    message_type: int | None
    unique_id: str | None
    action: str | None
    #: The frame's text, already cut to the log's bound.
    text: str
    #: The whole frame's length.
    size: int
    answer_ms: float | None


_INSERT = Sql(
    """INSERT INTO ocpp_messages (charge_point_id, time, direction, message_type, unique_id,
         action, frame, size, answer_us)
       VALUES (:charge_point_id, :time, :direction, :message_type, :unique_id, :action,
         :frame, :size, :answer_us)"""
)


def insert(cursor: Cursor, frames: Sequence[LoggedFrame]) -> None:
    cursor.executemany(
        _INSERT,
        [
            {
                "charge_point_id": frame.charge_point_id,
                "time": cursor.timestamp(datetime.fromtimestamp(frame.time, UTC)),
                "direction": "in" if frame.incoming else "out",
                "message_type": frame.message_type,
                "unique_id": _storable(frame.unique_id, 64),
                "action": _storable(frame.action, 64),
                "frame": _text(frame.text),
                "size": frame.size,
                "answer_us": None if frame.answer_ms is None else round(frame.answer_ms * 1000),
            }
            for frame in frames
        ],
    )


def _text(value: str) -> str:
    # PostgreSQL's text holds no NUL (a broken frame may carry one raw).
    if "\x00" in value:
        value = value.replace("\x00", "\\u0000")
    return value


def _storable(value: str | None, length: int) -> str | None:
    """A value cut to its column (an unknown action may be any length)."""
    return None if value is None else _text(value)[:length]
