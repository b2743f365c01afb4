"""`ampyre firmware`: Firmware Management through a running server (and the security
extension's SignedUpdateFirmware): hosted images, updates of one charge point, rollouts
to many. (`ampyre diagnostics` is `cli/diagnostics.py`.)

Sending UpdateFirmware needs the server's connection to the charge point, and hosted
files live in its data directory, so these talk to its REST API.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from ampyre.cli.rest import (
    RestClient,
    charge_point_path,
    chunks_of,
    echo_answer,
    echo_json,
    echo_table,
    gathered_options,
    json_option,
    rest_options,
    timestamp_help,
    without_none,
)
from ampyre.services.firmware import FIRMWARE_UPDATE

wait_option = click.option(
    "--wait",
    is_flag=True,
    help="Follow the rollout with a live progress display until it finishes.",
)
interval_option = click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="With --wait: seconds between looks at its progress.",
)
#: Where a charge point ends without the new firmware (the others: Installed, or
#: Cancelled / Superseded by the operator).
FAILED = FIRMWARE_UPDATE.terminal - {"Installed", "Cancelled", "Superseded"}


@click.group("firmware")
def firmware() -> None:
    """Host firmware images and update charge points (one, or many in a rollout)."""


@firmware.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="File name to publish it under. Default: FILE's name.")
@click.option("--description", help="A note for operators (version, release notes...).")
@json_option
@rest_options
def firmware_upload(
    api: RestClient, file: Path, name: str | None, description: str | None, as_json: bool
) -> None:
    """Upload FILE; charge points then download it from the URL printed."""
    image = api.call(
        "POST",
        "/firmware",
        params=without_none({"filename": name or file.name, "description": description}),
        content=chunks_of(file),
        headers={"Content-Type": "application/octet-stream"},
    )
    if as_json:
        echo_json(image)
        return
    click.echo(f"Firmware {image['firmwareId']}: {image['filename']} ({image['size']} bytes)")
    click.echo(f"sha256 {image['sha256']}")
    click.echo(f"url    {image['url']}")


@firmware.command("list")
@click.option("--limit", default=100, show_default=True)
@json_option
@rest_options
def firmware_list(api: RestClient, limit: int, as_json: bool) -> None:
    """List hosted firmware images."""
    result = api.call("GET", "/firmware", params={"limit": limit})
    if as_json:
        echo_json(result)
        return
    echo_table(
        result["items"],
        ["firmwareId", "filename", "size", "uploadedAt", "description"],
        result["total"],
    )


@firmware.command("delete")
@click.argument("firmware_id", type=int)
@click.option("--force", is_flag=True, help="Even while unfinished updates still use it.")
@rest_options
def firmware_delete(api: RestClient, firmware_id: int, force: bool) -> None:
    """Delete a hosted firmware image."""
    api.call("DELETE", f"/firmware/{firmware_id}", params={"force": str(force).lower()})
    click.echo(f"Deleted firmware {firmware_id}")


def _update_body(
    firmware_id: int | None,
    location: str | None,
    retrieve_date: str | None,
    retries: int | None,
    retry_interval: int | None,
    signed: bool,
    signature: str | None,
    signing_certificate: Path | None,
) -> dict[str, Any]:
    if (firmware_id is None) == (location is None):
        raise click.UsageError("give either --firmware-id or --location")
    if not signed and (signature or signing_certificate):
        raise click.UsageError("--signature and --signing-certificate go with --signed")
    return without_none(
        {
            "firmwareId": firmware_id,
            "location": location,
            "retrieveDate": retrieve_date,
            "retries": retries,
            "retryInterval": retry_interval,
            "signed": True if signed else None,
            "signature": signature,
            "signingCertificate": signing_certificate.read_text() if signing_certificate else None,
        }
    )


#: What to install and how (`update` and `rollout`), passed to the command as the
#: request's `body`.
_update_options = gathered_options(
    "body",
    [
        click.option("--firmware-id", type=int, help="A hosted image (see `firmware list`)."),
        click.option("--location", help="Or any URL the charge point can download from."),
        click.option("--retrieve-date", help=f"Not before this time. {timestamp_help}"),
        click.option("--retries", type=click.IntRange(min=0)),
        click.option("--retry-interval", type=click.IntRange(min=0), help="Seconds."),
        click.option(
            "--signed",
            is_flag=True,
            help="SignedUpdateFirmware: signed by the server's --firmware-signing-key, "
            "or with --signature and --signing-certificate.",
        ),
        click.option("--signature", help="Base64 signature over the image (with --signed)."),
        click.option(
            "--signing-certificate",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="PEM certificate of the key that made --signature.",
        ),
    ],
    _update_body,
)


@firmware.command("update")
@click.argument("charge_point_id")
@_update_options
@json_option
@rest_options
def firmware_update(
    api: RestClient, charge_point_id: str, body: dict[str, Any], as_json: bool
) -> None:
    """Send UpdateFirmware (or SignedUpdateFirmware) to CHARGE_POINT_ID now."""
    attempt = api.call("POST", f"{charge_point_path(charge_point_id)}/firmware-updates", json=body)
    echo_answer(
        attempt, as_json, f"Update {attempt['updateId']} {attempt['status']}: {attempt['location']}"
    )


@firmware.command("rollout")
@click.argument("charge_point_ids", nargs=-1, required=True)
@_update_options
@click.option("--concurrency", type=click.IntRange(1, 200), default=10, show_default=True)
@wait_option
@interval_option
@json_option
@rest_options
def firmware_rollout(
    api: RestClient,
    charge_point_ids: tuple[str, ...],
    body: dict[str, Any],
    concurrency: int,
    wait: bool,
    interval: float,
    as_json: bool,
) -> None:
    """Send a firmware image to every CHARGE_POINT_ID, CONCURRENCY at a time.

    With --wait, follow it with a progress bar per status until every charge point has
    finished (exit code 1 if any failed)."""
    body.update(chargePointIds=list(charge_point_ids), concurrency=concurrency)
    rollout = api.call("POST", "/firmware-rollouts", json=body)
    if wait:
        _wait_for_rollout(api, rollout["rolloutId"], interval, as_json)
        return
    echo_answer(
        rollout,
        as_json,
        f"Rollout {rollout['rolloutId']} started for {len(rollout['chargePoints'])} charge "
        f"points; follow it with `ampyre firmware status --rollout {rollout['rolloutId']}`",
    )


@firmware.command("status")
@click.argument("charge_point_id", required=False)
@click.option("--rollout", "rollout_id", type=int, help="A rollout's progress instead.")
@wait_option
@interval_option
@json_option
@rest_options
def firmware_status(
    api: RestClient,
    charge_point_id: str | None,
    rollout_id: int | None,
    wait: bool,
    interval: float,
    as_json: bool,
) -> None:
    """A charge point's firmware status and update history, or a rollout's progress."""
    if (charge_point_id is None) == (rollout_id is None):
        raise click.UsageError("give CHARGE_POINT_ID or --rollout ID")
    if wait and rollout_id is None:
        raise click.UsageError("--wait follows a rollout: give --rollout ID")
    if rollout_id is not None:
        if wait:
            _wait_for_rollout(api, rollout_id, interval, as_json)
            return
        rollout = api.call("GET", f"/firmware-rollouts/{rollout_id}")
        if as_json:
            echo_json(rollout)
        else:
            _echo_rollout(rollout)
        return
    assert charge_point_id is not None
    charge_point = api.call("GET", charge_point_path(charge_point_id))
    history = api.call("GET", f"{charge_point_path(charge_point_id)}/firmware-updates")
    if as_json:
        echo_json({"firmwareStatus": charge_point["firmwareStatus"], "updates": history})
        return
    click.echo(
        f"{charge_point_id}: firmware {charge_point['firmwareVersion'] or '-'}, "
        f"status {charge_point['firmwareStatus'] or '-'}"
    )
    echo_table(
        history["items"],
        ["updateId", "status", "requestedAt", "finishedAt", "location"],
        history["total"],
    )


def _echo_rollout(rollout: dict[str, Any]) -> None:
    click.echo(f"Rollout {rollout['rolloutId']}: {rollout['state']} ({_counts(rollout)})")
    echo_table(rollout["chargePoints"], ["chargePointId", "status", "updatedAt", "error"])


def _counts(rollout: dict[str, Any]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(rollout["counts"].items()))


def _wait_for_rollout(api: RestClient, rollout_id: int, interval: float, as_json: bool) -> None:
    """Show the rollout's progress live (on stderr) until it is no longer Running; then
    what each charge point ended with (stdout). Exit code 1 if any of them failed."""
    path = f"/firmware-rollouts/{rollout_id}"
    console = Console(stderr=True)
    rollout = api.call("GET", path)
    total = len(rollout["chargePoints"])
    with Progress(
        TextColumn("{task.description:>20}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=console.is_terminal,
    ) as progress:
        finished = progress.add_task("finished", total=total)
        bars: dict[str, TaskID] = {}
        try:
            while True:
                counts: dict[str, int] = rollout["counts"]
                progress.update(
                    finished,
                    completed=sum(n for s, n in counts.items() if s in FIRMWARE_UPDATE.terminal),
                )
                for status in sorted(set(counts) | set(bars)):
                    if status not in bars:
                        bars[status] = progress.add_task(status, total=total)
                    progress.update(bars[status], completed=counts.get(status, 0))
                if rollout["state"] != "Running":
                    break
                time.sleep(interval)
                rollout = api.call("GET", path)
        except KeyboardInterrupt:
            raise click.ClickException(
                f"stopped waiting; rollout {rollout_id} goes on "
                f"(`ampyre firmware status --rollout {rollout_id}`)"
            ) from None
    if as_json:
        echo_json(rollout)
    else:
        _echo_rollout(rollout)
    failed = sum(n for status, n in rollout["counts"].items() if status in FAILED)
    if failed:
        raise click.ClickException(f"{failed} of {total} charge points did not install it")


COMMANDS = [firmware]
