"""What a swarm run is given (`BenchConfig`) and what it gives back (`SwarmResult`), with
the counters and server samples the result is made of."""

from __future__ import annotations

import ssl
from collections import Counter
from dataclasses import dataclass, field

from ampyre.bench.histogram import Histogram
from ampyre.bench.process_stats import server_cpu_seconds, server_memory


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
