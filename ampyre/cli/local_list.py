"""`ampyre local-list`: charge points' Local Authorization Lists, through a running server.

Syncing needs the server's connection to the charge point, so these commands talk to the
REST API (`--url`, `--token`) rather than to the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ampyre.cli.rest import RestClient, json_option, server_options

F = TypeVar("F", bound=Callable[..., Any])


def _server_options(command: F) -> F:
    return json_option(server_options(command))


#: Without it, the server waits as long as its --call-timeout says.
_timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    show_default="the server's --call-timeout",
    help="Seconds to wait for the charge point's answer.",
)


def _request(
    method: str,
    url: str,
    token: str,
    path: str,
    *,
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    return RestClient(url, token).call(method, path, json=body, params=params)


def _version(value: Any) -> str:
    return "-" if value is None else str(value)


def _echo_state(state: dict[str, Any]) -> None:
    policy = state["policy"]
    selection = {
        "all": "all id tags",
        "group": f"members of group {policy['parentIdTag']}",
        "tags": f"{len(policy['idTags'] or [])} named id tags",
    }[policy["source"]]
    limits = state["limits"]
    click.echo(f"Charge point   {state['chargePointId']}")
    click.echo(f"Policy         {selection}")
    click.echo(
        f"Max lengths    list {_version(limits['localAuthListMaxLength'])}, "
        f"per message {_version(limits['sendLocalListMaxLength'])}"
    )
    click.echo(
        f"Versions       sent {_version(state['sentVersion'])}, "
        f"charge point says {_version(state['chargePointVersion'])}"
    )
    if state["supported"] is False:
        click.echo("Supported      no: the charge point has no local list")
    click.echo(f"Out of date    {'yes' if state['outOfDate'] else 'no'}")
    pending = state["pendingChanges"]
    if pending is not None and any(pending.values()):
        for kind in ("added", "changed", "removed"):
            if pending[kind]:
                click.echo(f"  to be {kind:<8}{', '.join(pending[kind])}")
    if state["lastResult"] is not None:
        click.echo(f"Last result    {_describe_result(state['lastResult'])}")
    click.echo(f"Entries        {len(state['entries'])}")
    for entry in state["entries"]:
        info = entry["idTagInfo"]
        extras = [f"expires {info['expiryDate']}"] if info.get("expiryDate") else []
        if info.get("parentIdTag"):
            extras.append(f"group {info['parentIdTag']}")
        click.echo(f"  {entry['idTag']:<20} {info['status']:<12} {', '.join(extras)}".rstrip())


def _describe_result(result: dict[str, Any]) -> str:
    parts = ", ".join(
        f"{part['updateType']} v{part['listVersion']} ({part['entries']}): {part['status']}"
        for part in result["parts"]
    )
    text = f"{result['status']} at {result['at']}"
    if parts:
        text += f" [{parts}]"
    if result.get("resynced"):
        text += " after a full resync"
    return text


@click.group("local-list")
def local_list() -> None:
    """Show, sync and choose charge points' Local Authorization Lists (running server)."""


@local_list.command("show")
@click.argument("charge_point_id")
@_server_options
def show(charge_point_id: str, url: str, token: str, as_json: bool) -> None:
    """What CHARGE_POINT_ID holds, whether it is out of date, and why."""
    state = _request("GET", url, token, f"/charge-points/{charge_point_id}/local-list")
    if as_json:
        click.echo(json.dumps(state, indent=2))
    else:
        _echo_state(state)


@local_list.command("list")
@click.option("--out-of-date/--up-to-date", "out_of_date", default=None, help="Filter.")
@click.option("--limit", default=100, show_default=True)
@_server_options
def list_lists(out_of_date: bool | None, limit: int, url: str, token: str, as_json: bool) -> None:
    """Every charge point's list version and whether it is out of date."""
    params: dict[str, Any] = {"limit": limit}
    if out_of_date is not None:
        params["outOfDate"] = str(out_of_date).lower()
    page = _request("GET", url, token, "/local-lists", params=params)
    if as_json:
        click.echo(json.dumps(page, indent=2))
        return
    for item in page["items"]:
        state = "out of date" if item["outOfDate"] else "up to date"
        if item["supported"] is False:
            state = "no local list"
        click.echo(
            f"{item['chargePointId']}  {item['source']}  v{_version(item['sentVersion'])}  "
            f"{item['entries']} entries  {state}"
        )
    click.echo(f"({len(page['items'])} of {page['total']})")


@local_list.command("sync")
@click.argument("charge_point_id")
@click.option(
    "--type",
    "update_type",
    type=click.Choice(["Auto", "Full", "Differential"]),
    default="Auto",
    show_default=True,
    help="Auto sends the changes when the CSMS knows what the charge point holds.",
)
@click.option("--refresh-limits", is_flag=True, help="Ask the charge point its max lengths.")
@_timeout_option
@_server_options
def sync(
    charge_point_id: str,
    update_type: str,
    refresh_limits: bool,
    timeout: float | None,
    url: str,
    token: str,
    as_json: bool,
) -> None:
    """Send CHARGE_POINT_ID its local list (SendLocalList)."""
    result = _request(
        "POST",
        url,
        token,
        f"/charge-points/{charge_point_id}/local-list/sync",
        body={"updateType": update_type, "refreshLimits": refresh_limits},
        params={"timeout": timeout},
    )
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(_describe_result(result))
    for note in result["notes"]:
        click.echo(f"  {note}")
    if result.get("detail"):
        click.echo(f"  {result['detail']}")


@local_list.command("version")
@click.argument("charge_point_id")
@_timeout_option
@_server_options
def version(
    charge_point_id: str, timeout: float | None, url: str, token: str, as_json: bool
) -> None:
    """Ask CHARGE_POINT_ID its list version (GetLocalListVersion)."""
    state = _request(
        "POST",
        url,
        token,
        f"/charge-points/{charge_point_id}/local-list/version",
        params={"timeout": timeout},
    )
    if as_json:
        click.echo(json.dumps(state, indent=2))
        return
    click.echo(
        f"{charge_point_id} holds version {_version(state['chargePointVersion'])} "
        f"(CSMS sent {_version(state['sentVersion'])}); "
        f"{'out of date' if state['outOfDate'] else 'up to date'}"
    )


@local_list.command("policy")
@click.argument("charge_point_id")
@click.option(
    "--source",
    type=click.Choice(["all", "group", "tags"]),
    help="Set the policy: all id tags, a group's members, or the --tag ones. "
    "Without it, show the current policy.",
)
@click.option("--parent", help="The group (parentIdTag), with --source group.")
@click.option("--tag", "tags", multiple=True, help="An id tag, with --source tags (repeat).")
@click.option("--max-length", type=click.IntRange(min=1), help="LocalAuthListMaxLength.")
@click.option("--send-max-length", type=click.IntRange(min=1), help="SendLocalListMaxLength.")
@_server_options
def policy(
    charge_point_id: str,
    source: str | None,
    parent: str | None,
    tags: tuple[str, ...],
    max_length: int | None,
    send_max_length: int | None,
    url: str,
    token: str,
    as_json: bool,
) -> None:
    """Show or set which id tags CHARGE_POINT_ID's list holds."""
    path = f"/charge-points/{charge_point_id}/local-list"
    if source is None:
        if parent or tags or max_length or send_max_length:
            raise click.UsageError("--parent, --tag and the max lengths go with --source")
        state = _request("GET", url, token, path)
    else:
        body = {
            "source": source,
            "parentIdTag": parent,
            "idTags": list(tags) if tags or source == "tags" else None,
            "localAuthListMaxLength": max_length,
            "sendLocalListMaxLength": send_max_length,
        }
        state = _request("PUT", url, token, f"{path}/policy", body=body)
    if as_json:
        click.echo(json.dumps(state["policy"], indent=2))
    else:
        _echo_state(state)


COMMANDS = [local_list]
