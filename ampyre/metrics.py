"""`GET /metrics`: the server in the Prometheus text format.

Read at scrape time from what the parts already count (the OCPP endpoint's
`MessageStats`, the command service's outcomes, group commit, the connection registry,
the cluster's mirror) plus the process (CPU, memory, descriptors, garbage collector) and
the event loop's lag. With `--workers`, the worker a scrape reaches asks its siblings for
their figures (over the cluster's Redis) and answers for the whole server: counters and
histograms are summed, as are connections, memory and CPU; the loop lag is the worst
worker's, the start time the earliest. Scrape each node's port for a cluster of machines.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
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
#: How long a scrape waits for the other workers' figures (s).
SIBLINGS_TIMEOUT = 2.0


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

        outbox = self.csms.webhooks.outbox
        webhooks = CounterMetricFamily(
            "ampyre_webhook_deliveries",
            "Webhook delivery attempts by outcome: delivered, retried (failed, another "
            "attempt scheduled), failed (the last attempt failed), dropped (past the cap)",
            labels=["outcome"],
        )
        for outcome in ("delivered", "retried", "failed", "dropped"):
            webhooks.add_metric([outcome], outbox.outcomes[outcome])
        yield webhooks
        yield GaugeMetricFamily(
            "ampyre_webhook_events_waiting",
            "Events in memory on their way to the webhook outbox",
            value=outbox.waiting,
        )

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


#: Asks the server's other workers for their exposition texts.
Siblings = Callable[[], Awaitable[list[str]]]


class ServerMetrics:
    """What `/metrics` answers: this process's registry, plus its sibling workers'."""

    def __init__(self, registry: CollectorRegistry, siblings: Siblings | None = None) -> None:
        self.registry = registry
        self.siblings = siblings

    def text(self) -> bytes:
        return generate_latest(self.registry)

    async def scrape(self) -> bytes:
        own = self.text()
        if self.siblings is None:
            return own
        others = await self.siblings()
        if not others:
            return own
        return merge_expositions([own.decode(), *others])


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def merge_expositions(texts: list[str]) -> bytes:
    """One exposition for the whole server from its workers' (the first is the scraped
    worker's own): each sample summed, but for the few that are not amounts."""
    families: dict[str, Metric] = {}
    values: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            families.setdefault(family.name, family)
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                values.setdefault(key, []).append(sample.value)
    present: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for family in families.values():
        samples = []
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            present.add(key)
            samples.append(sample._replace(value=_combine(key, values[key], values)))
        family.samples = samples
    # Samples only another worker has (an action only it saw) join their family.
    for key, found in values.items():
        owner = _family_of(key[0], families)
        if owner is not None and key not in present:
            owner.add_sample(key[0], dict(key[1]), _combine(key, found, values))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(list(families.values())))
    return generate_latest(registry)


def _family_of(sample_name: str, families: dict[str, Metric]) -> Metric | None:
    for suffix in ("_total", "_created", "_bucket", "_count", "_sum"):
        if sample_name.endswith(suffix) and sample_name.removesuffix(suffix) in families:
            return families[sample_name.removesuffix(suffix)]
    return families.get(sample_name)


def _combine(
    key: tuple[str, tuple[tuple[str, str], ...]],
    found: list[float],
    values: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]],
) -> float:
    name, labels = key
    if name.endswith(("_start_time_seconds", "_created")):
        return min(found)
    if name in ("ampyre_event_loop_lag_seconds", "process_max_fds") or name.endswith("_info"):
        return max(found)
    if name == "ampyre_connected_charge_points" and labels == (("where", "elsewhere"),):
        # Each worker counts its siblings' charge points as elsewhere: take them out.
        here = values.get((name, (("where", "here"),)), [0.0])
        return max(0.0, found[0] - (sum(here) - here[0]))
    return sum(found)


async def metrics_endpoint(request: Request) -> Response:
    metrics: ServerMetrics | None = getattr(request.app.state, "metrics", None)
    if metrics is None:
        return Response("starting\n", status_code=503, media_type="text/plain")
    return Response(await metrics.scrape(), media_type=CONTENT_TYPE_LATEST)
