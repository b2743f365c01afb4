"""Reservation profile (OCPP 1.6, sections 5.1 and 5.13, 6.5/6.6 and 6.39/6.40)."""

from __future__ import annotations

from typing import ClassVar

from ocpp.v16.enums import CancelReservationStatus, ReservationStatus

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, ConnectorId, Int32

__all__ = [
    "COMMANDS",
    "CancelReservationConf",
    "CancelReservationReq",
    "ReserveNowConf",
    "ReserveNowReq",
]


class ReserveNowReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "ReserveNow"

    connector_id: ConnectorId
    expiry_date: str
    id_tag: str
    reservation_id: Int32
    parent_id_tag: str | None = None


class ReserveNowConf(Confirmation, frozen=True):
    status: ReservationStatus


class CancelReservationReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "CancelReservation"

    reservation_id: Int32


class CancelReservationConf(Confirmation, frozen=True):
    status: CancelReservationStatus


COMMANDS = {
    "CancelReservation": (CancelReservationReq, CancelReservationConf),
    "ReserveNow": (ReserveNowReq, ReserveNowConf),
}
