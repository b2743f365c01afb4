"""Group commit on a real database: a batch commits together, a failing unit fails alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ampyre.storage.database import Database
from ampyre.storage.sql import Cursor, Sql
from tests.conftest import make_database_url
from tests.server import drop_postgres_database

_INSERT = Sql("INSERT INTO settings (key, value) VALUES (:key, :value)")
_READ = Sql("SELECT value FROM settings WHERE key = :key")


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> object:
    url = await make_database_url(backend, tmp_path)
    db = Database(url)
    await db.migrate()
    try:
        yield db
    finally:
        await db.dispose()
        if backend == "postgresql":
            await drop_postgres_database(url)


def insert(key: str, value: str) -> object:
    def unit(cursor: Cursor) -> str:
        cursor.execute(_INSERT, {"key": key, "value": value})
        return key

    return unit


def failing(cursor: Cursor) -> None:
    cursor.execute(_INSERT, {"key": "batch-failing", "value": "written before the error"})
    raise ValueError("this unit fails")


async def test_a_failing_unit_does_not_fail_its_neighbours(database: Database) -> None:
    commits = database.commits
    # Queued together so that they share a batch: first, failing, duplicate key, last.
    results = await asyncio.gather(
        commits.run(insert("batch-a", "1")),  # type: ignore[arg-type]
        commits.run(failing),
        commits.run(insert("batch-a", "again")),  # type: ignore[arg-type]
        commits.run(insert("batch-b", "2")),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert results[0] == "batch-a"
    assert isinstance(results[1], ValueError)
    assert isinstance(results[2], Exception)  # the unique key: IntegrityError of the driver
    assert results[3] == "batch-b"

    def read(key: str) -> object:
        return lambda cursor: [row[0] for row in cursor.rows(_READ, {"key": key})]

    assert await commits.run(read("batch-a")) == ["1"]  # type: ignore[arg-type]
    assert await commits.run(read("batch-b")) == ["2"]  # type: ignore[arg-type]
    # What the failing unit wrote before it raised was rolled back with it.
    assert await commits.run(read("batch-failing")) == []  # type: ignore[arg-type]


async def test_many_concurrent_units_share_batches_and_all_commit(database: Database) -> None:
    commits = database.commits
    before = commits.batches
    keys = [f"many-{i}" for i in range(300)]
    await asyncio.gather(*(commits.run(insert(key, key)) for key in keys))  # type: ignore[arg-type]
    assert commits.batches - before < len(keys)  # grouped: fewer commits than units

    async with database.sessions() as session:
        from sqlalchemy import text

        count = await session.scalar(text("SELECT count(*) FROM settings WHERE key LIKE 'many-%'"))
    assert count == len(keys)
