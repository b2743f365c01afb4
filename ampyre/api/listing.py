"""The query parameters lists share: `sort` (REST field names, `-` for descending)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Query

from ampyre.services.errors import InvalidRequest
from ampyre.services.listing import SortKey


def parse_sort(value: str | None, fields: Mapping[str, str]) -> list[SortKey]:
    """`-lastSeen,id` -> sort keys over the domain's names; a field the list does not
    allow is a 422 naming those it does."""
    keys: list[SortKey] = []
    for part in (value or "").split(","):
        name = part.strip()
        if not name:
            continue
        descending = name.startswith("-")
        name = name.removeprefix("-").removeprefix("+")
        if name not in fields:
            allowed = ", ".join(fields)
            raise InvalidRequest(f"sort: cannot sort by {name!r}; sort by one of {allowed}")
        keys.append(SortKey(fields[name], descending))
    return keys


def sort_query(fields: Mapping[str, str], default: str) -> Callable[..., list[SortKey]]:
    """A dependency: the `sort` parameter of a list whose answer fields `fields` maps to
    the service's sort names."""

    def sort(
        sort: str | None = Query(
            None,
            max_length=200,
            description=f"Comma-separated fields, `-` before one for descending; one of "
            f"{', '.join(fields)}. Default: {default}",
        ),
    ) -> list[SortKey]:
        return parse_sort(sort, fields)

    return sort
