"""Hand-written SQL for the hot paths, and the cursor both backends run it through.

The repositories' statements are written once with `:name` parameters in the SQL both
SQLite and PostgreSQL understand; `Sql` keeps the PostgreSQL (`$1`) form beside it. The
values a statement takes are what the ORM models store: timestamps as naive UTC (see
`storage/types.py`), JSON as text.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement, in both parameter styles."""

    __slots__ = ("indexed", "names", "numbered", "text")

    def __init__(self, text: str) -> None:
        self.text = " ".join(text.split())
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        #: PostgreSQL's form: `$1`, `$2`... numbered in the order of `names`.
        self.numbered = _PARAMETER.sub(number, self.text)
        self.names = tuple(names)
        #: SQLite's positional form, numbered the same way (`?1`, `?2`...): rows of many
        #: are bound from tuples, cheaper to build and to bind than dicts.
        self.indexed = _PARAMETER.sub(lambda m: f"?{names.index(m.group(1)) + 1}", self.text)

    def __repr__(self) -> str:
        return f"Sql({self.text!r})"


class Cursor(Protocol):
    """What a unit of work runs its statements on (inside the batch's transaction)."""

    def rows(self, sql: Sql, params: dict[str, Any]) -> list[Any]: ...

    def execute(self, sql: Sql, params: dict[str, Any]) -> None: ...

    def executemany(self, sql: Sql, rows: list[tuple[Any, ...]]) -> None:
        """Run a statement once per row; a row holds the values in the order of
        `sql.names` (the order in which the parameters first appear)."""
        ...

    def timestamp(self, value: datetime) -> Any:
        """A timestamp as this backend's driver takes it."""
        ...

    def epoch_timestamp(self, seconds: float) -> Any:
        """`timestamp` of a `time.time()` value."""
        ...

    def read_timestamp(self, value: Any) -> datetime | None: ...

    def begin(self) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def lost(self) -> bool:
        """Whether the connection is gone (the database went away): then no unit of the
        batch can succeed on it, and a new connection is needed."""
        ...


def json_text(value: Any) -> str:
    """A JSON column's value as both backends take it: text."""
    return orjson.dumps(value).decode()


def _naive_utc(value: datetime) -> datetime:
    tz = value.tzinfo
    if tz is None:
        return value
    if tz is UTC:  # what `clock.now()` and `parse_timestamp` give: no conversion
        return value.replace(tzinfo=None)
    return value.astimezone(UTC).replace(tzinfo=None)


#: The last second `_epoch_text` wrote, and its text up to the seconds.
_last_second: tuple[int, str] = (0, "1970-01-01 00:00:00")


def _epoch_text(seconds: float) -> str:
    """`SqliteCursor.timestamp` of a `time.time()` value, at a fifth of the cost: the
    frames of a message log batch share their second, so its text is kept."""
    global _last_second
    whole = int(seconds)
    micro = round((seconds - whole) * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, 0
    second, text = _last_second
    if whole != second:
        text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%d %H:%M:%S")
        _last_second = (whole, text)
    return f"{text}.{micro:06d}"


class SqliteCursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def rows(self, sql: Sql, params: dict[str, Any]) -> list[Any]:
        return self.connection.execute(sql.text, params).fetchall()

    def execute(self, sql: Sql, params: dict[str, Any]) -> None:
        self.connection.execute(sql.text, params)

    def executemany(self, sql: Sql, rows: list[tuple[Any, ...]]) -> None:
        self.connection.executemany(sql.indexed, rows)

    @staticmethod
    def timestamp(value: datetime) -> str:
        # SQLAlchemy's SQLite DateTime format ("%Y-%m-%d %H:%M:%S.%f"), so that both
        # compare and sort as text; isoformat writes it at a third of strftime's cost.
        return _naive_utc(value).isoformat(" ", "microseconds")

    @staticmethod
    def epoch_timestamp(seconds: float) -> str:
        return _epoch_text(seconds)

    @staticmethod
    def read_timestamp(value: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def begin(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def lost(self) -> bool:
        return False  # a file: it does not go away

    def commit(self) -> None:
        self.connection.execute("COMMIT")

    def rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


class PostgresCursor:
    """asyncpg through SQLAlchemy's adapted DB-API connection (inside `run_sync`)."""

    def __init__(self, dbapi_connection: Any) -> None:
        self.dbapi = dbapi_connection
        self.cursor = dbapi_connection.cursor()

    @staticmethod
    def _positional(sql: Sql, params: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(params[name] for name in sql.names)

    def rows(self, sql: Sql, params: dict[str, Any]) -> list[Any]:
        self.cursor.execute(sql.numbered, self._positional(sql, params))
        return list(self.cursor.fetchall()) if self.cursor.description else []

    def execute(self, sql: Sql, params: dict[str, Any]) -> None:
        self.cursor.execute(sql.numbered, self._positional(sql, params))

    def executemany(self, sql: Sql, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) == 1:  # asyncpg's executemany costs more than one execute
            self.cursor.execute(sql.numbered, rows[0])
            return
        self.cursor.executemany(sql.numbered, rows)

    @staticmethod
    def timestamp(value: datetime) -> datetime:
        return _naive_utc(value)

    @staticmethod
    def epoch_timestamp(seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)

    @staticmethod
    def read_timestamp(value: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def begin(self) -> None:
        return None  # the adapted connection begins on the first statement

    def lost(self) -> bool:
        return bool(self.dbapi._connection.is_closed())

    def commit(self) -> None:
        self.dbapi.commit()

    def rollback(self) -> None:
        self.dbapi.rollback()
