"""The database engine: URL normalisation, SQLite tuning and migrations on start."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ampyre.storage.group_commit import GroupCommit, PostgresGroupCommit, SqliteGroupCommit

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: What a Core statement can run on: an ORM session, or a plain connection where the hot
#: OCPP paths skip the session's overhead.
Executor: TypeAlias = AsyncSession | AsyncConnection


class DatabaseURLError(ValueError):
    """A --database value Ampyre cannot use."""


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for PostgreSQL and in-memory databases)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def normalize_url(url: str) -> URL:
    """Map the URLs users write (`sqlite:///x`, `postgresql://...`) to async drivers."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise DatabaseURLError(f"Not a database URL: {url!r} ({exc})") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise DatabaseURLError(
        f"Unsupported database {backend!r}: use sqlite:///PATH or postgresql://user@host/db"
    )


class Sessions:
    """Hands out sessions: `sessions()` to read, `sessions.begin()` for a transaction.

    The hot OCPP messages do not come here but go through group commit (`Database.commits`).
    On SQLite, these transactions are serialised in-process (one writer at a time), while
    reads run beside them under WAL.
    """

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        *,
        write_lock: asyncio.Lock | None,
    ) -> None:
        self.maker = maker
        self.engine = engine
        self.write_lock = write_lock

    def __call__(self) -> AsyncSession:
        return self.maker()

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self._writer_turn(), self.maker.begin() as session:
            yield session

    @contextlib.asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        """Wait for the single writer's turn on SQLite; no wait elsewhere."""
        if self.write_lock is None:
            yield
            return
        async with self.write_lock:
            yield


class Database:
    """Owns the engine and hands out sessions; one per server process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # Eight of these are kept by the group-commit committers (group_commit.py).
            kwargs.update(pool_size=20, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
        self.sessions = Sessions(
            async_sessionmaker(self.engine, expire_on_commit=False),
            self.engine,
            # SQLite has one writer. Without this lock concurrent writers meet in SQLite's
            # busy handler, which sleeps in steps of up to 100 ms: a long latency tail.
            write_lock=asyncio.Lock() if self.is_sqlite else None,
        )
        #: The hot OCPP paths' writes and reads, one transaction per batch.
        self.commits: GroupCommit = (
            SqliteGroupCommit(self.url.database or ":memory:")
            if self.is_sqlite
            else PostgresGroupCommit(self.engine)
        )

    async def migrate(self) -> None:
        """Create or upgrade the schema to the newest Alembic revisions (every head)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        async with self.engine.begin() as connection:
            config.attributes["connection"] = connection

            def upgrade(sync_connection: Any) -> None:
                config.attributes["connection"] = sync_connection
                command.upgrade(config, "heads")

            await connection.run_sync(upgrade)

    async def ping(self) -> None:
        """Raise unless the database answers a query now."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.commits.close()
        await self.engine.dispose()


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode is durable
    # against a killed process (only an OS crash can lose the last commits).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
