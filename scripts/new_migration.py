"""Autogenerate an Alembic revision from the models: `python scripts/new_migration.py ID MESSAGE`.

It diffs the models against a scratch SQLite database migrated to the current heads, and
writes `ampyre/storage/migrations/versions/ID_message.py` whose parent is the head.
Review the file: autogenerate does not see every change (renames, data moves).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from ampyre.storage.database import MIGRATIONS_DIR, Database


async def main(revision_id: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        await db.migrate()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        async with db.engine.begin() as connection:

            def revision(sync_connection: Any) -> None:
                config.attributes["connection"] = sync_connection
                command.revision(config, message=message, autogenerate=True, rev_id=revision_id)

            await connection.run_sync(revision)
        await db.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/new_migration.py REVISION_ID 'message'")
    asyncio.run(main(sys.argv[1], sys.argv[2]))
