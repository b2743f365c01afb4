"""`ampyre simulate`: run simulated OCPP 1.6-J charge points against a CSMS.

Three ways to use it: a scenario (the built-in one, or `--script FILE`) played by one
charge point or a fleet; the same followed by `--stay` to keep answering the CSMS (for
demos and manual tests from the operator UI); and the load mode (`--sessions` and/or
`--duration`), which repeats charging sessions and reports round-trip statistics.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from ampyre.bench.register import register as register_all
from ampyre.bench.results import BenchError
from ampyre.cli.options import ocpp_url_option
from ampyre.cli.simulate_output import finish, printer, report_progress
from ampyre.simulator import (
    DEFAULT_SCRIPT,
    Fleet,
    FleetOutcome,
    LoadProfile,
    ScriptError,
    fleet_ids,
    load_script,
    parse_script,
)
from ampyre.simulator.script import Step

PROGRESS_INTERVAL = 5.0


@click.command("simulate")
@ocpp_url_option(
    "AMPYRE_SIMULATE_URL",
    "Base ws:// or wss:// URL of the CSMS; the charge point id is appended "
    "(or replaces {id} if present).",
)
@click.option(
    "--id",
    "charge_point_id",
    default="CP-1",
    show_default=True,
    help="Charge point id (single charge point).",
)
@click.option(
    "--id-prefix", default=None, help="Fleet id prefix: ids are PREFIX1, PREFIX2... (see --count)."
)
@click.option(
    "--count",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of charge points.",
)
@click.option(
    "--first-index",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Number of the first fleet charge point.",
)
@click.option(
    "--password",
    default=None,
    envvar="AMPYRE_SIMULATE_PASSWORD",
    show_envvar=True,
    help="HTTP Basic auth password (the username is the charge point id).",
)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CA bundle to verify a wss:// server with.",
)
@click.option("--insecure", is_flag=True, help="Do not verify the wss:// server certificate.")
@click.option(
    "--connectors",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Connectors per charge point.",
)
@click.option(
    "--id-tag",
    default="SIMTAG",
    show_default=True,
    help="idTag for sessions; {n} is replaced by the fleet position, {id} by the charge point id.",
)
@click.option("--vendor", default="Ampyre", show_default=True)
@click.option("--model", default="Simulator", show_default=True)
@click.option("--serial-number", default=None)
@click.option("--firmware-version", default="1.0.0", show_default=True)
@click.option(
    "--organization",
    default="Ampyre",
    show_default=True,
    help="CpoName: the O of the certificate signing requests (the CSMS's --ca-organization).",
)
@click.option(
    "--script",
    "script_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON scenario to play instead of the built-in one.",
)
@click.option(
    "--stay",
    is_flag=True,
    help="After the script, stay connected answering the CSMS until Ctrl-C "
    "(reconnecting if dropped).",
)
@click.option(
    "--sessions",
    type=click.IntRange(min=1),
    default=None,
    help="Load mode: charging sessions per charge point.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Load mode: run for this many seconds.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Load mode: sessions started per second by the whole fleet (0: no limit).",
)
@click.option(
    "--meter-values",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Load mode: MeterValues per session.",
)
@click.option(
    "--authorize/--no-authorize",
    default=True,
    show_default=True,
    help="Load mode: send Authorize before each session.",
)
@click.option(
    "--connect-rate",
    type=click.FloatRange(min=0),
    default=50.0,
    show_default=True,
    help="Connections opened per second (0: all at once).",
)
@click.option(
    "--call-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the answer to a CALL.",
)
@click.option(
    "--meter-interval",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="MeterValueSampleInterval: periodic MeterValues during sessions (0: off).",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Multiply the script's waits (sleep, idle, meter value intervals).",
)
@click.option("--reconnect", is_flag=True, help="Reconnect when the CSMS drops the connection.")
@click.option(
    "--stats-json",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the final statistics to this file as JSON.",
)
@click.option(
    "--token",
    default=None,
    envvar="AMPYRE_API_TOKEN",
    show_envvar=True,
    help="Operator API token: with it, the charge points and id tags are registered "
    "first (see --register).",
)
@click.option(
    "--api-url",
    default=None,
    envvar="AMPYRE_URL",
    show_envvar=True,
    show_default="the host and port of --url, over http(s)",
    help="Base URL of the server's REST API, for registering.",
)
@click.option(
    "--register/--no-register",
    default=None,
    help="Register the charge points and id tags through the REST API before connecting "
    "(those that exist are kept as they are). Default: when a token is given.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print no events, only errors and statistics.")
@click.option("-v", "--verbose", is_flag=True, help="Load mode: print every message too.")
def simulate(
    url: str,
    charge_point_id: str,
    id_prefix: str | None,
    count: int,
    first_index: int,
    password: str | None,
    ca_file: str | None,
    insecure: bool,
    connectors: int,
    id_tag: str,
    vendor: str,
    model: str,
    serial_number: str | None,
    firmware_version: str,
    organization: str,
    script_path: str | None,
    stay: bool,
    sessions: int | None,
    duration: float | None,
    rate: float,
    meter_values: int,
    authorize: bool,
    connect_rate: float,
    call_timeout: float,
    meter_interval: float,
    time_scale: float,
    reconnect: bool,
    stats_json: str | None,
    token: str | None,
    api_url: str | None,
    register: bool | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Simulate OCPP 1.6-J charge points against a CSMS.

    Without options, charge point CP-1 plays the built-in scenario: boot, every connector
    Available, Authorize, a session on connector 1 with three MeterValues, stop. Given the
    operator token (--token or AMPYRE_API_TOKEN), it first registers CP-1 and its id tag
    SIMTAG on the server, so it works against a fresh server out of the box. Events
    are printed one per line: `->` a CALL from the charge point, `<-` its answer, `<=` a
    CALL from the CSMS, `=>` the charge point's answer.

    A script is a JSON list of one-key steps: boot, status, heartbeat, authorize, start,
    meterValues, stop, call, waitFor, reconnect, repeat, sleep, idle. Example:
    [{"boot": {}}, {"status": {"connectorId": 1, "status": "Available"}},
    {"start": {"connectorId": 1, "idTag": "T1"}}, {"meterValues": {"count": 3, "interval": 10}},
    {"stop": {"connectorId": 1, "reason": "Local"}}, {"idle": 30}]

    Load mode (--sessions and/or --duration) runs sessions repeatedly on every charge point
    and ends with statistics: messages sent, CALL round-trip percentiles, messages per
    second, errors.
    """
    load_mode = sessions is not None or duration is not None
    if load_mode and (script_path or stay):
        raise click.UsageError("--script and --stay cannot be combined with the load mode")
    steps = _steps(script_path) if not load_mode else []
    if id_prefix is None and count == 1:
        ids = [charge_point_id]
    else:
        ids = fleet_ids(
            id_prefix if id_prefix is not None else f"{charge_point_id}-", count, first_index
        )
    show_stats = load_mode or count > 1
    sink = printer(quiet=quiet, messages=verbose or not load_mode)
    fleet = Fleet(
        url,
        ids,
        id_tag=id_tag,
        connect_rate=connect_rate,
        on_event=sink,
        password=password,
        ssl_context=_ssl_context(url, ca_file, insecure),
        connectors=connectors,
        vendor=vendor,
        model=model,
        serial_number=serial_number,
        firmware_version=firmware_version,
        organization=organization,
        call_timeout=call_timeout,
        meter_interval=meter_interval,
        auto_reconnect=reconnect or stay,
    )
    if register is None:
        register = bool(token)
    if register:
        _register(fleet, ids, url, api_url, token, quiet)
    profile = LoadProfile(
        sessions=sessions,
        duration=duration,
        rate=rate,
        meter_values=meter_values,
        authorize=authorize,
    )

    async def main() -> FleetOutcome:
        progress = None
        if load_mode and not quiet:
            progress = asyncio.create_task(report_progress(fleet))
        try:
            if load_mode:
                return await fleet.run_load(profile)
            return await fleet.run_script(steps, time_scale=time_scale, stay=stay)
        finally:
            if progress is not None:
                progress.cancel()

    interrupted = False
    outcome = FleetOutcome()
    try:
        outcome = asyncio.run(main())
    except KeyboardInterrupt:
        interrupted = True
    if show_stats:
        for line in fleet.stats.report_lines():
            click.echo(line)
    if stats_json:
        Path(stats_json).write_text(json.dumps(fleet.stats.summary(), indent=2) + "\n")
    if interrupted:
        if not stay:
            click.echo("interrupted", err=True)
            sys.exit(130)
        return
    finish(outcome, ids, load_mode, fleet, registered=register)


def _register(
    fleet: Fleet,
    ids: list[str],
    url: str,
    api_url: str | None,
    token: str | None,
    quiet: bool,
) -> None:
    """Register the charge points and their id tags through the REST API, as `ampyre
    bench --register` does: what exists (409) is kept, so a Blocked tag stays Blocked."""
    if not token:
        raise click.UsageError("--register needs the operator token: --token or AMPYRE_API_TOKEN")
    base = (api_url or _http_url(url)).rstrip("/")
    tags = sorted({fleet.id_tag_for(index) for index in range(len(ids))})
    try:
        counts = register_all(f"{base}/api/v1", token, ids, tags)
    except BenchError as error:
        raise click.ClickException(f"{error} (--no-register skips registering)") from None
    if not quiet:
        click.echo(
            f"registered {counts['charge_points_created']} charge points "
            f"({counts['charge_points_existing']} existed) and {counts['id_tags_created']} "
            f"id tags ({counts['id_tags_existing']} existed) at {base}",
            err=True,
        )


def _http_url(ws_url: str) -> str:
    """The server's own address from the charge points' one: ws -> http, wss -> https."""
    parts = urlsplit(ws_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme)
    return f"{scheme}://{parts.netloc}"


def _steps(script_path: str | None) -> list[Step]:
    try:
        if script_path is None:
            return parse_script(DEFAULT_SCRIPT)
        return load_script(script_path)
    except ScriptError as exc:
        raise click.BadParameter(str(exc), param_hint="'--script'") from None


def _ssl_context(url: str, ca_file: str | None, insecure: bool) -> ssl.SSLContext | None:
    if not url.lower().startswith("wss:"):
        if ca_file or insecure:
            raise click.UsageError("--ca-file and --insecure only apply to wss:// URLs")
        return None
    context = ssl.create_default_context(cafile=ca_file)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
