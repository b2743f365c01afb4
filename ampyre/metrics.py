"""`GET /metrics`: the server in the Prometheus text format.

Read at scrape time from what the parts already count (the OCPP endpoint's
`MessageStats`, the command service's outcomes, group commit, the connection registry,
the cluster's mirror) plus the process (CPU, memory, descriptors, garbage collector) and
the event loop's lag. With `--workers`, each scrape answers for the worker it reaches:
scrape each node's port, and read the per-worker figures as a sample.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from ampyre.cluster.node import ClusterNode
from ampyre.services.central_system import CentralSystem
from ampyre.transport.registry import ConnectionRegistry
from ampyre.transport.stats import BUCKETS, MessageStats

#: How often the event loop's lag is sampled (s).
LAG_INTERVAL = 0.5


class LoopLag:
    """How late the event loop runs a timer: what every message waits on top of its work."""

    def __init__(self) -> None:
        self.last = 0.0
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + LAG_INTERVAL
            await asyncio.sleep(LAG_INTERVAL)
            self.last = max(0.0, loop.time() - expected)
            self.worst = max(self.worst, self.last)


class AmpyreCollector(Collector):
    def __init__(
        self,
        csms: CentralSystem,
        registry: ConnectionRegistry,
        stats: MessageStats,
        lag: LoopLag,
        cluster: ClusterNode | None,
    ) -> None:
        self.csms = csms
        self.registry = registry
        self.stats = stats
        self.lag = lag
        self.cluster = cluster

    def collect(self) -> Iterator[Any]:
        connected = GaugeMetricFamily(
            "ampyre_connected_charge_points",
            "Charge points connected to this process (and, in a cluster, to the others)",
            labels=["where"],
        )
        connected.add_metric(["here"], len(self.registry.connected_ids()))
        if self.cluster is not None:
            connected.add_metric(["elsewhere"], len(self.cluster.presence.remote))
        yield connected

        calls = HistogramMetricFamily(
            "ampyre_ocpp_answer_seconds",
            "Time from a charge point's CALL taken to its answer, per action",
            labels=["action"],
        )
        for action, times in sorted(self.stats.times.items()):
            cumulative, buckets = 0, []
            for bound, count in zip([*BUCKETS, float("inf")], times.buckets, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else str(bound), cumulative))
            calls.add_metric([action], buckets, times.total)
        yield calls

        errors = CounterMetricFamily(
            "ampyre_ocpp_errors",
            "CALLERRORs answered, per action and code",
            labels=["action", "code"],
        )
        for (action, code), count in sorted(self.stats.errors.items()):
            errors.add_metric([action, code], count)
        yield errors

        commands = CounterMetricFamily(
            "ampyre_commands",
            "Commands sent to charge points, per action and outcome",
            labels=["action", "outcome"],
        )
        for (action, outcome), count in sorted(self.csms.commands.outcomes.items()):
            commands.add_metric([action, outcome], count)
        yield commands

        commits = self.csms.db.commits
        yield CounterMetricFamily(
            "ampyre_db_batches", "Group commit batches committed", value=commits.batches
        )
        yield CounterMetricFamily(
            "ampyre_db_units", "Units of work committed in batches", value=commits.units
        )
        message_log = self.csms.message_log
        yield CounterMetricFamily(
            "ampyre_message_log_written",
            "OCPP frames written to the message log",
            value=message_log.written,
        )
        yield CounterMetricFamily(
            "ampyre_message_log_dropped",
            "OCPP frames the message log dropped unwritten (the database was away or slow)",
            value=message_log.buffer.dropped,
        )
        yield GaugeMetricFamily(
            "ampyre_message_log_waiting",
            "OCPP frames waiting to be written to the message log",
            value=len(message_log.buffer),
        )
        lag = GaugeMetricFamily(
            "ampyre_event_loop_lag_seconds", "How late the event loop ran a timer", labels=["of"]
        )
        lag.add_metric(["last"], self.lag.last)
        lag.add_metric(["worst"], self.lag.worst)
        yield lag


def metrics_registry(collector: AmpyreCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(collector)
    return registry


async def metrics_endpoint(request: Request) -> Response:
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics", None)
    if registry is None:
        return Response("starting\n", status_code=503, media_type="text/plain")
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
