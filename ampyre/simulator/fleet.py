"""Many simulated charge points at once: a scripted fleet, or the load mode.

In load mode every charge point boots, then runs charging sessions back to back
(Authorize, StartTransaction with its StatusNotifications, MeterValues, StopTransaction)
until it has done its number of sessions or the duration is over. The session rate is
paced for the fleet as a whole, so that a benchmark can hold the server at a known load
instead of merely finding out how fast it goes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ocpp.v16.enums import AuthorizationStatus, Reason

from ampyre.simulator.charge_point import SimulatedChargePoint
from ampyre.simulator.errors import ConnectError, ConnectionLost, ScriptError, SimulatorError
from ampyre.simulator.events import EventSink
from ampyre.simulator.script import ScriptRunner, Step
from ampyre.simulator.stats import CallStats


@dataclass(slots=True)
class LoadProfile:
    sessions: int | None = None  # per charge point; None: until the duration is over
    duration: float | None = None  # seconds; None: until the sessions are done
    rate: float = 0.0  # sessions started per second by the whole fleet; 0: no pacing
    meter_values: int = 2  # MeterValues per session
    authorize: bool = True  # send Authorize before each StartTransaction


class RateLimiter:
    """Hands out evenly spaced start times; `rate` 0 means no limit."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0

    async def acquire(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class FleetOutcome:
    failures: dict[str, str] = field(default_factory=dict)  # charge point id -> why

    @property
    def ok(self) -> bool:
        return not self.failures


def fleet_ids(prefix: str, count: int, first: int = 1) -> list[str]:
    return [f"{prefix}{number}" for number in range(first, first + count)]


class Fleet:
    def __init__(
        self,
        url: str,
        charge_point_ids: Sequence[str],
        *,
        id_tag: str = "SIMTAG",
        connect_rate: float = 50.0,
        on_event: EventSink | None = None,
        **charge_point_options: Any,
    ) -> None:
        """`id_tag` may contain `{n}` (1-based position in the fleet) and `{id}` (the
        charge point id), for servers that refuse one idTag charging in several places."""
        self.stats = CallStats()
        self.id_tag = id_tag
        self.connect_limiter = RateLimiter(connect_rate)
        self.charge_points = [
            SimulatedChargePoint(
                url, charge_point_id, stats=self.stats, on_event=on_event, **charge_point_options
            )
            for charge_point_id in charge_point_ids
        ]

    def id_tag_for(self, index: int) -> str:
        cp = self.charge_points[index]
        return self.id_tag.replace("{n}", str(index + 1)).replace("{id}", cp.charge_point_id)

    async def run_script(
        self, steps: list[Step], *, time_scale: float = 1.0, stay: bool = False
    ) -> FleetOutcome:
        """Every charge point plays the script; with `stay` it then keeps answering the
        CSMS until cancelled."""
        outcome = FleetOutcome()

        async def play(index: int) -> None:
            cp = self.charge_points[index]
            runner = ScriptRunner(cp, id_tag=self.id_tag_for(index), time_scale=time_scale)
            await runner.run(steps)
            if stay:
                cp.emit("info", "script done; staying connected (Ctrl-C to stop)")
                await runner.idle(None)

        await self._each(play, outcome)
        return outcome

    async def run_load(self, profile: LoadProfile) -> FleetOutcome:
        outcome = FleetOutcome()
        limiter = RateLimiter(profile.rate)
        deadline = None if profile.duration is None else time.monotonic() + profile.duration
        if profile.sessions is None and deadline is None:
            profile.sessions = 1

        async def load(index: int) -> None:
            cp = self.charge_points[index]
            await cp.boot_until_accepted(max_attempts=3)
            await cp.send_all_statuses()
            await self._sessions(cp, self.id_tag_for(index), profile, limiter, deadline)

        await self._each(load, outcome)
        return outcome

    async def _each(self, work: Callable[[int], Awaitable[None]], outcome: FleetOutcome) -> None:
        async def one(index: int) -> None:
            cp = self.charge_points[index]
            await self.connect_limiter.acquire()
            try:
                await cp.connect()
            except ConnectError as exc:
                self.stats.charge_points_failed += 1
                self._failed(outcome, cp, str(exc))
                return
            self.stats.charge_points_connected += 1
            try:
                await work(index)
            except (ScriptError, SimulatorError, TimeoutError) as exc:
                self._failed(outcome, cp, str(exc) or type(exc).__name__)
            finally:
                await cp.close()

        try:
            await asyncio.gather(*(one(index) for index in range(len(self.charge_points))))
        finally:
            self.stats.stop()

    async def _sessions(
        self,
        cp: SimulatedChargePoint,
        id_tag: str,
        profile: LoadProfile,
        limiter: RateLimiter,
        deadline: float | None,
    ) -> None:
        done = 0
        while profile.sessions is None or done < profile.sessions:
            await limiter.acquire()
            if deadline is not None and time.monotonic() >= deadline:
                return
            connector_id = 1 + done % cp.connector_count
            done += 1
            try:
                await self._session(cp, connector_id, id_tag, profile)
            except ConnectionLost:
                raise
            except (SimulatorError, TimeoutError) as exc:
                self.stats.sessions_failed += 1
                self.stats.record_failure(f"{cp.charge_point_id}: session: {exc}")
                await self._abandon(cp, connector_id)
            else:
                self.stats.sessions_completed += 1

    async def _session(
        self, cp: SimulatedChargePoint, connector_id: int, id_tag: str, profile: LoadProfile
    ) -> None:
        if profile.authorize:
            info = await cp.authorize(id_tag)
            if info.status != AuthorizationStatus.accepted:
                raise SimulatorError(f"Authorize {id_tag}: {info.status}")
        answer = await cp.start_transaction(connector_id, id_tag)
        status = answer.id_tag_info.status
        if status != AuthorizationStatus.accepted:
            raise SimulatorError(f"StartTransaction {id_tag}: {status}")
        for _ in range(profile.meter_values):
            await cp.meter_values(connector_id)
        await cp.stop_transaction(connector_id)

    async def _abandon(self, cp: SimulatedChargePoint, connector_id: int) -> None:
        """After a failed session, end its transaction so the connector can be reused."""
        if cp.connectors[connector_id].transaction is None:
            return
        try:
            await cp.stop_transaction(connector_id, reason=Reason.other)
        except (SimulatorError, TimeoutError) as exc:
            cp.connectors[connector_id].transaction = None
            self.stats.record_failure(f"{cp.charge_point_id}: cleanup: {exc}")

    def _failed(self, outcome: FleetOutcome, cp: SimulatedChargePoint, message: str) -> None:
        outcome.failures[cp.charge_point_id] = message
        self.stats.record_failure(f"{cp.charge_point_id}: {message}")
