"""`/reservations`: reserve, change and cancel connectors; reservations as the charge points'
answers made them (OCPP 1.6, 5.1 and 5.13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms, sent_responses
from ampyre.api.serializers import Items, Reservation, ReservationRefused
from ampyre.api.types import UTCTimestamp
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now
from ampyre.services.errors import InvalidRequest

router = APIRouter(tags=["reservations"])

#: The longest reservation a duration may ask for: a year.
MAX_DURATION = 366 * 24 * 3600


class _ReservationTerms(BaseModel):
    """What ReserveNow carries besides the ids; the end as a date or as a duration."""

    model_config = ConfigDict(extra="forbid")

    parentIdTag: str | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="Who else may use it (5.13); default: idTag's parent in the id tag store",
    )
    expiryDate: UTCTimestamp | None = Field(None, description="When the reservation ends")
    durationSeconds: int | None = Field(
        None, gt=0, le=MAX_DURATION, description="Or: how long from now it lasts"
    )

    @model_validator(mode="after")
    def _one_end(self) -> _ReservationTerms:
        if self.expiryDate is not None and self.durationSeconds is not None:
            raise ValueError("give expiryDate or durationSeconds, not both")
        return self

    def end(self) -> datetime | None:
        if self.durationSeconds is not None:
            return now() + timedelta(seconds=self.durationSeconds)
        return self.expiryDate.astimezone(UTC) if self.expiryDate is not None else None


class ReservationCreate(_ReservationTerms):
    chargePointId: str = Field(min_length=1, max_length=255)
    connectorId: int = Field(
        ge=0, description="0: any connector, where the charge point supports it"
    )
    idTag: str = Field(min_length=1, max_length=20)


class ReservationChange(_ReservationTerms):
    connectorId: int | None = Field(None, ge=0)
    idTag: str | None = Field(None, min_length=1, max_length=20)


def _refused(detail: str, reservation: Reservation, answer: str | None = None) -> JSONResponse:
    """409 that still shows the reservation as the CSMS now records it."""
    refused = ReservationRefused(**dict(reservation), detail=detail, answer=answer)
    shown = refused.model_dump(mode="json", exclude={"answer"} if answer is None else None)
    return JSONResponse(shown, status_code=409)


@router.post(
    "/reservations",
    status_code=201,
    summary="Reserve a connector: the CSMS assigns the reservationId and sends ReserveNow",
    response_model=Reservation,
    responses=sent_responses(
        "Refused: by the charge point (recorded as Rejected, its answer in `reason`), or "
        "before sending (not connected, connector 0 not supported)",
        callerror="The charge point answered CALLERROR (nothing recorded)",
        no_answer="The charge point did not answer in time (nothing recorded)",
        conflict_model=ReservationRefused,
        _201="The charge point accepted: the reservation is Reserved",
    ),
)
async def create_reservation(
    body: ReservationCreate,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> Reservation | JSONResponse:
    expiry_date = body.end()
    if expiry_date is None:
        raise InvalidRequest("give expiryDate or durationSeconds")
    reservation = await csms.reservations.create(
        body.chargePointId,
        connector_id=body.connectorId,
        id_tag=body.idTag,
        expiry_date=expiry_date,
        parent_id_tag=body.parentIdTag,
        timeout=timeout,
    )
    if reservation.status == "Rejected":
        return _refused(
            f"Charge point {body.chargePointId!r} answered ReserveNow with {reservation.reason}",
            serializers.reservation(reservation),
        )
    return serializers.reservation(reservation)


@router.get("/reservations", summary="List reservations, newest first")
async def list_reservations(
    chargePointId: str | None = Query(None),
    active: bool | None = Query(None, description="Only Reserved (true) or ended (false)"),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[Reservation]:
    rows, total = await csms.reservations.page(
        charge_point_id=chargePointId, active=active, limit=page.limit, offset=page.offset
    )
    return serializers.page([serializers.reservation(r) for r in rows], total)


@router.get("/reservations/{reservation_id}", summary="One reservation")
async def get_reservation(
    reservation_id: int, csms: CentralSystem = Depends(get_csms)
) -> Reservation:
    return serializers.reservation(await csms.reservations.get(reservation_id))


@router.patch(
    "/reservations/{reservation_id}",
    summary="Change a Reserved reservation: ReserveNow again under its id, which replaces it",
    response_model=Reservation,
    responses={
        409: {
            "description": "Not Reserved, or the charge point refused (unchanged)",
            "model": ReservationRefused,
        }
    },
)
async def change_reservation(
    reservation_id: int,
    body: ReservationChange,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> Reservation | JSONResponse:
    changes: dict[str, Any] = {
        key: value
        for key, value in body.model_dump(exclude_unset=True).items()
        if key in ("connectorId", "idTag", "parentIdTag")
    }
    expiry_date = body.end()
    if expiry_date is not None:
        changes["expiryDate"] = expiry_date
    if not changes:
        raise InvalidRequest("Nothing to change: give connectorId, idTag, parentIdTag or an end")
    reservation, answer = await csms.reservations.replace(reservation_id, changes, timeout=timeout)
    if answer != "Accepted":
        return _refused(
            f"Charge point {reservation.charge_point_id!r} answered ReserveNow with {answer}: "
            "the reservation stays as it was",
            serializers.reservation(reservation),
            answer=answer,
        )
    return serializers.reservation(reservation)


@router.delete(
    "/reservations/{reservation_id}",
    summary="Cancel a reservation: sends CancelReservation",
    response_model=Reservation,
    responses={
        200: {"description": "Accepted: the reservation is Cancelled"},
        409: {
            "description": "Not Reserved (nothing sent), or the charge point answered "
            "Rejected: it holds no such reservation, so it is recorded as ended",
            "model": ReservationRefused,
        },
    },
)
async def cancel_reservation(
    reservation_id: int,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> Reservation | JSONResponse:
    reservation, accepted = await csms.reservations.cancel(reservation_id, timeout=timeout)
    if not accepted:
        return _refused(
            f"Charge point {reservation.charge_point_id!r} answered CancelReservation "
            f"Rejected: it has no such reservation; recorded as {reservation.status}",
            serializers.reservation(reservation),
        )
    return serializers.reservation(reservation)
