"""Call statistics shared by every charge point of a run: counts and round-trip latencies.

Latencies are kept raw (a float per CALL) rather than in a histogram: even a long load run
produces a few million samples, and exact percentiles are what a benchmark reports.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

CallOutcome = Literal["ok", "callerror", "timeout", "closed", "invalid"]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(slots=True)
class LatencySummary:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> LatencySummary:
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            p50=percentile(ordered, 0.50),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            max=ordered[-1] if ordered else 0.0,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "p50_ms": round(self.p50 * 1000, 3),
            "p95_ms": round(self.p95 * 1000, 3),
            "p99_ms": round(self.p99 * 1000, 3),
            "max_ms": round(self.max * 1000, 3),
        }


@dataclass
class CallStats:
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    latencies: dict[str, list[float]] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    csms_calls_answered: int = 0
    sessions_completed: int = 0
    sessions_failed: int = 0
    charge_points_connected: int = 0
    charge_points_failed: int = 0
    failures: list[str] = field(default_factory=list)

    def record_call(self, action: str, latency: float | None, outcome: CallOutcome) -> None:
        self.outcomes[outcome] += 1
        if latency is not None and outcome in ("ok", "callerror", "invalid"):
            self.latencies.setdefault(action, []).append(latency)

    def record_answer(self) -> None:
        self.csms_calls_answered += 1

    def record_failure(self, message: str) -> None:
        """Keep the first failures verbatim; a broken run would otherwise fill memory."""
        if len(self.failures) < 100:
            self.failures.append(message)

    def stop(self) -> None:
        self.finished = time.perf_counter()

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.perf_counter()
        return max(end - self.started, 1e-9)

    @property
    def calls_sent(self) -> int:
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        return (
            self.calls_sent
            - self.outcomes["ok"]
            + self.sessions_failed
            + (self.charge_points_failed)
        )

    def summary(self) -> dict[str, Any]:
        everything = [value for values in self.latencies.values() for value in values]
        messages = self.calls_sent + self.csms_calls_answered
        return {
            "elapsed_s": round(self.elapsed, 3),
            "charge_points": {
                "connected": self.charge_points_connected,
                "failed": self.charge_points_failed,
            },
            "sessions": {"completed": self.sessions_completed, "failed": self.sessions_failed},
            "calls_sent": self.calls_sent,
            "csms_calls_answered": self.csms_calls_answered,
            "messages_per_second": round(messages / self.elapsed, 1),
            "outcomes": dict(self.outcomes),
            "errors": self.errors,
            "latency": LatencySummary.of(everything).to_dict(),
            "latency_by_action": {
                action: LatencySummary.of(values).to_dict()
                for action, values in sorted(self.latencies.items())
            },
            "failures": list(self.failures),
        }

    def report_lines(self) -> list[str]:
        data = self.summary()
        latency = data["latency"]
        outcomes = data["outcomes"]
        lines = [
            f"elapsed: {data['elapsed_s']:.1f} s",
            f"charge points: {data['charge_points']['connected']} connected, "
            f"{data['charge_points']['failed']} failed",
            f"sessions: {data['sessions']['completed']} completed, "
            f"{data['sessions']['failed']} failed",
            f"messages sent: {data['calls_sent']} CALLs, "
            f"{data['csms_calls_answered']} answers to CSMS CALLs "
            f"({data['messages_per_second']:.1f} messages/s)",
            f"errors: {data['errors']} (CALLERROR {outcomes.get('callerror', 0)}, "
            f"timeout {outcomes.get('timeout', 0)}, connection lost {outcomes.get('closed', 0)}, "
            f"invalid answer {outcomes.get('invalid', 0)}, "
            f"failed sessions {data['sessions']['failed']}, "
            f"failed charge points {data['charge_points']['failed']})",
            f"CALL round trip: p50 {latency['p50_ms']:.2f} ms, p95 {latency['p95_ms']:.2f} ms, "
            f"p99 {latency['p99_ms']:.2f} ms, max {latency['max_ms']:.2f} ms",
        ]
        for action, row in data["latency_by_action"].items():
            lines.append(
                f"  {action:<30} {row['count']:>8}  p50 {row['p50_ms']:8.2f}  "
                f"p95 {row['p95_ms']:8.2f}  p99 {row['p99_ms']:8.2f}  max {row['max_ms']:8.2f} ms"
            )
        lines.extend(f"failure: {failure}" for failure in data["failures"][:10])
        return lines
