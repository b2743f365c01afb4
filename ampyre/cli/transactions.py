"""`ampyre transaction`: charging sessions, through the running server's REST API.

`ampyre transactions` (the name before the command groups were named alike) stays as a
hidden alias of `ampyre transaction list`.
"""

from __future__ import annotations

import click

from ampyre.cli.rest import (
    RestClient,
    echo_fields,
    echo_json,
    echo_page,
    echo_table,
    json_option,
    moved_database_option,
    page_options,
    rest_options,
)

LIST_COLUMNS = [
    "transactionId",
    "chargePointId",
    "connectorId",
    "idTag",
    "startTimestamp",
    "stopTimestamp",
    "energyWh",
    "stopReason",
]
SHOWN_FIELDS = [
    "transactionId",
    "chargePointId",
    "connectorId",
    "idTag",
    "authorizationStatus",
    "reservationId",
    "remoteStartId",
    "active",
    "meterStart",
    "startTimestamp",
    "meterStop",
    "stopTimestamp",
    "energyWh",
    "stopReason",
    "stopIdTag",
]


@click.group("transaction")
def transaction() -> None:
    """List and show transactions (charging sessions)."""


@transaction.command("list")
@click.option("--charge-point", help="Only this charge point's.")
@click.option("--active/--finished", default=None, help="Only running or only finished ones.")
@page_options(limit=50)
@json_option
@moved_database_option
@rest_options
def transaction_list(
    api: RestClient,
    charge_point: str | None,
    active: bool | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List transactions, newest first."""
    params = {
        "chargePointId": charge_point,
        "active": None if active is None else str(active).lower(),
        "limit": limit,
        "offset": offset,
    }
    listed = api.call("GET", "/transactions", params=params)
    echo_page(listed, LIST_COLUMNS, as_json)


@transaction.command("show")
@click.argument("transaction_id", type=int)
@json_option
@rest_options
def transaction_show(api: RestClient, transaction_id: int, as_json: bool) -> None:
    """TRANSACTION_ID with its meter values."""
    shown = api.call("GET", f"/transactions/{transaction_id}")
    if as_json:
        echo_json(shown)
        return
    echo_fields(shown, SHOWN_FIELDS)
    readings = [
        {
            "timestamp": reading["timestamp"],
            "measurand": sampled.get("measurand", "Energy.Active.Import.Register"),
            "value": sampled.get("value"),
            "unit": sampled.get("unit", "Wh"),
            "context": sampled.get("context"),
        }
        for reading in shown.get("meterValues", [])
        for sampled in reading["sampledValue"]
    ]
    if readings:
        click.echo("")
        echo_table(readings, ["timestamp", "measurand", "value", "unit", "context"])


COMMANDS = [transaction]
#: Older names, still accepted (hidden from --help).
ALIASES = {"transactions": transaction_list}
