"""Reservations (OCPP 1.6 Reservation profile, sections 5.13 and 5.2).

A reservation is recorded from the charge point's answer to ReserveNow: Accepted makes it
`Reserved`; any other answer (Faulted, Occupied, Rejected, Unavailable) makes it `Rejected`
with that answer kept as the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from ampyre.services.clock import now, parse_timestamp
from ampyre.storage.database import Database
from ampyre.storage.models import Reservation


class ReservationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def on_reserve_now_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        status = response.get("status")
        timestamp = now()
        async with self.db.sessions.begin() as session:
            reservation = await session.get(Reservation, request["reservationId"])
            if reservation is None:
                reservation = Reservation(
                    reservation_id=request["reservationId"], created_at=timestamp
                )
                session.add(reservation)
            elif status != "Accepted" and reservation.status == "Reserved":
                # OCPP 1.6, 5.13: a refused re-reservation leaves the existing one alone.
                if reservation.charge_point_id == charge_point_id:
                    return
            reservation.charge_point_id = charge_point_id
            reservation.connector_id = int(request["connectorId"])
            reservation.id_tag = request["idTag"]
            reservation.parent_id_tag = request.get("parentIdTag")
            reservation.expiry_date = parse_timestamp(request["expiryDate"])
            reservation.status = "Reserved" if status == "Accepted" else "Rejected"
            reservation.reason = None if status == "Accepted" else status
            reservation.transaction_id = None
            reservation.updated_at = timestamp

    async def on_cancel_reservation_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        if response.get("status") != "Accepted":
            return
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(Reservation)
                .where(
                    Reservation.reservation_id == request["reservationId"],
                    Reservation.charge_point_id == charge_point_id,
                    Reservation.status == "Reserved",
                )
                .values(status="Cancelled", updated_at=now())
            )

    async def expire(self) -> int:
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                update(Reservation)
                .where(Reservation.status == "Reserved", Reservation.expiry_date <= now())
                .values(status="Expired", updated_at=now())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def page(
        self, *, charge_point_id: str | None, active: bool | None, limit: int, offset: int
    ) -> tuple[list[Reservation], int]:
        await self.expire()
        query = select(Reservation)
        if charge_point_id is not None:
            query = query.where(Reservation.charge_point_id == charge_point_id)
        if active is True:
            query = query.where(Reservation.status == "Reserved")
        elif active is False:
            query = query.where(Reservation.status != "Reserved")
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.order_by(Reservation.created_at.desc(), Reservation.reservation_id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)
