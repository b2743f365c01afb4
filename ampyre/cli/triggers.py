"""`ampyre trigger`: ask a charge point for a message (OCPP 1.6, 5.17) through a running
server, which holds the charge point's connection."""

from __future__ import annotations

from urllib.parse import quote

import click

from ampyre.cli.rest import RestClient, echo_json, json_option, rest_options
from ampyre.services.triggers import TRIGGERABLE


@click.command("trigger")
@click.argument("charge_point_id")
@click.argument("message", metavar="MESSAGE", type=click.Choice(TRIGGERABLE, case_sensitive=False))
@click.option(
    "--connector",
    type=click.IntRange(min=0),
    help="The connector it is about. Without it, StatusNotification and MeterValues come "
    "for every connector.",
)
@json_option
@rest_options
def trigger(
    api: RestClient, charge_point_id: str, message: str, connector: int | None, as_json: bool
) -> None:
    """Send TriggerMessage(MESSAGE) to CHARGE_POINT_ID and show its answer.

    MESSAGE is one of BootNotification, DiagnosticsStatusNotification,
    FirmwareStatusNotification, Heartbeat, MeterValues, StatusNotification. Exits 1 unless
    the charge point Accepted.
    """
    body: dict[str, object] = {"requestedMessage": message}
    if connector is not None:
        body["connectorId"] = connector
    answer = api.call(
        "POST", f"/charge-points/{quote(charge_point_id, safe='')}/trigger", json=body
    )
    if as_json:
        echo_json(answer)
    else:
        error = f" (CALLERROR {answer['errorCode']})" if answer.get("errorCode") else ""
        click.echo(f"{charge_point_id}: TriggerMessage {message} {answer['status']}{error}")
    if answer["status"] != "Accepted":
        raise SystemExit(1)


COMMANDS = [trigger]
