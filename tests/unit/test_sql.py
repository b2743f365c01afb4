"""The hot-path SQL helpers: one statement text, both parameter styles, both timestamp forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from ampyre.storage.sql import PostgresCursor, Sql, SqliteCursor
from ampyre.storage.types import UTCDateTime


def test_named_parameters_become_numbered_once_each() -> None:
    sql = Sql("SELECT * FROM t WHERE a = :a AND b > :b OR a < :a")
    assert sql.numbered == "SELECT * FROM t WHERE a = $1 AND b > $2 OR a < $1"
    assert sql.names == ("a", "b")


def test_casts_and_literals_are_not_parameters() -> None:
    sql = Sql("SELECT x::text, '12:30' FROM t WHERE y = :y")
    assert sql.names == ("y",)
    assert sql.numbered == "SELECT x::text, '12:30' FROM t WHERE y = $1"


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9000, 1, 1)),
    st.sampled_from([None, UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]),
)
def test_sqlite_timestamps_match_what_the_orm_writes(value: datetime, tz: object) -> None:
    """The ORM's rows and the hot path's rows must compare and sort as the same text."""
    moment = value.replace(tzinfo=tz)  # type: ignore[arg-type]
    dialect = sqlite.dialect()
    orm_bind = UTCDateTime().process_bind_param(moment, dialect)
    processor = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    orm_text = processor(moment)
    assert SqliteCursor.timestamp(moment) == orm_text
    read = SqliteCursor.read_timestamp(orm_text)
    assert read == (moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    assert PostgresCursor.timestamp(moment) == orm_bind
