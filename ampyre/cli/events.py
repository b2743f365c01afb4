"""`ampyre events`: follow the running server's live events (`GET /api/v1/events`).

One line per event as it happens (connects, boots, status, transactions, meter values,
commands...), or its JSON with `--json`, until Ctrl-C or `--count` events. When the server
ends the stream (a client that did not keep up is dropped), this reconnects and resumes
after the last event it printed (`Last-Event-ID`), so nothing is skipped.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import click

from ampyre.cli.rest import RestClient, rest_options

#: Fields every event has; the rest is what the event is about.
ENVELOPE = ("id", "type", "chargePointId", "time")
RECONNECT_DELAY = 1.0


def parse_stream(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The events of a text/event-stream: the JSON `data` of each, comments skipped."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield json.loads("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def describe(event: dict[str, Any]) -> str:
    """`TIME  TYPE  CHARGE_POINT  key=value ...`, one line whatever the event holds."""
    moment = datetime.fromtimestamp(float(event.get("time", 0)), UTC)
    stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    details = " ".join(
        f"{key}={json.dumps(value, separators=(',', ':'))}"
        for key, value in event.items()
        if key not in ENVELOPE and value is not None
    )
    line = f"{stamp}  {event.get('type', '?')}  {event.get('chargePointId') or '-'}  {details}"
    return line.rstrip()


@click.command("events")
@click.option("--charge-point", help="Only this charge point's events.")
@click.option(
    "--type",
    "types",
    multiple=True,
    help="Only events of this type (repeat for several): connected, disconnected, boot, "
    "status, transactionStarted, transactionStopped, meterValues, firmwareStatus, "
    "diagnosticsStatus, logStatus, securityEvent, commandAnswered, commandFailed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print each event as one line of JSON.")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many events.")
@rest_options
def events(
    api: RestClient,
    charge_point: str | None,
    types: tuple[str, ...],
    as_json: bool,
    count: int | None,
) -> None:
    """Follow the server's live events, one line each, until Ctrl-C."""
    params = {"chargePointId": charge_point, "type": list(types) or None}
    last_id: int | None = None
    printed = 0
    try:
        while True:
            headers = {"Last-Event-ID": str(last_id)} if last_id is not None else None
            for event in parse_stream(api.lines("/events", params=params, headers=headers)):
                last_id = event.get("id", last_id)
                click.echo(json.dumps(event) if as_json else describe(event))
                printed += 1
                if count is not None and printed >= count:
                    return
            # The server ended the stream (this client fell behind, or it restarts):
            # resume after the last event printed.
            time.sleep(RECONNECT_DELAY)
    except KeyboardInterrupt:
        sys.exit(130)


COMMANDS = [events]
