"""The OCPP message log's batch insert: many frames, one statement run per batch."""

from __future__ import annotations

from collections.abc import Sequence
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
    timestamp = cursor.epoch_timestamp
    cursor.executemany(
        _INSERT,
        [
            (
                frame.charge_point_id,
                timestamp(frame.time),
                "in" if frame.incoming else "out",
                frame.message_type,
                _storable(frame.unique_id, 64),
                _storable(frame.action, 64),
                _text(frame.text),
                frame.size,
                None if frame.answer_ms is None else round(frame.answer_ms * 1000),
            )
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
