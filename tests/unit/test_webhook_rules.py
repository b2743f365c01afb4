"""The pure rules of webhooks: the signature a receiver checks, the retry schedule, the
event types a subscription may name."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ampyre.handlers.dispatcher import EVENTS
from ampyre.services.errors import InvalidRequest
from ampyre.services.events import EVENT_TYPES, Event
from ampyre.services.webhooks.delivery import Target
from ampyre.services.webhooks.rules import (
    MAX_DELAY,
    check_event_types,
    check_secret,
    new_secret,
    retry_delay,
    retry_schedule,
    signature,
    succeeded,
    verify,
)


def test_the_signature_is_hmac_sha256_of_the_body_as_receivers_compute_it() -> None:
    body = b'{"id":1,"type":"boot"}'
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature("secret", body) == f"sha256={expected}"
    # RFC 4231 test case 2: the key "Jefe".
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert verify("secret", body, signature("secret", body))
    assert not verify("secret", body + b" ", signature("secret", body))
    assert not verify("other", body, signature("secret", body))


def test_generated_secrets_are_long_and_different() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and len(first) >= 40 and first.startswith("whsec_")
    assert check_secret(first) == first
    with pytest.raises(InvalidRequest):
        check_secret("short")


def test_retries_double_from_the_base() -> None:
    assert [retry_delay(n, 60) for n in range(1, 8)] == [60, 120, 240, 480, 960, 1920, 3840]
    # The defaults (8 attempts, 60 s): the last attempt about two hours after the first.
    schedule = retry_schedule(8, 60)
    assert schedule == [60, 180, 420, 900, 1860, 3780, 7620]
    assert retry_schedule(1, 60) == []
    assert retry_delay(60, 60) == MAX_DELAY
    with pytest.raises(ValueError):
        retry_delay(0, 60)


def test_only_2xx_is_delivered() -> None:
    assert succeeded(200) and succeeded(204) and succeeded(299)
    assert not any(succeeded(code) for code in (100, 301, 302, 400, 404, 410, 500, 503))


def test_event_types_are_checked_and_kept_once_in_order() -> None:
    assert check_event_types(["status", "boot", "status"]) == ["status", "boot"]
    assert check_event_types([]) == []
    with pytest.raises(InvalidRequest, match="nonsense"):
        check_event_types(["boot", "nonsense"])


def test_every_published_event_type_may_be_subscribed_to() -> None:
    assert set(EVENTS.values()) <= EVENT_TYPES


def test_a_target_filters_by_type_and_charge_point() -> None:
    boot = Event(1, "boot", "CP-1", 0.0)
    everything = Target(1, "http://x", "s", frozenset(), None)
    assert everything.wants(boot)
    assert Target(1, "http://x", "s", frozenset({"boot"}), "CP-1").wants(boot)
    assert not Target(1, "http://x", "s", frozenset({"status"}), None).wants(boot)
    assert not Target(1, "http://x", "s", frozenset(), "CP-2").wants(boot)
