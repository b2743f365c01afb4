"""`ampyre reservation`: reserve connectors, list and cancel reservations (OCPP 1.6, 5.1 and
5.13) through a running server, which holds the charge points' connections."""

from __future__ import annotations

from typing import Any

import click

from ampyre.cli.rest import (
    RestClient,
    echo_answer,
    echo_page,
    json_option,
    rest_options,
    without_none,
)

COLUMNS = [
    "reservationId",
    "chargePointId",
    "connectorId",
    "idTag",
    "parentIdTag",
    "expiryDate",
    "status",
    "reason",
]


def _describe(reservation: dict[str, Any]) -> str:
    return (
        f"Reservation {reservation['reservationId']}: {reservation['status']} - connector "
        f"{reservation['connectorId']} of {reservation['chargePointId']} for "
        f"{reservation['idTag']} until {reservation['expiryDate']}"
    )


@click.group("reservation")
def reservation() -> None:
    """Reserve a connector for an id tag; list and cancel reservations."""


@reservation.command("create")
@click.argument("charge_point_id")
@click.option(
    "--connector",
    type=click.IntRange(min=0),
    required=True,
    help="Connector to reserve; 0: any (where the charge point supports it).",
)
@click.option("--id-tag", required=True, help="The id tag it is reserved for.")
@click.option("--expiry", help="When it ends, ISO 8601 with a zone, e.g. 2027-01-31T18:00:00Z.")
@click.option("--duration", type=click.IntRange(min=1), help="Or: how long it lasts (seconds).")
@click.option("--parent", help="Parent id tag that may use it too. Default: the tag's parent.")
@json_option
@rest_options
def reservation_create(
    api: RestClient,
    charge_point_id: str,
    connector: int,
    id_tag: str,
    expiry: str | None,
    duration: int | None,
    parent: str | None,
    as_json: bool,
) -> None:
    """Reserve a connector of CHARGE_POINT_ID (the server assigns the reservation id)."""
    if (expiry is None) == (duration is None):
        raise click.UsageError("give --expiry or --duration (one of them)")
    body = {
        "chargePointId": charge_point_id,
        "connectorId": connector,
        "idTag": id_tag,
        "expiryDate": expiry,
        "durationSeconds": duration,
        "parentIdTag": parent,
    }
    created = api.call("POST", "/reservations", json=without_none(body))
    echo_answer(created, as_json, _describe(created))


@reservation.command("list")
@click.option("--charge-point", help="Only this charge point's.")
@click.option("--active/--ended", default=None, help="Only Reserved ones, or only ended ones.")
@click.option("--limit", default=100, show_default=True)
@json_option
@rest_options
def reservation_list(
    api: RestClient, charge_point: str | None, active: bool | None, limit: int, as_json: bool
) -> None:
    """List reservations, newest first."""
    params = {"chargePointId": charge_point, "limit": limit}
    if active is not None:
        params["active"] = str(active).lower()
    listed = api.call("GET", "/reservations", params=params)
    echo_page(listed, COLUMNS, as_json)


@reservation.command("cancel")
@click.argument("reservation_id", type=int)
@json_option
@rest_options
def reservation_cancel(api: RestClient, reservation_id: int, as_json: bool) -> None:
    """Cancel RESERVATION_ID: the server sends CancelReservation to its charge point."""
    cancelled = api.call("DELETE", f"/reservations/{reservation_id}")
    echo_answer(cancelled, as_json, _describe(cancelled))


COMMANDS = [reservation]
