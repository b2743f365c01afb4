"""Field types shared by the request bodies, and how a partial update's body is read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel
from pydantic.alias_generators import to_snake


def _as_utc(value: datetime) -> datetime:
    # The API speaks UTC; a timestamp written without a zone is taken as UTC, like OCPP's.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: An ISO 8601 timestamp, normalised to an aware UTC datetime.
UTCTimestamp = Annotated[datetime, AfterValidator(_as_utc)]


def given_fields(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body gives, under the domain's (snake_case) names: the fields
    of the domain's update that the client left out stay `UNCHANGED`."""
    return {to_snake(name): value for name, value in body.model_dump(exclude_unset=True).items()}
