"""Answers to the Reservation profile (OCPP 1.6, 5.1 and 5.13)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import CancelReservationStatus, ChargePointStatus, ReservationStatus

from ampyre.ocpp.v16.csms_messages.reservation import (
    CancelReservationConf,
    CancelReservationReq,
    ReserveNowConf,
    ReserveNowReq,
)
from ampyre.ocpp.v16.messages import parse_request
from ampyre.ocpp.v16.timestamps import now, parse_timestamp
from ampyre.simulator.connectors import Connector, Reservation
from ampyre.simulator.responders.base import Answer, Responder, confirm

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint


def _find(cp: SimulatedChargePoint, reservation_id: int) -> Connector | None:
    for connector in cp.connectors.values():
        if connector.reservation and connector.reservation.reservation_id == reservation_id:
            return connector
    return None


def _refusal(cp: SimulatedChargePoint, target: Connector) -> ReservationStatus | None:
    """Why the target cannot be reserved, as a ReserveNow status; None if it can."""
    whole = cp.connectors[0]
    if ChargePointStatus.faulted in (target.status, whole.status):
        return ReservationStatus.faulted
    if not target.operative or not whole.operative:
        return ReservationStatus.unavailable
    if target.connector_id == 0:
        free = [
            c
            for i, c in cp.connectors.items()
            if i > 0 and not c.busy and c.reservation is None and c.operative
        ]
        return ReservationStatus.occupied if whole.reservation is not None or not free else None
    if target.busy or target.reservation is not None:
        return ReservationStatus.occupied
    return None


def reserve_now(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, ReserveNowReq)
    connector_id = request.connector_id
    reservation_id = request.reservation_id
    if connector_id not in cp.connectors:
        return confirm(ReserveNowConf(ReservationStatus.rejected))
    if connector_id == 0 and not cp.config_bool("ReserveConnectorZeroSupported"):
        return confirm(ReserveNowConf(ReservationStatus.rejected))
    target = cp.connectors[connector_id]
    previous = _find(cp, reservation_id)
    # OCPP 1.6, 5.13: a known reservation id replaces that reservation.
    if previous is not target:
        refusal = _refusal(cp, target)
        if refusal is not None:
            return confirm(ReserveNowConf(refusal))
    if previous is not None:
        cp.drop_reservation(previous)
    reservation = Reservation(
        reservation_id=reservation_id,
        connector_id=connector_id,
        id_tag=request.id_tag,
        parent_id_tag=request.parent_id_tag,
        expiry=parse_timestamp(request.expiry_date),
    )
    target.reservation = reservation
    reservation.expiry_task = asyncio.create_task(_expire(cp, target, reservation))

    async def report() -> None:
        if previous is not None and previous is not target and previous.connector_id > 0:
            await cp.status(previous.connector_id, previous.idle_status())
        if connector_id > 0 and not target.busy:
            await cp.status(connector_id, ChargePointStatus.reserved)

    return confirm(ReserveNowConf(ReservationStatus.accepted), report)


async def _expire(cp: SimulatedChargePoint, connector: Connector, reservation: Reservation) -> None:
    await asyncio.sleep(max(0.0, (reservation.expiry - now()).total_seconds()))
    if connector.reservation is not reservation:
        return
    cp.drop_reservation(connector)
    cp.emit("info", f"reservation {reservation.reservation_id} expired")
    if connector.connector_id > 0 and not connector.busy:
        cp.spawn(lambda: cp.status(connector.connector_id, connector.idle_status()))


def cancel_reservation(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    connector = _find(cp, parse_request(payload, CancelReservationReq).reservation_id)
    if connector is None:
        return confirm(CancelReservationConf(CancelReservationStatus.rejected))
    cp.drop_reservation(connector)
    if connector.connector_id == 0 or connector.busy:
        return confirm(CancelReservationConf(CancelReservationStatus.accepted))

    async def report() -> None:
        await cp.status(connector.connector_id, connector.idle_status())

    return confirm(CancelReservationConf(CancelReservationStatus.accepted), report)


RESPONDERS: dict[str, Responder] = {
    "CancelReservation": cancel_reservation,
    "ReserveNow": reserve_now,
}
