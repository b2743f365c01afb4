"""What every REST answer model shares: camelCase on the wire, ISO 8601 UTC timestamps,
the `{"items", "total"}` page and the error bodies.

The answer models are the OpenAPI description of the answers and the way they are
written: an endpoint whose return annotation is one of them gets it as its
`response_model`, and FastAPI writes the instance to JSON in pydantic's core (no
intermediate dicts), so declaring the shape costs the hot lists nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from ampyre.services.clock import format_timestamp

T = TypeVar("T")

#: A time as the API writes it (`format_timestamp`: `...T12:00:00.000Z`), kept as the
#: string it already is so that the JSON stays exactly what the serializers wrote.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class ApiModel(BaseModel):
    """An answer: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    @classmethod
    def from_record(cls, record: object, **given: Any) -> Self:
        """The answer for a record that names its attributes as the answer names its fields.

        Each field not `given` is the record's attribute of the same name, a datetime
        written as a `Timestamp`; `given` holds the fields the record names otherwise or
        that are worked out (an id under another name, a flag, a nested list)."""
        shown = {
            name: _shown(getattr(record, name)) for name in cls.model_fields if name not in given
        }
        return cls(**shown, **given)

    def as_json(self) -> dict[str, Any]:
        """The JSON body, for the answers an endpoint builds itself (a 409 with its detail)."""
        return self.model_dump(mode="json")


def _shown(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, datetime) else value


class Items(ApiModel, Generic[T]):
    """A page of a list: `limit` and `offset` pick it, `total` counts the whole list."""

    items: list[T]
    total: int = Field(description="How many there are in all (every page)")


def page(items: Sequence[T], total: int) -> Items[T]:
    return Items(items=list(items), total=total)


class Error(BaseModel):
    """Every error answer: what went wrong, for a human."""

    detail: str


class InvalidRequestError(Error):
    """422: `detail` names each invalid field; `errors` lists them for programs."""

    errors: list[dict[str, Any]] | None = None


class CallError(Error):
    """502: the charge point answered CALLERROR."""

    errorCode: str
    errorDescription: str | None = None
    errorDetails: Any = None
