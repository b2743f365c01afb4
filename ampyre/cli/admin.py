"""Operator sub-commands that work on the database directly, server running or not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from ampyre.api import serializers
from ampyre.cli.options import database_option, settings_from_cli
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import parse_timestamp
from ampyre.services.errors import DomainError
from ampyre.services.gateway import OfflineGateway
from ampyre.services.transactions import TransactionFilter
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
        click.echo(json.dumps(value, indent=2))
        return
    items = value["items"]
    rows = [[("" if item.get(c) is None else str(item.get(c))) for c in columns] for item in items]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    click.echo(f"({len(items)} of {value['total']})")


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group("charge-point")
def charge_point() -> None:
    """Register, list and remove charge points."""


@charge_point.command("add")
@click.argument("charge_point_id")
@click.option("--password", help="HTTP Basic password (security profile 1, or 2 with TLS).")
@click.option("--security-profile", type=click.IntRange(0, 3))
@click.option(
    "--registration-status",
    type=click.Choice(["Accepted", "Pending", "Rejected"]),
    default="Accepted",
    show_default=True,
    help="How its next boot is answered.",
)
@click.option("--lenient", is_flag=True, help="Accept and record known schema deviations.")
@database_option
def charge_point_add(
    charge_point_id: str,
    password: str | None,
    security_profile: int | None,
    registration_status: str,
    lenient: bool,
    database: str,
) -> None:
    """Register CHARGE_POINT_ID so it may connect."""
    _run(
        database,
        lambda csms: csms.charge_points.register(
            charge_point_id,
            password=password,
            security_profile=security_profile,
            registration_status=registration_status,
            lenient=lenient,
        ),
    )
    click.echo(f"Registered {charge_point_id}")


@charge_point.command("list")
@click.option("--limit", default=100, show_default=True)
@json_option
@database_option
def charge_point_list(limit: int, as_json: bool, database: str) -> None:
    """List registered charge points."""

    async def work(csms: CentralSystem) -> dict[str, Any]:
        rows, total = await csms.charge_points.page(limit=limit, offset=0)
        return serializers.page(
            [serializers.charge_point(r, connected=False) for r in rows], total
        ).as_json()

    _print(
        _run(database, work),
        as_json,
        [
            "id",
            "registrationStatus",
            "chargePointVendor",
            "chargePointModel",
            "firmwareVersion",
            "lastSeen",
        ],
    )


@charge_point.command("remove")
@click.argument("charge_point_id")
@database_option
def charge_point_remove(charge_point_id: str, database: str) -> None:
    """Remove CHARGE_POINT_ID."""
    _run(database, lambda csms: csms.charge_points.delete(charge_point_id))
    click.echo(f"Removed {charge_point_id}")


@click.group("id-tag")
def id_tag() -> None:
    """Add, list and remove the id tags charge points are authorized against."""


def _timestamp(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2027-01-31T23:59:59Z") from None


@id_tag.command("add")
@click.argument("tag")
@click.option(
    "--status",
    type=click.Choice(["Accepted", "Blocked", "Expired", "Invalid"]),
    default="Accepted",
    show_default=True,
)
@click.option("--expiry", callback=_timestamp, help="Expiry date, ISO 8601.")
@click.option("--parent", help="Parent id tag (a group).")
@click.option("--allow-concurrent-tx", is_flag=True, help="May charge in several places at once.")
@database_option
def id_tag_add(
    tag: str,
    status: str,
    expiry: datetime | None,
    parent: str | None,
    allow_concurrent_tx: bool,
    database: str,
) -> None:
    """Add TAG to the id tag store."""
    _run(
        database,
        lambda csms: csms.id_tags.create(
            tag,
            status=status,
            expiry_date=expiry,
            parent_id_tag=parent,
            allow_concurrent_tx=allow_concurrent_tx,
        ),
    )
    click.echo(f"Added {tag} ({status})")


@id_tag.command("list")
@click.option("--limit", default=100, show_default=True)
@json_option
@database_option
def id_tag_list(limit: int, as_json: bool, database: str) -> None:
    """List id tags."""

    async def work(csms: CentralSystem) -> dict[str, Any]:
        rows, total = await csms.id_tags.page(limit=limit, offset=0)
        return serializers.page([serializers.id_tag(r) for r in rows], total).as_json()

    _print(_run(database, work), as_json, ["idTag", "status", "expiryDate", "parentIdTag"])


@id_tag.command("remove")
@click.argument("tag")
@database_option
def id_tag_remove(tag: str, database: str) -> None:
    """Remove TAG."""
    _run(database, lambda csms: csms.id_tags.delete(tag))
    click.echo(f"Removed {tag}")


@click.command("transactions")
@click.option("--charge-point", help="Only this charge point's.")
@click.option("--active/--finished", default=None, help="Only running or only finished ones.")
@click.option("--limit", default=50, show_default=True)
@json_option
@database_option
def transactions(
    charge_point: str | None, active: bool | None, limit: int, as_json: bool, database: str
) -> None:
    """List transactions, newest first."""

    async def work(csms: CentralSystem) -> dict[str, Any]:
        where = TransactionFilter(charge_point_id=charge_point, active=active)
        rows, total = await csms.transactions.page(where=where, limit=limit, offset=0)
        return serializers.page([serializers.transaction(r) for r in rows], total).as_json()

    _print(
        _run(database, work),
        as_json,
        [
            "transactionId",
            "chargePointId",
            "connectorId",
            "idTag",
            "startTimestamp",
            "stopTimestamp",
            "energyWh",
            "stopReason",
        ],
    )


@click.command("migrate")
@database_option
def migrate(database: str) -> None:
    """Create or upgrade the database schema (serve does this on start too)."""

    async def work(csms: CentralSystem) -> None:
        return None

    _run(database, work, create=True)
    click.echo("Database schema is up to date")


COMMANDS = [charge_point, id_tag, transactions, migrate]
