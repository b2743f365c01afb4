"""The local list rules (OCPP 1.6, 3.5.2, 5.10, 7.1): updates, versions, parts, policies.

The reference model of a charge point's list is a plain dict from the case-folded id tag to
its last AuthorizationData; hypothesis checks the rules against it. The store's writing of
accepted updates is checked on a real SQLite file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.services.errors import InvalidRequest
from ampyre.services.local_lists.algebra import (
    Content,
    LocalListPolicy,
    apply_update,
    authorization_data,
    changes_between,
    check_policy,
    content_digest,
    holds_recorded_list,
    is_out_of_date,
    next_version,
    parse_limit,
    split_update,
)
from ampyre.services.local_lists.store import LocalListStore
from ampyre.storage.database import Database
from ampyre.storage.models import ChargePoint

_TAGS = st.sampled_from(["alice", "ALICE", "bob", "Bob", "carol", "dave", "eve", "x" * 20])
_INFOS = st.sampled_from(
    [
        {"status": "Accepted"},
        {"status": "Blocked"},
        {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00.000Z"},
        {"status": "Accepted", "parentIdTag": "group"},
    ]
)
_ENTRIES = st.lists(
    st.builds(lambda tag, info: {"idTag": tag, "idTagInfo": info}, _TAGS, _INFOS | st.none()),
    max_size=12,
)


def _content(entries: list[dict[str, Any]]) -> Content:
    """A list as the reference model holds it: the last entry of each id tag, with info."""
    model: Content = {}
    for entry in entries:
        if entry["idTagInfo"] is not None:
            model[entry["idTag"].casefold()] = entry
    return model


@given(_ENTRIES, _ENTRIES)
def test_a_full_update_replaces_the_list(held: list[dict[str, Any]], sent: list[dict[str, Any]]):
    assert apply_update(_content(held), "Full", sent) == _content(sent)


@given(_ENTRIES, _ENTRIES)
def test_a_differential_update_sets_and_removes(
    held: list[dict[str, Any]], sent: list[dict[str, Any]]
) -> None:
    model = dict(_content(held))
    for entry in sent:
        if entry["idTagInfo"] is None:
            model.pop(entry["idTag"].casefold(), None)
        else:
            model[entry["idTag"].casefold()] = entry
    assert apply_update(_content(held), "Differential", sent) == model


@given(_ENTRIES, _ENTRIES)
def test_the_changes_between_two_lists_turn_one_into_the_other(
    held: list[dict[str, Any]], wanted: list[dict[str, Any]]
) -> None:
    before, after = _content(held), _content(wanted)
    changes = changes_between(before, after)
    result = apply_update(before, "Differential", changes.entries())
    assert content_digest(result) == content_digest(after)
    assert result.keys() == after.keys()
    # Nothing is sent for an entry that did not change, removals go first.
    assert len(changes) <= len(before.keys() | after.keys())
    assert changes.entries()[: len(changes.removed)] == changes.removed
    assert all("idTagInfo" not in entry for entry in changes.removed)
    assert not changes_between(after, after)


def test_the_digest_ignores_spelling_but_not_the_info() -> None:
    one = {"alice": {"idTag": "alice", "idTagInfo": {"status": "Accepted"}}}
    other = {"alice": {"idTag": "ALICE", "idTagInfo": {"status": "Accepted"}}}
    blocked = {"alice": {"idTag": "alice", "idTagInfo": {"status": "Blocked"}}}
    assert content_digest(one) == content_digest(other) != content_digest(blocked)


def test_entries_are_normalized_so_equal_ones_compare_equal() -> None:
    sent = [
        {
            "idTag": "a",
            "idTagInfo": {"status": "Accepted", "expiryDate": "2030-01-01T01:00:00+01:00"},
        },
        {"idTag": "b", "idTagInfo": {"status": "Accepted", "parentIdTag": None}},
    ]
    assert apply_update({}, "Full", sent) == {
        "a": {
            "idTag": "a",
            "idTagInfo": {"status": "Accepted", "expiryDate": "2030-01-01T00:00:00.000Z"},
        },
        "b": {"idTag": "b", "idTagInfo": {"status": "Accepted"}},
    }


@given(st.lists(st.integers(), max_size=40), st.none() | st.integers(min_value=1, max_value=7))
def test_split_parts_keep_every_entry_in_order_and_within_the_limit(
    entries: list[int], send_max: int | None
) -> None:
    items = [{"n": n} for n in entries]
    parts = split_update("Full", items, send_max)
    assert [entry for _, chunk in parts for entry in chunk] == items
    assert parts[0][0] == "Full"
    assert all(kind == "Differential" for kind, _ in parts[1:])
    if send_max is not None:
        assert all(len(chunk) <= send_max for _, chunk in parts)
        assert len(parts) == max(1, -(-len(items) // send_max))


@given(st.lists(st.none() | st.integers(min_value=-1, max_value=10_000), max_size=4))
def test_a_new_version_is_above_every_version_seen_and_never_0_or_minus_1(
    seen: list[int | None],
) -> None:
    version = next_version(*seen)
    assert version >= 1
    assert all(version > v for v in seen if v is not None)


def test_version_0_means_empty() -> None:
    assert holds_recorded_list(5, 5, 3)
    assert holds_recorded_list(0, 5, 0)  # an empty list is reported as version 0
    assert not holds_recorded_list(0, 5, 3)
    assert not holds_recorded_list(4, 5, 0)


@pytest.mark.parametrize(
    ("value", "limit"),
    [(None, None), ("20", 20), (" 7 ", 7), ("0", None), ("-1", None), ("many", None)],
)
def test_max_length_configuration_values(value: str | None, limit: int | None) -> None:
    assert parse_limit(value) == limit


def _tag(
    id_tag: str, status: str = "Accepted", expiry: datetime | None = None, parent: str | None = None
) -> Any:
    return SimpleNamespace(id_tag=id_tag, status=status, expiry_date=expiry, parent_id_tag=parent)


def test_a_group_blocks_and_expires_its_members() -> None:
    soon, later = datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
    group = _tag("group", "Blocked", expiry=soon)
    member = _tag("member", expiry=later, parent="group")
    assert authorization_data(member, group) == {
        "idTag": "member",
        "idTagInfo": {
            "status": "Blocked",
            "expiryDate": "2030-01-01T00:00:00.000Z",
            "parentIdTag": "group",
        },
    }
    # A member's own status is kept when it is not Accepted; an Accepted group changes nothing.
    assert (
        authorization_data(_tag("m", "Invalid", parent="g"), _tag("g", "Blocked"))["idTagInfo"][
            "status"
        ]
        == "Invalid"
    )
    assert authorization_data(_tag("m", parent="g"), _tag("g")) == {
        "idTag": "m",
        "idTagInfo": {"status": "Accepted", "parentIdTag": "g"},
    }


@pytest.mark.parametrize(
    "policy",
    [
        LocalListPolicy(source="everything"),
        LocalListPolicy(source="group"),
        LocalListPolicy(source="all", parent_id_tag="g"),
        LocalListPolicy(source="tags"),
        LocalListPolicy(source="tags", id_tags=("a", "A")),
        LocalListPolicy(source="all", id_tags=("a",)),
        LocalListPolicy(local_auth_list_max_length=0),
        LocalListPolicy(source="tags", id_tags=("x" * 21,)),
    ],
)
def test_policies_that_are_refused(policy: LocalListPolicy) -> None:
    with pytest.raises(InvalidRequest):
        check_policy(policy)


def test_policies_with_equal_selections_build_one_list() -> None:
    assert check_policy(LocalListPolicy(source="group", parent_id_tag="G")).selection() == (
        LocalListPolicy(source="group", parent_id_tag="g").selection()
    )
    tags = LocalListPolicy(source="tags", id_tags=("b", "A"), send_local_list_max_length=3)
    assert tags.selection() == LocalListPolicy(source="tags", id_tags=("a", "B")).selection()


def _row(**fields: Any) -> Any:
    defaults = {
        "supported": True,
        "sent_version": 3,
        "entries_known": True,
        "accepted_at": datetime(2026, 1, 1, tzinfo=UTC),
        "charge_point_version": None,
        "charge_point_version_at": None,
    }
    return SimpleNamespace(**{**defaults, **fields})


def test_when_a_list_is_out_of_date() -> None:
    assert is_out_of_date(None, None, 0, "d")  # never sent
    assert not is_out_of_date(_row(supported=False), None, 0, "d")  # no list to update
    assert is_out_of_date(_row(entries_known=False), "d", 1, "d")
    assert is_out_of_date(_row(), "old", 1, "new")
    assert not is_out_of_date(_row(), "d", 1, "d")
    later = datetime(2026, 1, 2, tzinfo=UTC)
    assert is_out_of_date(_row(charge_point_version=2, charge_point_version_at=later), "d", 1, "d")
    assert not is_out_of_date(
        _row(charge_point_version=3, charge_point_version_at=later), "d", 1, "d"
    )
    earlier = datetime(2025, 1, 2, tzinfo=UTC)  # a check before the last accepted update
    assert not is_out_of_date(
        _row(charge_point_version=2, charge_point_version_at=earlier), "d", 1, "d"
    )


# --- the store writes what the charge point holds -----------------------------------------


@pytest.fixture
async def charge_point(db: Database) -> str:
    async with db.sessions.begin() as session:
        session.add(ChargePoint(id="CP-1", created_at=datetime.now(UTC)))
    return "CP-1"


async def test_the_store_records_what_accepted_updates_make_of_the_list(
    db: Database, charge_point: str
) -> None:
    store = LocalListStore(db)
    updates = [
        (
            "Full",
            [
                {"idTag": "a", "idTagInfo": {"status": "Accepted"}},
                {"idTag": "b", "idTagInfo": {"status": "Accepted"}},
                {"idTag": "c"},
            ],
        ),
        (
            "Differential",
            [
                {"idTag": "A"},
                {"idTag": "B", "idTagInfo": {"status": "Blocked"}},
                {"idTag": "d", "idTagInfo": {"status": "Accepted"}},
            ],
        ),
        ("Differential", [{"idTag": "zz"}]),
        (
            "Full",
            [
                {"idTag": "e", "idTagInfo": {"status": "Accepted"}},
                {"idTag": "E", "idTagInfo": {"status": "Expired"}},
            ],
        ),
    ]
    model: Content = {}
    for update_type, entries in updates:
        model = apply_update(model, update_type, entries)
        async with db.sessions.begin() as session:
            assert await store.record_update(session, "CP-1", update_type, entries) == model
        _, held = await store.read("CP-1")
        assert held == model
    assert model == {"e": {"idTag": "E", "idTagInfo": {"status": "Expired"}}}
