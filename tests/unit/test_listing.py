"""`sort=`: REST field names to the service's sort keys."""

from __future__ import annotations

import pytest

from ampyre.api.listing import parse_sort
from ampyre.services.errors import InvalidRequest
from ampyre.services.listing import SortKey

FIELDS = {"id": "id", "lastSeen": "last_seen"}


def test_fields_in_order_and_minus_for_descending() -> None:
    assert parse_sort("-lastSeen,id", FIELDS) == [
        SortKey("last_seen", descending=True),
        SortKey("id"),
    ]
    assert parse_sort(" +id ", FIELDS) == [SortKey("id")]


def test_nothing_is_the_lists_own_order() -> None:
    assert parse_sort(None, FIELDS) == []
    assert parse_sort("", FIELDS) == []
    assert parse_sort(",", FIELDS) == []


@pytest.mark.parametrize("value", ["last_seen", "-password", "id,nope", "--id"])
def test_another_field_is_refused_naming_those_allowed(value: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_sort(value, FIELDS)
    assert "id, lastSeen" in refused.value.detail
