"""The Reservation profile's rules (OCPP 1.6, 5.13, 7.5) and the id sequence, no server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ocpp.v16.enums import ReservationStatus

from ampyre.services.reservation_ids import next_reservation_id
from ampyre.services.reservation_rules import (
    CANCELLED,
    EXPIRED,
    NOT_ON_CHARGE_POINT,
    REJECTED,
    RESERVED,
    after_cancel_answer,
    after_reserve_now,
    refusal_keeps_reservation,
    reservation_for_start,
)
from ampyre.storage.database import Database

_AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ("Accepted", (RESERVED, None)),
        ("Occupied", (REJECTED, "Occupied")),
        ("Faulted", (REJECTED, "Faulted")),
        ("Unavailable", (REJECTED, "Unavailable")),
        ("Rejected", (REJECTED, "Rejected")),
    ],
)
def test_reserve_now_answers(answer: str, outcome: tuple[str, str | None]) -> None:
    assert after_reserve_now(ReservationStatus(answer)) == outcome


def test_a_refused_replacement_leaves_a_standing_reservation() -> None:
    assert refusal_keeps_reservation(ReservationStatus.occupied, RESERVED)
    assert not refusal_keeps_reservation(ReservationStatus.accepted, RESERVED)
    assert not refusal_keeps_reservation(
        ReservationStatus.occupied, CANCELLED
    )  # nothing stands: recorded


def test_cancel_answers() -> None:
    later, earlier = _AT + timedelta(minutes=1), _AT - timedelta(minutes=1)
    assert after_cancel_answer(True, later, _AT) == (CANCELLED, None)
    assert after_cancel_answer(True, earlier, _AT) == (CANCELLED, None)
    assert after_cancel_answer(False, later, _AT) == (CANCELLED, NOT_ON_CHARGE_POINT)
    assert after_cancel_answer(False, _AT, _AT) == (EXPIRED, None)


@dataclass
class Held:
    id_tag: str
    parent_id_tag: str | None
    connector_id: int


_HELD = st.builds(
    Held,
    st.sampled_from(["alice", "ALICE", "bob"]),
    st.sampled_from([None, "group", "GROUP", "other"]),
    st.integers(min_value=0, max_value=2),
)


@given(
    st.lists(_HELD, max_size=6),
    st.sampled_from(["alice", "Bob", "carol"]),
    st.sampled_from([None, "group", "x"]),
)
def test_which_reservation_a_transaction_uses(
    candidates: list[Held], id_tag: str, parent: str | None
) -> None:
    """Reference model: the first candidate of the connector that matches the tag or the
    group, else the first of connector 0 that does."""

    def matches(held: Held) -> bool:
        if held.id_tag.lower() == id_tag.lower():
            return True
        return parent is not None and (held.parent_id_tag or "").lower() == parent.lower()

    own = [held for held in candidates if held.connector_id != 0 and matches(held)]
    anywhere = [held for held in candidates if held.connector_id == 0 and matches(held)]
    expected = (own or anywhere or [None])[0]
    assert reservation_for_start(candidates, id_tag, parent) is expected


async def test_reservation_ids_go_up_from_1(db: Database) -> None:
    assert [await next_reservation_id(db) for _ in range(3)] == [1, 2, 3]
