"""Which reservation a starting transaction ends, marked Used in the transaction's own
session (OCPP 1.6, 4.8: the reservationId it names; 5.13: else the reserved idTag's or its
group's reservation of the connector or of connector 0)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.services.clock import now
from ampyre.services.reservation_rules import REJECTED, RESERVED, USED, reservation_for_start
from ampyre.storage.models import Reservation, Transaction

log = logging.getLogger("ampyre.reservations")


async def use_reservation(
    session: AsyncSession,
    charge_point_id: str,
    transaction: Transaction,
    parent_id_tag: str | None,
) -> None:
    """Mark the reservation a new transaction ends as Used, inside its session."""
    reservation = await _reservation_used_by(session, charge_point_id, transaction, parent_id_tag)
    if reservation is None:
        return
    reservation.status = USED
    reservation.transaction_id = transaction.id
    reservation.updated_at = now()
    log.info(
        "[%s] reservation %d used by transaction %d",
        charge_point_id,
        reservation.reservation_id,
        transaction.id,
    )


async def _reservation_used_by(
    session: AsyncSession,
    charge_point_id: str,
    transaction: Transaction,
    parent_id_tag: str | None,
) -> Reservation | None:
    if transaction.reservation_id is not None:
        # The charge point says this transaction ends it (4.8): its word wins over the
        # CSMS's clock (an Expired record), not over a refusal or another transaction.
        named = await session.get(Reservation, transaction.reservation_id)
        if (
            named is not None
            and named.charge_point_id == charge_point_id
            and named.status != REJECTED
            and named.transaction_id in (None, transaction.id)
        ):
            return named
        return None
    candidates = await session.scalars(
        select(Reservation)
        .where(
            Reservation.charge_point_id == charge_point_id,
            Reservation.status == RESERVED,
            Reservation.connector_id.in_((0, transaction.connector_id)),
            Reservation.expiry_date > transaction.start_timestamp,
        )
        .order_by(Reservation.expiry_date)
    )
    return reservation_for_start(candidates, transaction.id_tag, parent_id_tag)
