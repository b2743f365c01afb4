"""What the Reservation profile's answers and transactions make of a reservation (OCPP 1.6,
5.1, 5.13, 7.5): pure, so that the service only reads and writes what these decide."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from ocpp.v16.enums import ReservationStatus

from ampyre.services.id_tags import id_tag_key

RESERVED = "Reserved"
USED = "Used"
CANCELLED = "Cancelled"
EXPIRED = "Expired"
REJECTED = "Rejected"

#: Why a reservation was Cancelled when the charge point said it holds none (7.5).
NOT_ON_CHARGE_POINT = "NotActiveOnChargePoint"


def after_reserve_now(answer: ReservationStatus) -> tuple[str, str | None]:
    """The status and reason a ReserveNow answer gives the reservation it names (5.13).

    Accepted: Reserved. Any other answer (Faulted, Occupied, Rejected, Unavailable):
    Rejected, with the answer as the reason.
    """
    if answer is ReservationStatus.accepted:
        return RESERVED, None
    return REJECTED, answer.value


def refusal_keeps_reservation(answer: ReservationStatus, current_status: str) -> bool:
    """5.13: a refused replacement leaves the Reserved reservation its id names standing."""
    return answer is not ReservationStatus.accepted and current_status == RESERVED


def after_cancel_answer(
    accepted: bool, expiry_date: datetime, at: datetime
) -> tuple[str, str | None]:
    """The status and reason of a Reserved reservation after a CancelReservation answer.

    Accepted: Cancelled. Rejected means the charge point holds no such reservation (7.5):
    Expired if its time is up, else Cancelled as `NotActiveOnChargePoint`.
    """
    if accepted:
        return CANCELLED, None
    if expiry_date <= at:
        return EXPIRED, None
    return CANCELLED, NOT_ON_CHARGE_POINT


class _Held(Protocol):
    @property
    def id_tag(self) -> str: ...
    @property
    def parent_id_tag(self) -> str | None: ...
    @property
    def connector_id(self) -> int: ...


R = TypeVar("R", bound=_Held)


def reservation_for_start(
    candidates: Iterable[R], id_tag: str, parent_id_tag: str | None
) -> R | None:
    """Which of the Reserved, unexpired reservations of the connector (or of connector 0) a
    transaction started with `id_tag` uses: its id tag's, or its group's (5.13), the
    connector's own before one of connector 0; among equals the first given."""
    tag_key = id_tag_key(id_tag)
    parent_key = id_tag_key(parent_id_tag) if parent_id_tag else None
    matches = [
        reservation
        for reservation in candidates
        if id_tag_key(reservation.id_tag) == tag_key
        or (
            parent_key is not None
            and reservation.parent_id_tag is not None
            and id_tag_key(reservation.parent_id_tag) == parent_key
        )
    ]
    # The reservation of this very connector before one of connector 0 (any connector).
    matches.sort(key=lambda reservation: reservation.connector_id == 0)
    return matches[0] if matches else None
