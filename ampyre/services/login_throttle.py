"""Failed charge point logins, counted per identity and per address, to refuse guessing.

Each wrong password costs an Argon2 check, tens of milliseconds of a core by design: a
few clients retrying wrong passwords would take the CPU from every other charge point.
Past the limits, attempts are refused at once, without a check, until the window passes.
The counts are this process's own (each node of a cluster counts its own share).
"""

from __future__ import annotations

import time
from collections import deque

#: Failed attempts allowed within WINDOW seconds, per identity and per client address.
MAX_PER_IDENTITY = 10
MAX_PER_ADDRESS = 30
WINDOW = 60.0
#: Keys remembered at most (an attacker cycling identities cannot grow memory past it).
MAX_KEYS = 100_000


class LoginThrottle:
    def __init__(self, clock: object = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, identity: str, address: str | None) -> bool:
        now = self._now()
        return self._count(f"id:{identity}", now) >= MAX_PER_IDENTITY or (
            address is not None and self._count(f"ip:{address}", now) >= MAX_PER_ADDRESS
        )

    def failed(self, identity: str, address: str | None) -> None:
        now = self._now()
        if len(self._failures) >= MAX_KEYS:
            self._forget_old(now)
        for key in (f"id:{identity}", f"ip:{address}" if address is not None else None):
            if key is not None:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, identity: str) -> None:
        self._failures.pop(f"id:{identity}", None)

    def _count(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)

    def _forget_old(self, now: float) -> None:
        for key in list(self._failures):
            self._count(key, now)
        if len(self._failures) >= MAX_KEYS:
            self._failures.clear()  # still full of fresh keys: start over rather than grow

    def _now(self) -> float:
        clock = self._clock
        assert callable(clock)
        return float(clock())
