"""`ampyre migrate`, and what the sub-commands that work on the database directly share
(`cli/accounts.py`): they run whether a server is running or not, so that the schema and
the first API token can be made before anything else. Everything else goes through the
running server's REST API (`cli/rest.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from ampyre.cli.options import database_option, settings_from_cli
from ampyre.cli.rest import echo_json, echo_table
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import parse_timestamp
from ampyre.services.errors import DomainError
from ampyre.services.gateway import OfflineGateway
from ampyre.storage.database import Database, sqlite_path

T = TypeVar("T")


def _run(
    database: str, work: Callable[[CentralSystem], Awaitable[T]], *, create: bool = False
) -> T:
    # The server's defaults for everything but the database this command was given.
    settings = settings_from_cli({"database_url": database})
    path = sqlite_path(settings.database_url)
    if path is not None and not create and not path.exists():
        # Run from another folder, the default ./ampyre.db is not the server's database.
        raise click.ClickException(
            f"No database at {path}: run this where the server's database is, or give "
            "--database / AMPYRE_DATABASE_URL (`ampyre migrate` creates one)"
        )

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            csms = CentralSystem.build(db, OfflineGateway(), settings)
            return await work(csms)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    except OSError as exc:
        raise click.ClickException(f"Cannot reach the database: {exc}") from None


def _print(value: Any, as_json: bool, columns: list[str] | None = None) -> None:
    if as_json or columns is None:
        echo_json(value)
    else:
        echo_table(value["items"], columns, value["total"])


def _timestamp(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2027-01-31T23:59:59Z") from None


@click.command("migrate")
@database_option
def migrate(database: str) -> None:
    """Create or upgrade the database schema (serve does this on start too)."""

    async def work(csms: CentralSystem) -> None:
        return None

    _run(database, work, create=True)
    click.echo("Database schema is up to date")


COMMANDS = [migrate]
