"""The reservationIds the CSMS assigns: one atomic step on a sequence row, past every id
recorded, also those an operator chose through the generic commands endpoint."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.storage.database import Database
from ampyre.storage.models import Reservation, ReservationIdSequence


async def next_reservation_id(db: Database) -> int:
    """A reservationId no reservation has: one atomic step on the sequence row.

    The row is created on first use from the highest id recorded, and jumps past ids an
    operator chose through the generic commands endpoint.
    """
    for _attempt in range(5):
        try:
            async with db.sessions.begin() as session:
                taken = await session.scalar(
                    update(ReservationIdSequence)
                    .where(ReservationIdSequence.id == 1)
                    .values(last_id=ReservationIdSequence.last_id + 1)
                    .returning(ReservationIdSequence.last_id)
                )
                if taken is not None and not await _id_in_use(session, taken):
                    return taken
                highest = await session.scalar(select(func.max(Reservation.reservation_id)))
                if taken is None:
                    # First use: an INSERT, so a concurrent first use fails on the key.
                    taken = (highest or 0) + 1
                    session.add(ReservationIdSequence(id=1, last_id=taken))
                    await session.flush()
                    return taken
                # The UPDATE above holds the row: jumping past the ids in use is safe.
                taken = max(taken, highest or 0) + 1
                await session.execute(
                    update(ReservationIdSequence)
                    .where(ReservationIdSequence.id == 1)
                    .values(last_id=taken)
                )
                return taken
        except IntegrityError:
            continue  # a concurrent first use created the row: take the next id from it
    raise RuntimeError("No reservation id could be assigned")


async def _id_in_use(session: AsyncSession, reservation_id: int) -> bool:
    found = await session.scalar(
        select(Reservation.reservation_id).where(Reservation.reservation_id == reservation_id)
    )
    return found is not None
