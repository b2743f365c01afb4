"""Time as OCPP writes it: ISO 8601 in UTC with a `Z` and milliseconds.

One place for the CSMS and the simulator. Charge points in the field almost all send `Z`
rather than `+00:00`, and some servers only accept that form, so both write it; both read
any offset, and a value without one is taken as UTC (OCPP 1.6, 3.10).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def now() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(value: str) -> datetime:
    """Parse an OCPP dateTime into an aware UTC datetime; no zone means UTC."""
    parsed = datetime.fromisoformat(value.replace("z", "Z"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@overload
def format_timestamp(value: datetime) -> str: ...
@overload
def format_timestamp(value: None) -> None: ...
@overload
def format_timestamp(value: datetime | None) -> str | None: ...
def format_timestamp(value: datetime | None) -> str | None:
    """Write a datetime the way OCPP and the REST API write them: `...Z`, milliseconds.

    A naive datetime is taken as UTC already. (`isoformat` truncates to milliseconds as
    strftime did, in a seventh of the time: every timestamp of every REST answer is one.)
    """
    if value is None:
        return None
    tz = value.tzinfo
    if tz is not None:
        # `now()` and `parse_timestamp` give UTC already: no conversion (a Heartbeat's).
        value = (value if tz is UTC else value.astimezone(UTC)).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def timestamp_now() -> str:
    return format_timestamp(now())
