"""`/charge-points/{id}/messages`: the OCPP message log, every frame both ways."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from ampyre.api.dependencies import Page, get_csms
from ampyre.api.serializers import Items, page
from ampyre.api.serializers.messages import MESSAGE_TYPES, LoggedMessage, ocpp_message
from ampyre.api.types import UTCTimestamp
from ampyre.services.central_system import CentralSystem

router = APIRouter(prefix="/charge-points", tags=["charge points"])

TYPE_IDS = {name: number for number, name in MESSAGE_TYPES.items()}


@router.get(
    "/{charge_point_id}/messages",
    summary="The OCPP frames of a charge point, both directions, newest first",
    responses={404: {"description": "Unknown charge point"}},
)
async def list_messages(
    charge_point_id: str,
    action: str | None = Query(
        None,
        max_length=64,
        description="Only this action's frames (an answer counts as its CALL's action)",
    ),
    direction: Literal["in", "out"] | None = Query(
        None, description="in: sent by the charge point; out: sent by the CSMS"
    ),
    message_type: Literal["CALL", "CALLRESULT", "CALLERROR"] | None = Query(
        None, alias="messageType", description="Only frames of this type"
    ),
    message_id: str | None = Query(
        None, alias="messageId", max_length=64, description="Only frames with this message id"
    ),
    since: UTCTimestamp | None = Query(None, description="From this time on (inclusive)"),
    until: UTCTimestamp | None = Query(None, description="Before this time"),
    page_: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[LoggedMessage]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.message_log.page(
        charge_point_id,
        action=action,
        direction=direction,
        message_type=None if message_type is None else TYPE_IDS[message_type],
        message_id=message_id,
        since=since,
        until=until,
        limit=page_.limit,
        offset=page_.offset,
    )
    return page([ocpp_message(row) for row in rows], total)
