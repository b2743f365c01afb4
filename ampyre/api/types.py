"""Field types shared by the request bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _as_utc(value: datetime) -> datetime:
    # The API speaks UTC; a timestamp written without a zone is taken as UTC, like OCPP's.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: An ISO 8601 timestamp, normalised to an aware UTC datetime.
UTCTimestamp = Annotated[datetime, AfterValidator(_as_utc)]
