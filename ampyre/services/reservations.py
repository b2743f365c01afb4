"""Reservations (OCPP 1.6 Reservation profile: 3.11, 5.1 Cancel Reservation, 5.13 Reserve Now).

A reservation is what the charge point's answers made it, whether the operator used
`POST /reservations` (the CSMS assigns the id) or sent ReserveNow through the generic
commands endpoint (the operator chose the id):

- ReserveNow Accepted: `Reserved`. Any other answer (Faulted, Occupied, Rejected,
  Unavailable): `Rejected`, with the answer kept as `reason`. An id that names an existing
  reservation replaces it (5.13); a refused replacement leaves the existing one standing.
- It ends `Used` when a transaction starts for it: StartTransaction names its reservationId
  (4.8), or starts on the reserved connector (any connector for connector 0) with the
  reserved idTag or a tag of the same parentIdTag (5.13 "terminated ... when a transaction
  is started for the reserved idTag or parent idTag").
- `Expired` when its expiryDate passed (the periodic sweep, or at once when the charge point
  reports the reserved connector Available after the expiry, 5.13).
- `Cancelled` when CancelReservation is Accepted; also when the charge point answers it
  Rejected, which means it holds no such reservation (7.5), so the record must not say it
  holds one (reason `NotActiveOnChargePoint`); and when the charge point or the connector
  turns Faulted or Unavailable, which terminates it on the charge point (5.13 (3); reason
  `Faulted`/`Unavailable`).

While a reservation holds, its idTag is a token the CSMS accepts at that charge point even
if the id tag store does not know it: the operator reserved for it (see `reserved_tag_authorization`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ocpp.v16.enums import CancelReservationStatus, ChargePointStatus, ReservationStatus
from sqlalchemy import select, update

from ampyre.ocpp.v16.csms_messages.reservation import (
    CancelReservationConf,
    CancelReservationReq,
    ReserveNowConf,
    ReserveNowReq,
)
from ampyre.services.charge_points import ChargePointService, ConnectorStatus
from ampyre.services.clock import format_timestamp, now, parse_timestamp
from ampyre.services.commands import CommandService
from ampyre.services.configuration import ConfigurationService
from ampyre.services.errors import Conflict, InvalidRequest
from ampyre.services.id_tags import id_tag_key
from ampyre.services.lookup import get_or_not_found
from ampyre.services.reservation_ids import next_reservation_id
from ampyre.services.reservation_rules import (
    CANCELLED,
    EXPIRED,
    RESERVED,
    USED,
    after_cancel_answer,
    after_reserve_now,
    refusal_keeps_reservation,
)
from ampyre.services.reservation_use import use_reservation
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.models import IdTag, Reservation, Transaction
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.reservations")

#: The key of the charge point's configuration that allows connector 0 reservations (9.3.1).
CONNECTOR_ZERO_KEY = "ReserveConnectorZeroSupported"

_reservations = repositories.reservations


class ReservationService:
    def __init__(
        self,
        db: Database,
        charge_points: ChargePointService,
        commands: CommandService,
        configuration: ConfigurationService,
    ) -> None:
        self.db = db
        self.charge_points = charge_points
        self.commands = commands
        self.configuration = configuration
        commands.register_effect("ReserveNow", self.on_reserve_now_answered)
        commands.register_effect("CancelReservation", self.on_cancel_reservation_answered)

    # -- operator requests ---------------------------------------------------------------

    async def create(
        self,
        charge_point_id: str,
        *,
        connector_id: int,
        id_tag: str,
        expiry_date: datetime,
        parent_id_tag: str | None,
        timeout: float,
    ) -> Reservation:
        """Reserve with a CSMS-assigned id; the charge point's answer decides the status.

        Without a parentIdTag the id tag store's parent of `id_tag` is sent, so a group
        member can use the reservation (5.13).
        """
        await self.charge_points.get(charge_point_id)
        if parent_id_tag is None:
            parent_id_tag = await self._parent_of(id_tag)
        reservation_id, _answer = await self._send_reserve_now(
            charge_point_id,
            None,
            connector_id=connector_id,
            id_tag=id_tag,
            expiry_date=expiry_date,
            parent_id_tag=parent_id_tag,
            timeout=timeout,
        )
        return await self.get(reservation_id)

    async def replace(
        self, reservation_id: int, changes: dict[str, Any], *, timeout: float
    ) -> tuple[Reservation, str]:
        """Send ReserveNow again under the same id: the charge point replaces the reservation
        (5.13). Returns the reservation as it now stands and the charge point's answer."""
        reservation = await self.get(reservation_id)
        if reservation.status != RESERVED:
            raise Conflict(
                f"Reservation {reservation_id} is {reservation.status}: only a Reserved one "
                "can be changed"
            )
        id_tag = changes.get("idTag", reservation.id_tag)
        parent_id_tag = changes.get("parentIdTag", reservation.parent_id_tag)
        if "idTag" in changes and "parentIdTag" not in changes:
            parent_id_tag = await self._parent_of(id_tag)
        _id, answer = await self._send_reserve_now(
            reservation.charge_point_id,
            reservation_id,
            connector_id=changes.get("connectorId", reservation.connector_id),
            id_tag=id_tag,
            expiry_date=changes.get("expiryDate", reservation.expiry_date),
            parent_id_tag=parent_id_tag,
            timeout=timeout,
        )
        return await self.get(reservation_id), answer

    async def cancel(self, reservation_id: int, *, timeout: float) -> tuple[Reservation, bool]:
        """Send CancelReservation; returns the reservation and whether it was Accepted."""
        reservation = await self.get(reservation_id)
        if reservation.status != RESERVED:
            raise Conflict(
                f"Reservation {reservation_id} is {reservation.status}: there is nothing to cancel"
            )
        answer = await self.commands.ask(
            reservation.charge_point_id,
            CancelReservationReq(reservation_id),
            CancelReservationConf,
            timeout=timeout,
        )
        return await self.get(reservation_id), answer.status is CancelReservationStatus.accepted

    async def _send_reserve_now(
        self,
        charge_point_id: str,
        reservation_id: int | None,
        *,
        connector_id: int,
        id_tag: str,
        expiry_date: datetime,
        parent_id_tag: str | None,
        timeout: float,
    ) -> tuple[int, str]:
        """Send ReserveNow under `reservation_id`, or a new one when None (its effect records
        the answer); returns the id and the answer's status."""
        if expiry_date <= now():
            raise InvalidRequest("expiryDate must be in the future")
        if connector_id == 0:
            await self._check_connector_zero(charge_point_id)
        if reservation_id is None:
            reservation_id = await next_reservation_id(self.db)
        request = ReserveNowReq(
            connector_id=connector_id,
            expiry_date=format_timestamp(expiry_date),
            id_tag=id_tag,
            reservation_id=reservation_id,
            parent_id_tag=parent_id_tag,
        )
        answer = await self.commands.ask(charge_point_id, request, ReserveNowConf, timeout=timeout)
        return reservation_id, answer.status.value

    async def _check_connector_zero(self, charge_point_id: str) -> None:
        """Refuse what the charge point is known to refuse; send when the CSMS doesn't know."""
        value = await self.configuration.value(charge_point_id, CONNECTOR_ZERO_KEY)
        if value is not None and value.strip().lower() != "true":
            raise Conflict(
                f"Charge point {charge_point_id!r} has {CONNECTOR_ZERO_KEY}={value}: it "
                "does not take reservations of connector 0 (OCPP 1.6, 5.13)"
            )

    async def _parent_of(self, id_tag: str) -> str | None:
        async with self.db.sessions() as session:
            tag = await session.get(IdTag, id_tag_key(id_tag))
            return tag.parent_id_tag if tag is not None else None

    # -- what the charge point's answers and messages mean -------------------------------

    async def on_reserve_now_answered(
        self, charge_point_id: str, request: ReserveNowReq, response: ReserveNowConf
    ) -> None:
        status = response.status
        accepted = status is ReservationStatus.accepted
        timestamp = now()
        async with self.db.sessions.begin() as session:
            reservation = await session.get(Reservation, request.reservation_id)
            is_new = reservation is None
            if reservation is None:
                reservation = Reservation(
                    reservation_id=request.reservation_id, created_at=timestamp
                )
                session.add(reservation)
            elif refusal_keeps_reservation(status, reservation.status):
                # 5.13: a refused replacement leaves the reservation the id names standing.
                log.info(
                    "[%s] ReserveNow %d answered %s: reservation %d stays as it was",
                    charge_point_id,
                    reservation.reservation_id,
                    status.value,
                    reservation.reservation_id,
                )
                return
            elif reservation.charge_point_id != charge_point_id and reservation.status == RESERVED:
                log.warning(
                    "[%s] reservation id %d, still Reserved on %s, now names a reservation "
                    "here: the record follows the newest",
                    charge_point_id,
                    reservation.reservation_id,
                    reservation.charge_point_id,
                )
            reservation.charge_point_id = charge_point_id
            reservation.connector_id = request.connector_id
            reservation.id_tag = request.id_tag
            reservation.parent_id_tag = request.parent_id_tag
            reservation.expiry_date = parse_timestamp(request.expiry_date)
            reservation.status, reservation.reason = after_reserve_now(status)
            reservation.transaction_id = None
            reservation.updated_at = timestamp
            if accepted and is_new:
                # A StartTransaction for it may have overtaken this answer's recording.
                started = await session.scalar(
                    select(Transaction.id).where(
                        Transaction.charge_point_id == charge_point_id,
                        Transaction.reservation_id == reservation.reservation_id,
                        Transaction.stop_timestamp.is_(None),
                    )
                )
                if started is not None:
                    reservation.status = USED
                    reservation.transaction_id = started

    async def on_cancel_reservation_answered(
        self, charge_point_id: str, request: CancelReservationReq, response: CancelReservationConf
    ) -> None:
        accepted = response.status is CancelReservationStatus.accepted
        timestamp = now()
        async with self.db.sessions.begin() as session:
            reservation = await session.get(Reservation, request.reservation_id)
            if (
                reservation is None
                or reservation.charge_point_id != charge_point_id
                or reservation.status != RESERVED
            ):
                return
            reservation.status, reservation.reason = after_cancel_answer(
                accepted, reservation.expiry_date, timestamp
            )
            reservation.updated_at = timestamp

    async def on_status_notification(self, charge_point_id: str, report: ConnectorStatus) -> None:
        """End reservations the charge point's connector status shows ended (5.13)."""
        status = report.status
        connector_id = report.connector_id
        moment = now()
        if status is ChargePointStatus.available and connector_id > 0:
            # An expired reservation makes its connector Available again: ended now rather
            # than at the next sweep. Available before the expiry ends nothing.
            reported = report.timestamp if report.timestamp is not None else moment
            connector: int | None = connector_id
            expired_by: datetime | None = max(reported, moment)
            new_status, reason = EXPIRED, None
        elif status in (ChargePointStatus.faulted, ChargePointStatus.unavailable):
            # 5.13 (3): the charge point terminates the reservations of a Faulted or
            # Unavailable connector, or all of them when connector 0 (itself) is.
            connector = None if connector_id == 0 else connector_id
            expired_by = None
            new_status, reason = CANCELLED, status.value
        else:
            return
        ended = await self.db.commits.run(
            lambda cursor: _reservations.end_reserved(
                cursor,
                charge_point_id,
                connector_id=connector,
                expired_by=expired_by,
                new_status=new_status,
                reason=reason,
                now=moment,
            )
        )
        if not ended:
            return
        log.info(
            "[%s] connector %d %s: reservations %s %s",
            charge_point_id,
            connector_id,
            status.value,
            ", ".join(str(reservation_id) for reservation_id in ended),
            new_status,
        )

    #: Marks the reservation a new transaction ends as Used (see `reservation_use`).
    use = staticmethod(use_reservation)

    # -- housekeeping and reading --------------------------------------------------------

    async def expire(self) -> int:
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                update(Reservation)
                .where(Reservation.status == RESERVED, Reservation.expiry_date <= now())
                .values(status=EXPIRED, updated_at=now())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def get(self, reservation_id: int) -> Reservation:
        async with self.db.sessions.begin() as session:
            reservation = await get_or_not_found(
                session, Reservation, reservation_id, f"Reservation {reservation_id}"
            )
            if reservation.status == RESERVED and reservation.expiry_date <= now():
                reservation.status = EXPIRED
                reservation.updated_at = now()
            return reservation

    async def page(
        self, *, charge_point_id: str | None, active: bool | None, limit: int, offset: int
    ) -> tuple[list[Reservation], int]:
        await self.expire()
        query = select(Reservation)
        if charge_point_id is not None:
            query = query.where(Reservation.charge_point_id == charge_point_id)
        if active is True:
            query = query.where(Reservation.status == RESERVED)
        elif active is False:
            query = query.where(Reservation.status != RESERVED)
        return await fetch_page(
            self.db.sessions,
            query,
            Reservation.created_at.desc(),
            Reservation.reservation_id.desc(),
            limit=limit,
            offset=offset,
        )
