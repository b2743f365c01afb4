"""Failed logins per identity and per address (`services/login_throttle.py`)."""

from __future__ import annotations

from ampyre.services import login_throttle
from ampyre.services.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_identity_is_refused_after_its_limit_until_the_window_passes() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(login_throttle.MAX_PER_IDENTITY):
        assert not throttle.blocked("CP-1", "10.0.0.1")
        throttle.failed("CP-1", "10.0.0.1")
    assert throttle.blocked("CP-1", "10.0.0.2")  # from anywhere
    assert not throttle.blocked("CP-2", "10.0.0.2")
    clock.now += login_throttle.WINDOW + 1
    assert not throttle.blocked("CP-1", "10.0.0.1")


def test_an_address_guessing_many_identities_is_refused() -> None:
    throttle = LoginThrottle(Clock())
    for n in range(login_throttle.MAX_PER_ADDRESS):
        throttle.failed(f"CP-{n}", "10.0.0.9")
    assert throttle.blocked("CP-new", "10.0.0.9")
    assert not throttle.blocked("CP-new", "10.0.0.10")


def test_a_success_clears_the_identity_and_memory_stays_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    throttle = LoginThrottle(Clock())
    throttle.failed("CP-1", None)
    throttle.succeeded("CP-1")
    assert throttle._failures == {}
    monkeypatch.setattr(login_throttle, "MAX_KEYS", 50)
    for n in range(200):
        throttle.failed(f"CP-{n}", None)
    assert len(throttle._failures) <= 50
