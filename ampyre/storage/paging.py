"""One page of a query and the total it pages through: what every REST list answers."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select

from ampyre.storage.database import Sessions

T = TypeVar("T")


async def fetch_page(
    sessions: Sessions, query: Select[T], *order_by: Any, limit: int, offset: int
) -> tuple[list[T], int]:
    async with sessions() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(query.order_by(*order_by).limit(limit).offset(offset))
        return list(rows), int(total or 0)
