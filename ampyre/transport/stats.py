"""What the OCPP endpoint handled: CALLs per action, their errors and answer times.

Plain counters, bumped on the message path at the cost of a clock read and a bisect, and
read when `/metrics` is scraped (`ampyre/metrics.py`), rather than a metrics library's
locked objects per message.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

#: Upper bounds (s) of the answer time histogram's buckets.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ActionTimes:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        #: Answers per bucket (not cumulative); the last one is beyond every bound.
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.count = 0
        self.total = 0.0


class MessageStats:
    def __init__(self) -> None:
        self.times: dict[str, ActionTimes] = {}
        #: (action, OCPP-J error code) -> CALLERRORs answered.
        self.errors: Counter[tuple[str, str]] = Counter()

    def answered(self, action: str, seconds: float, error_code: str | None) -> None:
        """One CALL answered; `action` must be a known one (the label set stays bounded)."""
        times = self.times.get(action)
        if times is None:
            times = self.times[action] = ActionTimes()
        times.buckets[bisect_left(BUCKETS, seconds)] += 1
        times.count += 1
        times.total += seconds
        if error_code is not None:
            self.errors[action, error_code] += 1
