"""`ampyre webhook ...`: webhook subscriptions through a running server's REST API
(docs/webhooks.md)."""

from __future__ import annotations

import sys

import click

from ampyre.cli.rest import (
    RestClient,
    echo_json,
    echo_table,
    json_option,
    rest_options,
    without_none,
)
from ampyre.services.events import EVENT_TYPES


@click.group("webhook")
def webhook() -> None:
    """Webhooks: live events POSTed, signed, to a URL, with retries."""


@webhook.command("add")
@click.argument("target", metavar="URL")
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(sorted(EVENT_TYPES)),
    help="An event type to send (repeatable). Default: all.",
)
@click.option("--charge-point", help="Only this charge point's events.")
@click.option(
    "--secret-stdin",
    is_flag=True,
    help="Read the signing secret from standard input (one line). Default: generated.",
)
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@click.option("--description", help="A note on what it is for.")
@json_option
@rest_options
def webhook_add(
    api: RestClient,
    target: str,
    events: tuple[str, ...],
    charge_point: str | None,
    secret_stdin: bool,
    disabled: bool,
    description: str | None,
    as_json: bool,
) -> None:
    """Subscribe URL to live events; prints the signing secret (shown this once)."""
    body = {
        "url": target,
        "eventTypes": list(events),
        "enabled": not disabled,
        "chargePointId": charge_point,
        "description": description,
        "secret": sys.stdin.readline().rstrip("\r\n") if secret_stdin else None,
    }
    created = api.call("POST", "/webhooks", json=without_none(body))
    if as_json:
        echo_json(created)
        return
    click.echo(f"Created webhook {created['id']} -> {created['url']}")
    click.echo(f"Secret (shown once, keep it to verify signatures): {created['secret']}")


@webhook.command("list")
@json_option
@rest_options
def webhook_list(api: RestClient, as_json: bool) -> None:
    """The webhook subscriptions (no secrets)."""
    answer = api.call("GET", "/webhooks", params={"limit": 1000})
    if as_json:
        echo_json(answer)
        return
    items = [
        {**item, "eventTypes": ",".join(item["eventTypes"]) or "all"} for item in answer["items"]
    ]
    echo_table(items, ["id", "url", "eventTypes", "chargePointId", "enabled"], answer["total"])


@webhook.command("remove")
@click.argument("webhook_id", type=click.IntRange(min=1))
@rest_options
def webhook_remove(api: RestClient, webhook_id: int) -> None:
    """Remove webhook WEBHOOK_ID (its undelivered events are not sent)."""
    api.call("DELETE", f"/webhooks/{webhook_id}")
    click.echo(f"Removed webhook {webhook_id}")


@webhook.command("deliveries")
@click.argument("webhook_id", type=click.IntRange(min=1))
@click.option(
    "--state",
    type=click.Choice(["pending", "delivered", "failed", "dropped"]),
    help="Only deliveries in this state.",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@json_option
@rest_options
def webhook_deliveries(
    api: RestClient, webhook_id: int, state: str | None, limit: int, as_json: bool
) -> None:
    """WEBHOOK_ID's deliveries, newest first: state, attempts, last status or error."""
    answer = api.call(
        "GET",
        f"/webhooks/{webhook_id}/deliveries",
        params={"state": state, "limit": limit},
    )
    if as_json:
        echo_json(answer)
        return
    echo_table(
        answer["items"],
        [
            "eventId",
            "eventType",
            "chargePointId",
            "state",
            "attempts",
            "lastStatusCode",
            "lastError",
            "nextAttemptAt",
        ],
        answer["total"],
    )


COMMANDS = [webhook]
