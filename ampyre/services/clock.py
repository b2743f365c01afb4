"""Time as OCPP writes it: ISO 8601 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def now() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(value: str) -> datetime:
    """Parse an OCPP dateTime; a value without a zone is taken as UTC (OCPP 1.6, 3.10)."""
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
    """Write a datetime the way OCPP and the REST API write them: `...Z`, milliseconds."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
