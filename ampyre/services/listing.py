"""How a list is ordered: sort keys by domain field name, turned into SQL order.

The front ends name the fields their own way (the REST API's `sort=-lastSeen`); the
services take `SortKey`s over the domain's names, and each list says which it allows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ampyre.services.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool = False


def order_by(columns: Mapping[str, Any], sort: Sequence[SortKey], *tiebreak: Any) -> list[Any]:
    """The ORDER BY of `sort` over `columns` (domain name -> column), then `tiebreak`
    (a unique column, so that pages never overlap). NULLs sort last either way, as on
    PostgreSQL, also on SQLite."""
    clauses: list[Any] = []
    for key in sort:
        column = columns.get(key.field)
        if column is None:
            raise InvalidRequest(f"cannot sort by {key.field!r}")
        clauses.append(column.is_(None))
        clauses.append(column.desc() if key.descending else column.asc())
    return [*clauses, *tiebreak]
