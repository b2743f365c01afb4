"""`ampyre diagnostics`: ask charge points for diagnostics (GetDiagnostics) or logs (the
security extension's GetLog) and fetch the files they upload to the server.

The charge point uploads to the server's own HTTP or FTP endpoint (or to --location), so
these talk to its REST API like every operator command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ampyre.cli.rest import (
    RestClient,
    charge_point_path,
    echo_answer,
    echo_json,
    echo_table,
    gathered_options,
    json_option,
    rest_options,
    timestamp_help,
    without_none,
)


def _upload_fields(
    transport: str, location: str | None, retries: int | None, retry_interval: int | None
) -> dict[str, Any]:
    return {
        "transport": transport,
        "location": location,
        "retries": retries,
        "retryInterval": retry_interval,
    }


#: Where a charge point uploads (GetDiagnostics, GetLog) and how often it tries, passed to
#: the command as the request's `upload` fields.
_upload_options = gathered_options(
    "upload",
    [
        click.option(
            "--transport",
            type=click.Choice(["http", "ftp", "external"]),
            default="http",
            show_default=True,
            help="Upload to this server over HTTP or FTP, or to --location.",
        ),
        click.option("--location", help="The upload location, with --transport external."),
        click.option("--retries", type=click.IntRange(min=0)),
        click.option("--retry-interval", type=click.IntRange(min=0), help="Seconds."),
    ],
    _upload_fields,
)


@click.group("diagnostics")
def diagnostics() -> None:
    """Ask charge points for diagnostics and fetch the files they upload."""


@diagnostics.command("request")
@click.argument("charge_point_id")
@click.option("--start-time", help=f"Oldest information wanted. {timestamp_help}")
@click.option("--stop-time", help=f"Newest information wanted. {timestamp_help}")
@_upload_options
@json_option
@rest_options
def diagnostics_request(
    api: RestClient,
    charge_point_id: str,
    start_time: str | None,
    stop_time: str | None,
    upload: dict[str, Any],
    as_json: bool,
) -> None:
    """Send GetDiagnostics to CHARGE_POINT_ID with an upload location on this server."""
    body = without_none({**upload, "startTime": start_time, "stopTime": stop_time})
    request = api.call(
        "POST", f"{charge_point_path(charge_point_id)}/diagnostics-requests", json=body
    )
    echo_answer(
        request,
        as_json,
        f"Diagnostics request {request['requestId']} {request['status']}: "
        f"file {request['fileName'] or '(none available)'}",
    )


@diagnostics.command("log")
@click.argument("charge_point_id")
@click.option(
    "--type",
    "log_type",
    type=click.Choice(["DiagnosticsLog", "SecurityLog"]),
    default="DiagnosticsLog",
    show_default=True,
)
@click.option("--oldest", help=f"Oldest entries wanted. {timestamp_help}")
@click.option("--latest", help=f"Newest entries wanted. {timestamp_help}")
@_upload_options
@json_option
@rest_options
def diagnostics_log(
    api: RestClient,
    charge_point_id: str,
    log_type: str,
    oldest: str | None,
    latest: str | None,
    upload: dict[str, Any],
    as_json: bool,
) -> None:
    """Send GetLog to CHARGE_POINT_ID (security extension); the file it uploads is
    listed and downloaded like a diagnostics file."""
    body = without_none(
        {"logType": log_type, **upload, "oldestTimestamp": oldest, "latestTimestamp": latest}
    )
    request = api.call("POST", f"{charge_point_path(charge_point_id)}/log-requests", json=body)
    echo_answer(
        request,
        as_json,
        f"{log_type} request {request['requestId']} {request['status']}: "
        f"file {request['fileName'] or '(none named)'}; once uploaded, see "
        f"`ampyre diagnostics list --logs {charge_point_id}` and `ampyre diagnostics download`",
    )


@diagnostics.command("list")
@click.argument("charge_point_id")
@click.option("--limit", default=20, show_default=True)
@click.option("--logs", is_flag=True, help="The GetLog requests (`diagnostics log`) instead.")
@json_option
@rest_options
def diagnostics_list(
    api: RestClient, charge_point_id: str, limit: int, logs: bool, as_json: bool
) -> None:
    """CHARGE_POINT_ID's diagnostics (or log) requests and the files received for each."""
    kind = "log-requests" if logs else "diagnostics-requests"
    result = api.call(
        "GET", f"{charge_point_path(charge_point_id)}/{kind}", params={"limit": limit}
    )
    if as_json:
        echo_json(result)
        return
    rows = [
        {
            **request,
            "files": ", ".join(f"{f['fileId']}:{f['filename']}" for f in request["files"]),
        }
        for request in result["items"]
    ]
    columns = ["requestId", "transport", "status", "fileName", "requestedAt", "files"]
    if logs:
        columns.insert(1, "logType")
    echo_table(
        rows,
        columns,
        result["total"],
    )


@diagnostics.command("download")
@click.argument("charge_point_id")
@click.argument("file_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to save it. Default: its own name, in the current directory.",
)
@rest_options
def diagnostics_download(
    api: RestClient, charge_point_id: str, file_id: int, output: Path | None
) -> None:
    """Save diagnostics file FILE_ID of CHARGE_POINT_ID."""
    saved = api.download(
        f"{charge_point_path(charge_point_id)}/diagnostics/{file_id}",
        lambda name: output or Path(name or f"diagnostics-{file_id}"),
    )
    click.echo(f"Saved {saved} ({saved.stat().st_size} bytes)")


COMMANDS = [diagnostics]
