"""What `ampyre simulate` prints: one line per event, progress lines in load mode, and
how the run ended (a failure as one line naming what to do about it, exit code 1)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import click

from ampyre.simulator import Event, Fleet, FleetOutcome, describe
from ampyre.simulator.events import MESSAGE_KINDS

PROGRESS_INTERVAL = 5.0


def printer(*, quiet: bool, messages: bool) -> Any:
    """Event lines go to stdout; errors go to stderr even when quiet."""

    def sink(event: Event) -> None:
        is_problem = event.kind in ("warning", "error")
        if quiet and not is_problem:
            return
        if not messages and (event.kind in MESSAGE_KINDS or event.kind == "info"):
            return
        line = f"{datetime.now():%H:%M:%S.%f}"[:-3] + " " + describe(event)
        click.echo(line, err=quiet and is_problem)

    return sink


async def report_progress(fleet: Fleet) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(PROGRESS_INTERVAL)
        stats = fleet.stats
        elapsed = time.monotonic() - started
        click.echo(
            f"progress: {elapsed:.0f} s, {stats.charge_points_connected} connected, "
            f"{stats.sessions_completed} sessions, {stats.calls_sent} CALLs "
            f"({stats.calls_sent / max(elapsed, 1e-9):.0f}/s), {stats.errors} errors"
        )


def _unregistered(message: str) -> bool:
    """Whether a failure is what an unregistered charge point or id tag looks like."""
    return "HTTP 404" in message or "idTag status is Invalid" in message


def finish(
    outcome: FleetOutcome, ids: list[str], load_mode: bool, fleet: Fleet, *, registered: bool
) -> None:
    if outcome.failures:
        if len(ids) == 1:
            message = next(iter(outcome.failures.values()))
            if not registered and _unregistered(message):
                message += (
                    f" (register {ids[0]} and id tag {fleet.id_tag_for(0)} with `ampyre "
                    "charge-point add` and `ampyre id-tag add`, or give --token / "
                    "AMPYRE_API_TOKEN and simulate registers them)"
                )
            raise click.ClickException(message)
        for charge_point_id, message in list(outcome.failures.items())[:20]:
            click.echo(f"error: {charge_point_id}: {message}", err=True)
        raise click.ClickException(f"{len(outcome.failures)} of {len(ids)} charge points failed")
    if load_mode and fleet.stats.errors:
        raise click.ClickException(f"{fleet.stats.errors} errors during the load run")
