"""`ampyre charge-point`: register, show, change and remove charge points.

Through the running server's REST API, not its database: only the server knows whether a
charge point is connected and when it was last seen (its connections, and in a cluster
every node's), and removing one through it also closes the connection.
"""

from __future__ import annotations

from typing import Any

import click

from ampyre.cli.rest import (
    RestClient,
    charge_point_path,
    echo_answer,
    echo_fields,
    echo_json,
    echo_page,
    echo_table,
    json_option,
    moved_database_option,
    page_options,
    rest_options,
    without_none,
)

REGISTRATION_STATUSES = ["Accepted", "Pending", "Rejected"]
LIST_COLUMNS = [
    "id",
    "connected",
    "registrationStatus",
    "chargePointVendor",
    "chargePointModel",
    "firmwareVersion",
    "lastSeen",
]
SHOWN_FIELDS = [
    "id",
    "connected",
    "lastSeen",
    "lastBoot",
    "registrationStatus",
    "bootStatus",
    "securityProfile",
    "hasPassword",
    "lenient",
    "chargePointVendor",
    "chargePointModel",
    "chargePointSerialNumber",
    "chargeBoxSerialNumber",
    "firmwareVersion",
    "firmwareStatus",
    "diagnosticsStatus",
    "localListVersion",
    "iccid",
    "imsi",
    "meterType",
    "meterSerialNumber",
]


@click.group("charge-point")
def charge_point() -> None:
    """Register, show, change and remove charge points (running server)."""


@charge_point.command("add")
@click.argument("charge_point_id")
@click.option("--password", help="HTTP Basic password (security profile 1, or 2 with TLS).")
@click.option("--security-profile", type=click.IntRange(0, 3))
@click.option(
    "--registration-status",
    type=click.Choice(REGISTRATION_STATUSES),
    default="Accepted",
    show_default=True,
    help="How its next boot is answered.",
)
@click.option("--lenient", is_flag=True, help="Accept and record known schema deviations.")
@json_option
@moved_database_option
@rest_options
def charge_point_add(
    api: RestClient,
    charge_point_id: str,
    password: str | None,
    security_profile: int | None,
    registration_status: str,
    lenient: bool,
    as_json: bool,
) -> None:
    """Register CHARGE_POINT_ID so it may connect."""
    body = {
        "id": charge_point_id,
        "password": password,
        "securityProfile": security_profile,
        "registrationStatus": registration_status,
        "lenient": lenient,
    }
    created = api.call("POST", "/charge-points", json=without_none(body))
    echo_answer(
        created,
        as_json,
        f"Registered {created['id']} (security profile {created['securityProfile']})",
    )


@charge_point.command("list")
@page_options(limit=100)
@json_option
@moved_database_option
@rest_options
def charge_point_list(api: RestClient, limit: int, offset: int, as_json: bool) -> None:
    """List registered charge points, connected or not as the server sees them now."""
    listed = api.call("GET", "/charge-points", params={"limit": limit, "offset": offset})
    echo_page(listed, LIST_COLUMNS, as_json)


@charge_point.command("show")
@click.argument("charge_point_id")
@json_option
@rest_options
def charge_point_show(api: RestClient, charge_point_id: str, as_json: bool) -> None:
    """CHARGE_POINT_ID: whether it is connected, what it booted with, its connectors."""
    shown = api.call("GET", charge_point_path(charge_point_id))
    if as_json:
        echo_json(shown)
        return
    echo_fields(shown, SHOWN_FIELDS)
    if shown.get("connectors"):
        click.echo("")
        echo_table(
            shown["connectors"],
            ["connectorId", "status", "errorCode", "info", "vendorErrorCode", "timestamp"],
        )


@charge_point.command("update")
@click.argument("charge_point_id")
@click.option(
    "--registration-status",
    type=click.Choice(REGISTRATION_STATUSES),
    help="How its next boot is answered.",
)
@click.option("--password", help="A new HTTP Basic password.")
@click.option("--no-password", is_flag=True, help="Remove its password.")
@click.option("--security-profile", type=click.IntRange(0, 3))
@click.option(
    "--lenient/--strict",
    default=None,
    help="Accept and record known schema deviations, or not.",
)
@json_option
@rest_options
def charge_point_update(
    api: RestClient,
    charge_point_id: str,
    registration_status: str | None,
    password: str | None,
    no_password: bool,
    security_profile: int | None,
    lenient: bool | None,
    as_json: bool,
) -> None:
    """Change CHARGE_POINT_ID: registration status, password, security profile, leniency.

    What is not given stays as it is."""
    if password is not None and no_password:
        raise click.UsageError("give --password or --no-password, not both")
    body: dict[str, Any] = {
        key: value
        for key, value in {
            "registrationStatus": registration_status,
            "password": password,
            "securityProfile": security_profile,
            "lenient": lenient,
        }.items()
        if value is not None
    }
    if no_password:
        body["password"] = None
    if not body:
        raise click.UsageError(
            "nothing to change: give --registration-status, --password, --no-password, "
            "--security-profile or --lenient/--strict"
        )
    changed = api.call("PATCH", charge_point_path(charge_point_id), json=body)
    if as_json:
        echo_json(changed)
    else:
        echo_fields(
            changed,
            ["id", "registrationStatus", "securityProfile", "hasPassword", "lenient"],
        )


@charge_point.command("remove")
@click.argument("charge_point_id")
@moved_database_option
@rest_options
def charge_point_remove(api: RestClient, charge_point_id: str) -> None:
    """Remove CHARGE_POINT_ID (and close its connection, if it has one)."""
    api.call("DELETE", charge_point_path(charge_point_id))
    click.echo(f"Removed {charge_point_id}")


COMMANDS = [charge_point]
