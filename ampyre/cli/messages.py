"""`ampyre charge-point messages`: a charge point's OCPP message log, through a running
server (each server process writes the frames it sees; any of them reads them all)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import click

from ampyre.cli.rest import RestClient, echo_json, echo_table, rest_options

#: Characters of a payload shown in the table (`--json` shows them whole).
PAYLOAD_WIDTH = 80
COLUMNS = ["time", "direction", "messageType", "action", "messageId", "answerMs", "payload"]


def _row(message: dict[str, Any]) -> dict[str, Any]:
    payload = message.get("payload")
    text = message.get("raw", "") if payload is None else json.dumps(payload, separators=(",", ":"))
    if len(text) > PAYLOAD_WIDTH:
        text = text[: PAYLOAD_WIDTH - 1] + "…"
    return {**message, "direction": "<-" if message["direction"] == "in" else "->", "payload": text}


@click.command("messages")
@click.argument("charge_point_id")
@click.option("--action", help="Only this action's frames (answers count as their CALL's).")
@click.option(
    "--direction",
    type=click.Choice(["in", "out"]),
    help="in: sent by the charge point; out: sent by the CSMS.",
)
@click.option(
    "--type",
    "message_type",
    type=click.Choice(["CALL", "CALLRESULT", "CALLERROR"]),
    help="Only frames of this type (CALLERROR: what went wrong).",
)
@click.option("--message-id", help="Only frames with this message id (a CALL and its answer).")
@click.option("--since", help="From this time on, ISO 8601, e.g. 2026-12-03T12:00:00Z.")
@click.option("--until", help="Before this time, ISO 8601.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON (whole payloads).")
@rest_options
def messages(
    api: RestClient,
    charge_point_id: str,
    action: str | None,
    direction: str | None,
    message_type: str | None,
    message_id: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """The OCPP frames CHARGE_POINT_ID sent (<-) and was sent (->), newest first."""
    answer = api.call(
        "GET",
        f"/charge-points/{quote(charge_point_id, safe='')}/messages",
        params={
            "action": action,
            "direction": direction,
            "messageType": message_type,
            "messageId": message_id,
            "since": since,
            "until": until,
            "limit": limit,
            "offset": offset,
        },
    )
    if as_json:
        echo_json(answer)
        return
    echo_table([_row(m) for m in answer["items"]], COLUMNS, answer["total"])
