"""`/charge-points/{id}/trigger(s)`: ask a charge point for a message (OCPP 1.6, 5.17) and
see what each request got: the answer, and whether the message then came."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms, sent_responses
from ampyre.api.serializers import Items, TriggerRequest
from ampyre.services.central_system import CentralSystem
from ampyre.services.triggers import RequestedMessage

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


@router.post(
    "/{charge_point_id}/trigger",
    summary="Send TriggerMessage and return the charge point's answer",
    responses=sent_responses(
        "Not connected, or not allowed in its registration state (a BootNotification after "
        "an Accepted boot: errata v4 3.40); nothing sent",
        callerror="Any other CALLERROR (recorded as CallError)",
        no_answer="No answer in time (recorded as TimedOut)",
        _200="status Accepted, Rejected or NotImplemented (also when the charge point "
        "answered CALLERROR NotImplemented/NotSupported: errorCode says so)",
    ),
)
async def trigger(
    charge_point_id: str,
    body: TriggerBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> TriggerRequest:
    record = await csms.triggers.trigger(
        charge_point_id, body.requestedMessage, body.connectorId, timeout=timeout
    )
    return serializers.trigger_request(record)


@router.get("/{charge_point_id}/triggers", summary="TriggerMessages sent, newest first")
async def list_triggers(
    charge_point_id: str, page: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[TriggerRequest]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.triggers.page(charge_point_id, limit=page.limit, offset=page.offset)
    return serializers.page([serializers.trigger_request(row) for row in rows], total)
