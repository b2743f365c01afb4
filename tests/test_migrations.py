"""The migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ampyre.storage.database import Database
from ampyre.storage.models import Base
from tests.conftest import make_database_url
from tests.server import drop_postgres_database


async def test_migrated_schema_matches_the_models(backend: str, tmp_path: Path) -> None:
    url = await make_database_url(backend, tmp_path)
    db = Database(url)
    try:
        await db.migrate()
        await db.migrate()  # a second start changes nothing

        def diff(connection: Any) -> list[Any]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with db.engine.connect() as connection:
            differences = await connection.run_sync(diff)
        assert differences == []
    finally:
        await db.dispose()
        if backend == "postgresql":
            await drop_postgres_database(url)
