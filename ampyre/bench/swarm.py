"""The charge point swarm: one WebSocket client per simulated charge point, driven by
callbacks rather than a coroutine per charge point.

Why callbacks: the generator must load the server, not itself. With picows (a Cython
WebSocket client) each answer arrives in `on_ws_frame`, is parsed with orjson, checked,
recorded, and the next CALL is built and written from that same callback: no task switch
and no future per call. That keeps the generator's CPU per call at a fraction of the
server's (`ampyre bench` reports both), so one process drives tens of thousands of calls
per second.

OCPP-J rules kept: the `ocpp1.6` subprotocol is requested; a charge point never has two
CALLs outstanding; CALLs from the CSMS are answered at once with a minimal valid answer
(or CALLERROR NotImplemented). A watchdog, once per second (cheaper than a timer per
call), drops a charge point whose CALL has waited longer than the call timeout.

Phases: connect (+ BootNotification) of every charge point, then warm-up, the measured
window and a drain (every charge point finishes its outstanding CALL), then all
connections are closed. Closed loop sends the next CALL when the answer arrives; open
loop gives every charge point a fixed schedule (the total rate spread over the swarm,
random phase each) and measures latency from the scheduled time, so a slow server cannot
hide its queueing by slowing the generator down (coordinated omission).

One module for one job, running the swarm: the phases and the counters every callback
updates belong together on `Swarm` (the charge point's side is `bench/client.py`, the
message mixes `bench/mixes.py`, the report `bench/report.py`); split further, the hot
path would be read across files that only make sense together.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from picows import WSCloseCode, ws_connect

from ampyre.bench.client import SUBPROTOCOL, ChargePoint, clock, describe_error
from ampyre.bench.histogram import Histogram
from ampyre.bench.mixes import (
    MIXES,
    MixSettings,
    Payload,
    boot_notification,
)
from ampyre.bench.process_stats import own_cpu_seconds
from ampyre.bench.results import (
    ActionStats,
    BenchConfig,
    BenchError,
    ServerSample,
    SwarmResult,
    sample_server,
)


def raise_file_limit(needed: int) -> None:
    """Each connection is a file descriptor: raise the soft limit, fail clearly if the
    hard limit is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    target = hard if hard == resource.RLIM_INFINITY else max(soft, min(hard, max(needed, 65536)))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise BenchError(
            f"{needed} file descriptors needed, the limit is {soft} (raise `ulimit -n`)"
        )


class Swarm:
    """The whole run: charge points, shared counters, phases and timers."""

    def __init__(self, config: BenchConfig) -> None:
        if config.mix not in MIXES:
            raise BenchError(f"unknown mix {config.mix!r}")
        self.config = config
        self.loop = asyncio.get_running_loop()
        self.mix_settings = MixSettings(id_tags=config.id_tags, meter_values=config.meter_values)
        self.interval = config.interval
        self.actions: dict[str, ActionStats] = {}
        self.service_latency = Histogram()
        self.send_lag = Histogram()
        self.connect_latency = Histogram()
        self.boot_latency = Histogram()
        self.errors: Counter[str] = Counter()
        self.server_calls: Counter[str] = Counter()
        self.charge_points = [ChargePoint(self, index) for index in range(config.cps)]
        self.measuring = False
        self.stopping = False
        self.in_flight = 0
        self.drained = asyncio.Event()
        self.answered = 0
        self.error_count = 0
        self.completed_in_window = 0
        self.connected = 0
        self.connect_failed = 0
        self.connect_done = 0
        self.subprotocol_missing = 0
        self.booted = 0
        self.boot_not_accepted = 0
        self.auth_not_accepted = 0
        self.timeouts = 0
        self.disconnected = 0
        self.stray_frames = 0
        self.first_connect_error: str | None = None
        self.last_connect = 0.0
        self.last_boot = 0.0
        self.phase = "connect"
        self.started = clock()
        self.per_second: list[int] = []

    def call_finished(self) -> None:
        """A CALL got its answer or was given up: the drain waits for none left."""
        self.in_flight -= 1
        if self.in_flight <= 0 and self.stopping:
            self.drained.set()

    def stats(self, action: str) -> ActionStats:
        stats = self.actions.get(action)
        if stats is None:
            stats = self.actions[action] = ActionStats()
        return stats

    # -- connect phase

    async def connect_one(self, charge_point: ChargePoint, limit: asyncio.Semaphore | None) -> None:
        config = self.config
        url = f"{config.url.rstrip('/')}/{charge_point.cp_id}"
        try:
            if limit is not None:
                await limit.acquire()
            started = clock()
            try:
                transport, _ = await ws_connect(
                    lambda: charge_point,
                    url,
                    ssl_context=config.ssl_context,
                    websocket_handshake_timeout=config.connect_timeout,
                    extra_headers={"Sec-WebSocket-Protocol": SUBPROTOCOL},
                    max_frame_size=16 * 1024 * 1024,
                    logger_name="ampyre.bench",
                )
            finally:
                if limit is not None:
                    limit.release()
        except Exception as error:
            self.connect_failed += 1
            reason = describe_error(error)
            self.errors[f"connect:{reason}"] += 1
            if self.first_connect_error is None:
                detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
                self.first_connect_error = f"{reason}: {detail}" if detail else reason
            self.connect_done += 1
            return
        now = clock()
        charge_point.transport = transport
        self.connected += 1
        self.connect_latency.record(int((now - started) * 1_000_000.0))
        self.last_connect = max(self.last_connect, now)
        protocol = transport.response.headers.get("Sec-WebSocket-Protocol")
        if protocol != SUBPROTOCOL:
            self.subprotocol_missing += 1
            self.errors["subprotocol_missing"] += 1
        waiter: asyncio.Future[Payload | None] = self.loop.create_future()
        charge_point.boot_waiter = waiter
        charge_point.send_call("BootNotification", boot_notification(charge_point.cp_id), 0.0)
        answer = await waiter
        self.connect_done += 1
        if answer is not None:
            self.booted += 1
            self.last_boot = max(self.last_boot, clock())
            if answer.get("status") != "Accepted":
                self.boot_not_accepted += 1

    async def ticker(self) -> None:
        """Once a second: the call-timeout watchdog and the progress line."""
        limit = self.config.call_timeout
        last_answered = 0
        while True:
            await asyncio.sleep(1.0)
            now = clock()
            for charge_point in self.charge_points:
                sent_at = charge_point.sent_at
                if sent_at and now - sent_at > limit and not charge_point.dropped:
                    self.timeouts += 1
                    self.error_count += 1
                    charge_point.drop("timeout")
            rate = self.answered - last_answered
            last_answered = self.answered
            if self.measuring:
                self.per_second.append(rate)
            if self.config.progress:
                self.show_progress(now, rate)

    def show_progress(self, now: float, rate: int) -> None:
        errors = self.error_count + self.connect_failed + self.disconnected
        line = (
            f"\r{now - self.started:7.1f}s {self.phase:<8} {rate:>8,} calls/s  "
            f"{self.answered:>11,} calls  {errors:>6,} errors  "
            f"{self.connected - self.disconnected:>6,}/{self.config.cps:,} connected"
        )
        sys.stderr.write(line)
        sys.stderr.flush()

    # -- the run

    async def run(self) -> SwarmResult:
        config = self.config
        loop = self.loop
        server_before = sample_server(config.server_pid)
        cpu_start = own_cpu_seconds()
        ticker = loop.create_task(self.ticker())
        try:
            return await self._run(server_before, cpu_start)
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if config.progress:
                sys.stderr.write("\n")
                sys.stderr.flush()
            for charge_point in self.charge_points:
                if charge_point.transport is not None and not charge_point.gone:
                    charge_point.closing = True
                    charge_point.transport.disconnect(graceful=False)

    async def _run(self, server_before: ServerSample | None, cpu_start: float) -> SwarmResult:
        config = self.config
        loop = self.loop
        limit = (
            asyncio.Semaphore(config.connect_concurrency) if config.connect_concurrency else None
        )
        t0 = clock()
        connecting = [
            loop.create_task(self.connect_one(charge_point, limit))
            for charge_point in self.charge_points
        ]
        await asyncio.gather(*connecting)
        t_connected = clock()
        cpu_connected = own_cpu_seconds()
        server_connected = sample_server(config.server_pid)
        if self.connected == 0:
            raise BenchError(
                f"cannot connect to {config.url}: {self.first_connect_error or 'no connection'}"
            )
        window_start = t0
        window_end = t_connected
        cpu_window_start, cpu_window_end = cpu_start, cpu_connected
        server_window_start, server_window_end = server_before, server_connected
        if config.mix == "connect":
            # the connect storm: its window is the connect phase, its calls the boots
            stats = self.stats("BootNotification")
            stats.sent = self.connected
            stats.results = self.booted
            stats.latency.merge(self.boot_latency)
            self.completed_in_window = self.booted
            window_end = self.last_boot or t_connected
        else:
            (
                window_start,
                window_end,
                cpu_window_start,
                cpu_window_end,
                sw0,
                sw1,
            ) = await self._load()
            server_window_start, server_window_end = sw0, sw1
            await self._drain()
        await self._close_all()
        cpu_end = own_cpu_seconds()
        return SwarmResult(
            config=config,
            loop_name=type(loop).__module__.split(".")[0],
            actions=self.actions,
            latency=self._overall_latency(),
            service_latency=self.service_latency,
            send_lag=self.send_lag,
            connect_latency=self.connect_latency,
            boot_latency=self.boot_latency,
            errors=self.errors,
            server_calls=self.server_calls,
            connected=self.connected,
            connect_failed=self.connect_failed,
            subprotocol_missing=self.subprotocol_missing,
            booted=self.booted,
            boot_not_accepted=self.boot_not_accepted,
            auth_not_accepted=self.auth_not_accepted,
            timeouts=self.timeouts,
            disconnected=self.disconnected,
            stray_frames=self.stray_frames,
            completed_in_window=self.completed_in_window,
            window_s=max(window_end - window_start, 1e-9),
            time_to_connect_all_s=(self.last_connect - t0) if self.last_connect else None,
            time_to_boot_all_s=(self.last_boot - t0) if self.last_boot else None,
            connect_phase_s=t_connected - t0,
            generator_cpu_s_window=cpu_window_end - cpu_window_start,
            generator_cpu_s_connect=cpu_connected - cpu_start,
            generator_cpu_s_total=cpu_end - cpu_start,
            server_before=server_before,
            server_connected=server_connected,
            server_window_start=server_window_start,
            server_window_end=server_window_end,
            first_connect_error=self.first_connect_error,
            per_second=self.per_second,
        )

    async def _load(
        self,
    ) -> tuple[float, float, float, float, ServerSample | None, ServerSample | None]:
        """Warm-up and the measured window; returns its bounds, the generator's CPU and
        the server samples at both ends."""
        config = self.config
        loop = self.loop
        marks: dict[str, Any] = {}

        def start_measuring() -> None:
            marks["server_start"] = sample_server(config.server_pid)
            marks["cpu_start"] = own_cpu_seconds()
            marks["start"] = clock()
            self.measuring = True
            self.phase = "measure"

        def stop_measuring() -> None:
            self.measuring = False
            self.stopping = True
            marks["end"] = clock()
            marks["cpu_end"] = own_cpu_seconds()
            marks["server_end"] = sample_server(config.server_pid)
            self.phase = "drain"

        t_start = clock() + 0.05
        self.phase = "warmup" if config.warmup > 0 else "measure"
        if config.warmup > 0:
            loop.call_later(t_start + config.warmup - clock(), start_measuring)
        else:
            start_measuring()
        interval = self.interval
        for charge_point in self.charge_points:
            if charge_point.gone or charge_point.transport is None:
                continue
            if interval:
                charge_point.next_at = t_start + charge_point.rng.random() * interval
                loop.call_later(charge_point.next_at - clock(), charge_point.begin)
            else:
                loop.call_soon(charge_point.begin)
        end_in = t_start + config.warmup + config.duration - clock()
        stop: asyncio.Future[None] = loop.create_future()

        def stop_now() -> None:
            stop_measuring()
            stop.set_result(None)

        loop.call_later(end_in, stop_now)
        await stop
        return (
            marks["start"],
            marks["end"],
            marks["cpu_start"],
            marks["cpu_end"],
            marks["server_start"],
            marks["server_end"],
        )

    async def _drain(self) -> None:
        """Wait until every charge point has its answer (or the watchdog dropped it)."""
        if self.in_flight <= 0:
            return
        # the watchdog drops anything older than the call timeout, so this is a bound
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drained.wait(), self.config.call_timeout + 2.0)

    async def _close_all(self) -> None:
        """Close every connection with a close frame; not measured."""
        self.stopping = True
        self.phase = "close"
        closing: list[asyncio.Future[Any]] = []
        for charge_point in self.charge_points:
            transport = charge_point.transport
            if transport is None or charge_point.gone:
                continue
            charge_point.closing = True
            with contextlib.suppress(Exception):
                transport.send_close(WSCloseCode.OK)
                transport.disconnect()
                closing.append(asyncio.ensure_future(transport.wait_disconnected()))
        if closing:
            _, pending = await asyncio.wait(closing, timeout=5.0)
            for future in pending:
                future.cancel()

    def _overall_latency(self) -> Histogram:
        overall = Histogram()
        for stats in self.actions.values():
            overall.merge(stats.latency)
        return overall


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run_swarm(config: BenchConfig) -> SwarmResult:
    """Run the swarm on uvloop (when installed) and return its raw results."""
    raise_file_limit(config.cps + 64)

    async def main() -> SwarmResult:
        return await Swarm(config).run()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(main())
