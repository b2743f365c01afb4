"""`ampyre id-tag`: the id tags charge points are authorized against.

Through the running server's REST API, like every command that is not about making the
first token: the server checks and records the change (audit log, live events) the same
way as for the web console and integrators.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import click

from ampyre.cli.rest import (
    RestClient,
    echo_answer,
    echo_fields,
    echo_json,
    echo_page,
    json_option,
    moved_database_option,
    page_options,
    rest_options,
    without_none,
)

STATUSES = ["Accepted", "Blocked", "Expired", "Invalid"]
COLUMNS = ["idTag", "status", "expiryDate", "parentIdTag", "allowConcurrentTx"]
expiry_help = "Expiry date, ISO 8601, e.g. 2027-01-31T23:59:59Z."


def _tag_path(tag: str) -> str:
    return f"/id-tags/{quote(tag, safe='')}"


def _echo(tag: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(tag)
    else:
        echo_fields(tag, COLUMNS)


@click.group("id-tag")
def id_tag() -> None:
    """Add, list, block and remove the id tags charge points authorize against."""


@id_tag.command("add")
@click.argument("tag")
@click.option("--status", type=click.Choice(STATUSES), default="Accepted", show_default=True)
@click.option("--expiry", help=expiry_help)
@click.option("--parent", help="Parent id tag (a group).")
@click.option("--allow-concurrent-tx", is_flag=True, help="May charge in several places at once.")
@json_option
@moved_database_option
@rest_options
def id_tag_add(
    api: RestClient,
    tag: str,
    status: str,
    expiry: str | None,
    parent: str | None,
    allow_concurrent_tx: bool,
    as_json: bool,
) -> None:
    """Add TAG to the id tag store."""
    body = {
        "idTag": tag,
        "status": status,
        "allowConcurrentTx": allow_concurrent_tx,
        "expiryDate": expiry,
        "parentIdTag": parent,
    }
    created = api.call("POST", "/id-tags", json=without_none(body))
    echo_answer(created, as_json, f"Added {created['idTag']} ({created['status']})")


@id_tag.command("list")
@page_options(limit=100)
@json_option
@moved_database_option
@rest_options
def id_tag_list(api: RestClient, limit: int, offset: int, as_json: bool) -> None:
    """List id tags."""
    listed = api.call("GET", "/id-tags", params={"limit": limit, "offset": offset})
    echo_page(listed, COLUMNS, as_json)


@id_tag.command("show")
@click.argument("tag")
@json_option
@rest_options
def id_tag_show(api: RestClient, tag: str, as_json: bool) -> None:
    """Show TAG (found case-insensitively)."""
    _echo(api.call("GET", _tag_path(tag)), as_json)


@id_tag.command("update")
@click.argument("tag")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--expiry", help=expiry_help)
@click.option("--no-expiry", is_flag=True, help="Remove its expiry date.")
@click.option("--parent", help="A new parent id tag (a group).")
@click.option("--no-parent", is_flag=True, help="Remove its parent id tag.")
@click.option(
    "--allow-concurrent-tx/--no-concurrent-tx",
    default=None,
    help="May charge in several places at once, or not.",
)
@json_option
@rest_options
def id_tag_update(
    api: RestClient,
    tag: str,
    status: str | None,
    expiry: str | None,
    no_expiry: bool,
    parent: str | None,
    no_parent: bool,
    allow_concurrent_tx: bool | None,
    as_json: bool,
) -> None:
    """Change TAG; what is not given stays as it is."""
    if expiry is not None and no_expiry:
        raise click.UsageError("give --expiry or --no-expiry, not both")
    if parent is not None and no_parent:
        raise click.UsageError("give --parent or --no-parent, not both")
    body: dict[str, Any] = {
        key: value
        for key, value in {
            "status": status,
            "expiryDate": expiry,
            "parentIdTag": parent,
            "allowConcurrentTx": allow_concurrent_tx,
        }.items()
        if value is not None
    }
    if no_expiry:
        body["expiryDate"] = None
    if no_parent:
        body["parentIdTag"] = None
    if not body:
        raise click.UsageError("nothing to change: see `ampyre id-tag update --help`")
    _echo(api.call("PATCH", _tag_path(tag), json=body), as_json)


def _set_status(api: RestClient, tag: str, status: str) -> None:
    changed = api.call("PATCH", _tag_path(tag), json={"status": status})
    click.echo(f"{changed['idTag']} is {changed['status']}")


@id_tag.command("block")
@click.argument("tag")
@rest_options
def id_tag_block(api: RestClient, tag: str) -> None:
    """Block TAG: charge points are told Blocked when it is presented."""
    _set_status(api, tag, "Blocked")


@id_tag.command("unblock")
@click.argument("tag")
@rest_options
def id_tag_unblock(api: RestClient, tag: str) -> None:
    """Accept TAG again."""
    _set_status(api, tag, "Accepted")


@id_tag.command("remove")
@click.argument("tag")
@moved_database_option
@rest_options
def id_tag_remove(api: RestClient, tag: str) -> None:
    """Remove TAG."""
    api.call("DELETE", _tag_path(tag))
    click.echo(f"Removed {tag}")


COMMANDS = [id_tag]
