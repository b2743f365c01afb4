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
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
import ssl
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from ampyre.bench.histogram import Histogram
from ampyre.bench.mixes import (
    MIXES,
    SERVER_CALL_ANSWERS,
    MixGenerator,
    MixSettings,
    Payload,
    boot_notification,
    check_answer,
)
from ampyre.bench.process_stats import own_cpu_seconds, server_cpu_seconds, server_memory

clock = time.monotonic
SUBPROTOCOL = "ocpp1.6"
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CONTINUATION = WSMsgType.CONTINUATION
_CLOSE = WSMsgType.CLOSE
_dumps = orjson.dumps
_loads = orjson.loads


class BenchError(Exception):
    """A condition that ends the benchmark with a one-line message (exit code 2)."""


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run needs; the CLI builds it from the options."""

    url: str
    cps: int = 100
    duration: float = 10.0
    warmup: float = 2.0
    rate: float = 0.0
    mix: str = "realistic"
    meter_values: int = 5
    id_prefix: str = "bench-cp-"
    id_tags: tuple[str, ...] = ("TAG0",)
    call_timeout: float = 30.0
    connect_timeout: float = 30.0
    connect_concurrency: int = 0
    seed: int = 1
    server_pid: int | None = None
    progress: bool = False
    ssl_context: ssl.SSLContext | None = None

    @property
    def open_loop(self) -> bool:
        return self.rate > 0

    @property
    def interval(self) -> float:
        """Seconds between two scheduled CALLs of one charge point (open loop)."""
        return self.cps / self.rate if self.rate > 0 else 0.0

    def charge_point_id(self, index: int) -> str:
        return f"{self.id_prefix}{index}"


class ActionStats:
    """Counts and latency of one action in the measured window."""

    __slots__ = ("callerrors", "invalid", "latency", "results", "sent")

    def __init__(self) -> None:
        self.sent = 0
        self.results = 0  # valid CALLRESULTs
        self.callerrors = 0
        self.invalid = 0
        self.latency = Histogram()


@dataclass
class ServerSample:
    """The server's CPU seconds and memory at one moment."""

    cpu_s: float | None
    hwm_kib: int | None
    rss_kib: int | None


def sample_server(pid: int | None) -> ServerSample | None:
    if pid is None:
        return None
    memory = server_memory(pid)
    return ServerSample(
        cpu_s=server_cpu_seconds(pid),
        hwm_kib=memory.hwm_kib if memory else None,
        rss_kib=memory.rss_kib if memory else None,
    )


@dataclass
class SwarmResult:
    """Raw results of a run; `report.build_report` turns them into the report."""

    config: BenchConfig
    loop_name: str
    actions: dict[str, ActionStats]
    latency: Histogram
    service_latency: Histogram
    send_lag: Histogram
    connect_latency: Histogram
    boot_latency: Histogram
    errors: Counter[str]
    server_calls: Counter[str]
    connected: int
    connect_failed: int
    subprotocol_missing: int
    booted: int
    boot_not_accepted: int
    auth_not_accepted: int
    timeouts: int
    disconnected: int
    stray_frames: int
    completed_in_window: int
    window_s: float
    time_to_connect_all_s: float | None
    time_to_boot_all_s: float | None
    connect_phase_s: float
    generator_cpu_s_window: float
    generator_cpu_s_connect: float
    generator_cpu_s_total: float
    server_before: ServerSample | None = None
    server_connected: ServerSample | None = None
    server_window_start: ServerSample | None = None
    server_window_end: ServerSample | None = None
    first_connect_error: str | None = None
    per_second: list[int] = field(default_factory=list)


class ChargePoint(WSListener):
    """One simulated charge point: a picows listener that is also its own state machine."""

    def __init__(self, swarm: Swarm, index: int) -> None:
        self.swarm = swarm
        self.cp_id = swarm.config.charge_point_id(index)
        self.rng = random.Random(swarm.config.seed * 1_000_003 + index)
        self.transport: WSTransport | None = None
        self.mix: MixGenerator | None = None
        self.action = ""
        self.payload: Payload = {}
        self.seq = 0
        self.message_id = ""
        self.sent_at = 0.0  # 0.0: no CALL outstanding
        self.scheduled_at = 0.0  # open loop: when the outstanding CALL was due
        self.next_at = 0.0  # open loop: when the next CALL is due
        self.boot_waiter: asyncio.Future[Payload | None] | None = None
        self.fragments: bytearray | None = None
        self.closing = False
        self.dropped = False
        self.gone = False

    # -- picows callbacks

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is _TEXT or kind is _BINARY:
            if frame.fin:
                self.on_message(frame.get_payload_as_bytes())
            else:
                self.fragments = bytearray(frame.get_payload_as_bytes())
        elif kind is _CONTINUATION:
            if self.fragments is not None:
                self.fragments += frame.get_payload_as_bytes()
                if frame.fin:
                    data = bytes(self.fragments)
                    self.fragments = None
                    self.on_message(data)
        elif kind is _CLOSE:
            if not self.closing:
                self.swarm.errors[f"server_closed:{frame.get_close_code()}"] += 1
            self.closing = True
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        swarm = self.swarm
        self.gone = True
        if not self.closing and not self.dropped:
            swarm.disconnected += 1
            swarm.errors["disconnected"] += 1
        if self.sent_at:
            self.sent_at = 0.0
            swarm.call_finished()
        self._end_boot(None)

    # -- messages

    def on_message(self, data: bytes) -> None:
        swarm = self.swarm
        try:
            message = _loads(data)
            kind = message[0]
            if kind == 2:
                self.answer_server_call(message)
            elif (kind == 3 or kind == 4) and message[1] == self.message_id and self.sent_at:
                self.on_answer(kind, message)
            else:
                swarm.stray_frames += 1
                swarm.errors["stray_frame"] += 1
        except orjson.JSONDecodeError:
            swarm.errors["frame:not_json"] += 1
        except Exception as error:  # a malformed frame must not kill the charge point
            swarm.errors[f"frame:{type(error).__name__}"] += 1

    def answer_server_call(self, message: list[Any]) -> None:
        action = message[2]
        self.swarm.server_calls[action] += 1
        answer = SERVER_CALL_ANSWERS.get(action)
        if answer is None:
            frame = [4, message[1], "NotImplemented", f"{action} is not simulated", {}]
        else:
            frame = [3, message[1], answer]
        self.send_raw(_dumps(frame))

    def send_raw(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not self.gone:
            transport.send(_TEXT, data)

    def send_call(self, action: str, payload: Payload, scheduled_at: float) -> None:
        swarm = self.swarm
        self.seq += 1
        self.message_id = message_id = str(self.seq)
        self.action = action
        data = _dumps([2, message_id, action, payload])
        now = clock()
        self.sent_at = now
        self.scheduled_at = scheduled_at
        swarm.in_flight += 1
        if swarm.measuring:
            swarm.stats(action).sent += 1
            if scheduled_at:
                swarm.send_lag.record(int((now - scheduled_at) * 1_000_000.0))
        self.send_raw(data)

    def on_answer(self, kind: int, message: list[Any]) -> None:
        swarm = self.swarm
        now = clock()
        action = self.action
        sent_at = self.sent_at
        self.sent_at = 0.0
        swarm.call_finished()
        swarm.answered += 1
        result: Payload | None = None
        problem: str | None = None
        if kind == 3:
            payload = message[2]
            problem = check_answer(action, payload)
            if problem is None:
                result = payload
        if self.boot_waiter is not None:  # the connect phase
            swarm.boot_latency.record(int((now - sent_at) * 1_000_000.0))
            if kind == 4:
                swarm.errors[f"callerror:{action}:{message[2]}"] += 1
            elif problem is not None:
                swarm.errors[f"invalid:{action}:{problem}"] += 1
            self._end_boot(result)
            return
        if swarm.measuring:
            stats = swarm.stats(action)
            start = self.scheduled_at or sent_at
            stats.latency.record(int((now - start) * 1_000_000.0))
            if self.scheduled_at:
                swarm.service_latency.record(int((now - sent_at) * 1_000_000.0))
            swarm.completed_in_window += 1
            if kind == 4:
                stats.callerrors += 1
            elif problem is not None:
                stats.invalid += 1
            else:
                stats.results += 1
        if kind == 4:
            swarm.errors[f"callerror:{action}:{message[2]}"] += 1
            swarm.error_count += 1
        elif problem is not None:
            swarm.errors[f"invalid:{action}:{problem}"] += 1
            swarm.error_count += 1
        elif action == "Authorize" or action == "StartTransaction":
            info = result.get("idTagInfo") if result is not None else None
            if isinstance(info, dict) and info.get("status") != "Accepted":
                swarm.auth_not_accepted += 1
        self.advance(result, now)

    # -- the load phase

    def begin(self) -> None:
        """Start this charge point's mix (at its first scheduled time in open loop)."""
        if self.gone or self.swarm.stopping:
            return
        self.mix = MIXES[self.swarm.config.mix](self.rng, self.swarm.mix_settings)
        try:
            self.action, self.payload = next(self.mix)
        except StopIteration:
            self.mix = None
            return
        self.fire()

    def fire(self) -> None:
        """Send the pending CALL now (open loop: the one due at `next_at`)."""
        if self.gone or self.swarm.stopping:
            return
        interval = self.swarm.interval
        if interval:
            scheduled = self.next_at
            self.next_at = scheduled + interval
            self.send_call(self.action, self.payload, scheduled)
        else:
            self.send_call(self.action, self.payload, 0.0)

    def advance(self, result: Payload | None, now: float) -> None:
        swarm = self.swarm
        if swarm.stopping or self.gone or self.mix is None:
            return
        try:
            self.action, self.payload = self.mix.send(result)
        except StopIteration:
            self.mix = None
            return
        if swarm.interval:
            delay = self.next_at - now
            if delay > 0:
                swarm.loop.call_later(delay, self.fire)
                return
        self.fire()  # closed loop, or late: at once

    # -- connect phase

    def _end_boot(self, result: Payload | None) -> None:
        waiter = self.boot_waiter
        if waiter is not None:
            self.boot_waiter = None
            if not waiter.done():
                waiter.set_result(result)

    def drop(self, reason: str) -> None:
        """Abort the connection (watchdog): the outstanding CALL counts as `reason`."""
        swarm = self.swarm
        self.dropped = True
        swarm.errors[f"{reason}:{self.action}"] += 1
        if self.sent_at:
            self.sent_at = 0.0
            swarm.call_finished()
        self._end_boot(None)
        if self.transport is not None and not self.gone:
            self.transport.disconnect(graceful=False)


def _describe_error(error: BaseException) -> str:
    """A short name for a connect failure, e.g. `http404` or `ConnectionRefusedError`."""
    response = getattr(error, "response", None)
    status = getattr(response, "status", None)
    if status is not None:
        return f"http{int(status)}"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    return type(error).__name__


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
            reason = _describe_error(error)
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
