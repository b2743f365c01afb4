"""`ampyre bench`: a charge point swarm that loads a running CSMS and reports throughput,
latency, errors and (given its pid) the server's CPU and memory.

Operators use it to size a deployment: how many calls per second a server sustains, at
what latency, for which mix of messages, and what it costs in CPU and memory per
connection. The swarm itself lives in `ampyre.bench`; this module turns options into a
`BenchConfig` and errors into one-line messages with exit code 2.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit

import click

from ampyre.bench.mixes import MIX_NAMES
from ampyre.bench.process_stats import server_exists
from ampyre.cli.options import default_api_url, ocpp_url_option

ID_TAG_MAX_LENGTH = 20  # CiString20Type


class BenchUsageError(click.ClickException):
    """A one-line error with exit code 2 (bad options, nothing to connect to)."""

    exit_code = 2


@click.command("bench")
@ocpp_url_option("AMPYRE_BENCH_URL", "OCPP endpoint; each charge point connects to URL/ID.")
@click.option(
    "--cps",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    envvar="AMPYRE_BENCH_CPS",
    show_envvar=True,
    help="Number of charge points (one WebSocket each).",
)
@click.option(
    "--duration",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    envvar="AMPYRE_BENCH_DURATION",
    show_envvar=True,
    help="Measured seconds, after the warm-up (not used by the connect mix).",
)
@click.option(
    "--warmup",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    envvar="AMPYRE_BENCH_WARMUP",
    show_envvar=True,
    help="Seconds of load before measuring.",
)
@click.option(
    "--rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Open loop: CALLs per second for the whole swarm, on a fixed schedule per charge "
    "point; latency is measured from the schedule. 0: closed loop (next CALL as soon as "
    "the answer arrives).",
)
@click.option(
    "--mix",
    type=click.Choice(MIX_NAMES),
    default="realistic",
    show_default=True,
    help="realistic: charging sessions (StatusNotification, Authorize, StartTransaction, "
    "MeterValues x N, StopTransaction, Heartbeat); heartbeat: Heartbeats only; meter: one "
    "transaction, then MeterValues only; connect: connect storm, every charge point "
    "connects and boots at once.",
)
@click.option(
    "--meter-values",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="MeterValues per transaction in the realistic mix.",
)
@click.option(
    "--id-prefix",
    default="bench-cp-",
    show_default=True,
    envvar="AMPYRE_BENCH_ID_PREFIX",
    show_envvar=True,
    help="Charge point ids are PREFIX0 .. PREFIX{N-1}.",
)
@click.option(
    "--id-tags",
    "id_tag_count",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of distinct idTags the charge points use.",
)
@click.option(
    "--id-tag-prefix",
    default=None,
    help="idTags are PREFIX0 .. PREFIX{N-1} (at most 20 characters). "
    "Default: the id prefix followed by TAG, e.g. bench-cp-TAG0 .. bench-cp-TAG99.",
)
@click.option(
    "--call-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for an answer; then the call counts as a timeout and the "
    "charge point is dropped.",
)
@click.option(
    "--connect-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds for one WebSocket handshake.",
)
@click.option(
    "--connect-concurrency",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Handshakes in flight at most; 0: all charge points connect at once.",
)
@click.option(
    "--seed", default=1, show_default=True, type=int, help="Seed of the random message contents."
)
@click.option(
    "--server-pid",
    type=click.IntRange(min=1),
    default=None,
    envvar="AMPYRE_BENCH_SERVER_PID",
    show_envvar=True,
    help="Also report this server process's CPU (with its children) and memory.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A progress line on stderr once a second. Default: when stderr is a terminal "
    "and without --json.",
)
@click.option(
    "--register",
    is_flag=True,
    help="First register the charge points and idTags through the REST API "
    "(existing ones are kept).",
)
@click.option(
    "--api-url",
    default=default_api_url,
    show_default="http://127.0.0.1:8180/api/v1, host and port from AMPYRE_HOST and AMPYRE_PORT",
    envvar="AMPYRE_BENCH_API_URL",
    show_envvar=True,
    help="REST API for --register.",
)
@click.option(
    "--api-token",
    default=None,
    envvar="AMPYRE_API_TOKEN",
    show_envvar=True,
    help="Operator API token for --register (`ampyre token` shows it).",
)
def bench(
    url: str,
    cps: int,
    duration: float,
    warmup: float,
    rate: float,
    mix: str,
    meter_values: int,
    id_prefix: str,
    id_tag_count: int,
    id_tag_prefix: str | None,
    call_timeout: float,
    connect_timeout: float,
    connect_concurrency: int,
    seed: int,
    server_pid: int | None,
    as_json: bool,
    progress: bool | None,
    register: bool,
    api_url: str,
    api_token: str | None,
) -> None:
    """Load a running CSMS with a swarm of simulated OCPP 1.6-J charge points.

    Every charge point connects (subprotocol ocpp1.6), sends a BootNotification, then
    its message mix, never more than one CALL at a time, closed loop or at a fixed total
    --rate. Prints calls/s, latency percentiles overall and per action, errors, the
    generator's CPU and, with --server-pid, the server's CPU and memory. Exit code 0
    when the run completed (errors are counted in the report), 2 for bad options or
    when no charge point can connect.

    \b
    ampyre bench --cps 1000 --duration 20
    ampyre bench --cps 1000 --rate 2000 --server-pid $(pgrep -f "ampyre serve")
    ampyre bench --mix connect --cps 5000 --json
    """
    from ampyre.bench.report import build_report, render_text
    from ampyre.bench.results import BenchConfig, BenchError
    from ampyre.bench.swarm import run_swarm

    scheme = urlsplit(url).scheme
    if scheme not in ("ws", "wss"):
        raise BenchUsageError(f"--url must be a ws:// or wss:// URL, not {url!r}")
    tag_prefix = f"{id_prefix}TAG" if id_tag_prefix is None else id_tag_prefix
    longest = f"{tag_prefix}{id_tag_count - 1}"
    if len(longest) > ID_TAG_MAX_LENGTH:
        raise BenchUsageError(
            f"idTag {longest!r} is longer than {ID_TAG_MAX_LENGTH} characters: "
            "use a shorter --id-tag-prefix or --id-prefix"
        )
    if server_pid is not None and not server_exists(server_pid):
        raise BenchUsageError(f"--server-pid {server_pid}: no such process")
    id_tags = tuple(f"{tag_prefix}{index}" for index in range(id_tag_count))
    config = BenchConfig(
        url=url.rstrip("/"),
        cps=cps,
        duration=duration,
        warmup=warmup,
        rate=rate,
        mix=mix,
        meter_values=meter_values,
        id_prefix=id_prefix,
        id_tags=id_tags,
        call_timeout=call_timeout,
        connect_timeout=connect_timeout,
        connect_concurrency=connect_concurrency,
        seed=seed,
        server_pid=server_pid,
        progress=(sys.stderr.isatty() and not as_json) if progress is None else progress,
    )
    try:
        if register:
            if not api_token:
                raise BenchUsageError("--register needs --api-token (or AMPYRE_API_TOKEN)")
            from ampyre.bench.register import register as register_all

            registered = register_all(
                api_url, api_token, [config.charge_point_id(i) for i in range(cps)], id_tags
            )
            if not as_json:
                click.echo(
                    f"registered {registered['charge_points_created']:,} charge points "
                    f"({registered['charge_points_existing']:,} existed) and "
                    f"{registered['id_tags_created']:,} idTags "
                    f"({registered['id_tags_existing']:,} existed)",
                    err=True,
                )
        result = run_swarm(config)
    except BenchError as error:
        raise BenchUsageError(str(error)) from None
    except KeyboardInterrupt:
        click.echo("ampyre bench: interrupted", err=True)
        sys.exit(130)
    report = build_report(result)
    if as_json:
        click.echo(json.dumps(report, indent=1))
    else:
        click.echo(render_text(report))
