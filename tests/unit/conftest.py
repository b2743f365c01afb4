"""Fixtures of the fast layer: a real, migrated SQLite file per test, no server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ampyre.storage.database import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'unit.db'}")
    await database.migrate()
    try:
        yield database
    finally:
        await database.dispose()
