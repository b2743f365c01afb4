"""One row by its primary key: the one there, or NotFound; a new one, or Conflict. The
errors name what was asked for."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.services.errors import Conflict, NotFound

T = TypeVar("T")


async def get_or_not_found(
    session: AsyncSession,
    model: type[T],
    key: Any,
    what: str,
    *,
    charge_point_id: str | None = None,
) -> T:
    """The `model` row with primary key `key`, else NotFound("{what} not found").

    With `charge_point_id`, a row of another charge point is not found either (and the
    detail names the charge point), so that one charge point's URLs never show another's.
    """
    row = await session.get(model, key)
    if row is None or (
        charge_point_id is not None and getattr(row, "charge_point_id", None) != charge_point_id
    ):
        owner = f" of {charge_point_id!r}" if charge_point_id is not None else ""
        raise NotFound(f"{what}{owner} not found")
    return row


async def add_new(session: AsyncSession, row: T, what: str) -> T:
    """Add `row`, or raise Conflict("{what} already exists") when its key is taken."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{what} already exists") from None
    return row
