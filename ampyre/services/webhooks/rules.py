"""The pure rules of webhooks: what is signed and how, when a failed delivery is retried,
which event types a subscription may name.

The signature is HMAC-SHA256 over the exact body bytes, keyed with the subscription's
secret: a receiver recomputes it over the bytes it read (before parsing them) and compares
in constant time (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from ampyre.services.errors import InvalidRequest
from ampyre.services.events import EVENT_TYPES

SIGNATURE_SCHEME = "sha256"
#: A retry never waits longer than this, whatever the attempt and the base.
MAX_DELAY = 86_400.0
SECRET_PREFIX = "whsec_"
MIN_SECRET_LENGTH = 16


def signature(secret: str, body: bytes) -> str:
    """The `X-Ampyre-Signature` header's value: `sha256=<hex>`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (and the tests): the header matches the body, in constant time."""
    return hmac.compare_digest(signature(secret, body), header)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def retry_delay(failed_attempts: int, base: float) -> float:
    """The wait after the `failed_attempts`-th failure: base, 2 base, 4 base, ...

    Doubling spreads a dead receiver's retries over hours while a brief outage (a restart,
    a deploy) is over after the first one or two.
    """
    if failed_attempts < 1:
        raise ValueError("a retry follows at least one failed attempt")
    return min(base * 2 ** (failed_attempts - 1), MAX_DELAY)


def retry_schedule(attempts: int, base: float) -> list[float]:
    """When each attempt after the first comes, in seconds after the first."""
    times, at = [], 0.0
    for failed in range(1, attempts):
        at += retry_delay(failed, base)
        times.append(at)
    return times


def succeeded(status_code: int) -> bool:
    """A 2xx is delivered; anything else (3xx too: redirects are not followed) is retried."""
    return 200 <= status_code < 300


def check_event_types(types: Iterable[str]) -> list[str]:
    """The types, each once, in order; an unknown one is a 422 naming the known ones."""
    chosen = list(dict.fromkeys(types))
    unknown = [t for t in chosen if t not in EVENT_TYPES]
    if unknown:
        raise InvalidRequest(
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}"
        )
    return chosen


def check_secret(secret: str) -> str:
    if not MIN_SECRET_LENGTH <= len(secret) <= 255:
        raise InvalidRequest(f"secret: {MIN_SECRET_LENGTH} to 255 characters")
    return secret
