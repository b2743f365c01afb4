"""`/charge-points/{id}/trigger(s)`: ask a charge point for a message (OCPP 1.6, 5.17) and
see what each request got: the answer, and whether the message then came."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import format_timestamp, now
from ampyre.services.triggers import RequestedMessage
from ampyre.storage.models import TriggerRequest

router = APIRouter(prefix="/charge-points", tags=["remote trigger"])


class TriggerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requestedMessage: RequestedMessage
    # 6.51 says connectorId > 0, yet 5.17 asks for the charge point's own status with a
    # StatusNotification request "for connectorId 0": both are allowed.
    connectorId: int | None = Field(
        None,
        ge=0,
        description="The connector the message is about; without it, StatusNotification "
        "and MeterValues come for every connector",
    )


def trigger_request(row: TriggerRequest) -> dict[str, Any]:
    arrived: bool | None = None
    if row.arrived_at is not None:
        arrived = True
    elif row.expected_by is not None and row.expected_by <= now():
        arrived = False
    return {
        "triggerId": row.id,
        "chargePointId": row.charge_point_id,
        "requestedMessage": row.requested_message,
        "connectorId": row.connector_id,
        "status": row.status,
        "errorCode": row.error_code,
        "errorDescription": row.error_description,
        "requestedAt": format_timestamp(row.requested_at),
        "answeredAt": format_timestamp(row.answered_at),
        "expectedBy": format_timestamp(row.expected_by),
        "messageArrived": arrived,
        "arrivedAt": format_timestamp(row.arrived_at),
        "arrivals": row.arrivals,
    }


@router.post(
    "/{charge_point_id}/trigger",
    summary="Send TriggerMessage and return the charge point's answer",
    responses={
        200: {
            "description": "status Accepted, Rejected or NotImplemented (also when the charge "
            "point answered CALLERROR NotImplemented/NotSupported: errorCode says so)"
        },
        409: {
            "description": "Not connected, or not allowed in its registration state "
            "(a BootNotification after an Accepted boot: errata v4 3.40); nothing sent"
        },
        502: {"description": "Any other CALLERROR (recorded as CallError)"},
        504: {"description": "No answer in time (recorded as TimedOut)"},
    },
)
async def trigger(
    charge_point_id: str,
    body: TriggerBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    record = await csms.triggers.trigger(
        charge_point_id, body.requestedMessage, body.connectorId, timeout=timeout
    )
    return trigger_request(record)


@router.get("/{charge_point_id}/triggers", summary="TriggerMessages sent, newest first")
async def list_triggers(
    charge_point_id: str, page: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.triggers.page(charge_point_id, limit=page.limit, offset=page.offset)
    return serializers.page([trigger_request(row) for row in rows], total)
