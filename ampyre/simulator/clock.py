"""OCPP timestamps: UTC, ISO 8601, with a `Z` suffix.

Charge points in the field almost all send `Z` rather than `+00:00`, and some servers only
accept that form, so the simulator sends it too and accepts both when reading.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp_now() -> str:
    return format_timestamp(utc_now())


def parse_timestamp(text: str) -> datetime:
    """Parse an OCPP date-time; a value without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
