"""Options shared by several sub-commands."""

from __future__ import annotations

import click

database_option = click.option(
    "--database",
    envvar="AMPYRE_DATABASE_URL",
    default="sqlite:///ampyre.db",
    show_default=True,
    help="sqlite:///PATH or postgresql://user@host/db (also the +aiosqlite/+asyncpg forms).",
)
