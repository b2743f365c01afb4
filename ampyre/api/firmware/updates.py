"""Firmware updates of one charge point: UpdateFirmware sent and followed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ampyre.api.dependencies import Page, call_timeout, get_csms
from ampyre.api.firmware.common import (
    UpdateFields,
    attempt_responses,
    location_of,
    signature_of,
)
from ampyre.api.serializers import Items, page
from ampyre.api.serializers.firmware import FirmwareUpdate, firmware_update
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now

router = APIRouter(tags=["firmware management"])


class FirmwareUpdateBody(UpdateFields):
    pass


@router.post(
    "/charge-points/{charge_point_id}/firmware-updates",
    status_code=201,
    summary="Send UpdateFirmware and record the attempt",
    responses=attempt_responses("Not connected (nothing is sent or recorded)"),
)
async def update_firmware(
    request: Request,
    charge_point_id: str,
    body: FirmwareUpdateBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> FirmwareUpdate:
    location, firmware_id = await location_of(request, csms, body)
    signature = await signature_of(csms, body, firmware_id)
    attempt = await csms.firmware.update(
        charge_point_id,
        location=location,
        retrieve_date=body.retrieveDate or now(),
        retries=body.retries,
        retry_interval=body.retryInterval,
        signature=signature,
        firmware_image_id=firmware_id,
        timeout=timeout,
    )
    events = await csms.firmware.attempts.events_for([attempt.id])
    return firmware_update(attempt, events[attempt.id])


@router.get(
    "/charge-points/{charge_point_id}/firmware-updates",
    summary="A charge point's firmware update attempts, newest first, with their progress",
)
async def list_firmware_updates(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[FirmwareUpdate]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.firmware.history(
        charge_point_id, limit=paging.limit, offset=paging.offset
    )
    events = await csms.firmware.attempts.events_for([row.id for row in rows])
    return page([firmware_update(row, events[row.id]) for row in rows], total)


@router.get(
    "/charge-points/{charge_point_id}/firmware-updates/{update_id}",
    summary="One firmware update attempt with its status notifications",
)
async def get_firmware_update(
    charge_point_id: str, update_id: int, csms: CentralSystem = Depends(get_csms)
) -> FirmwareUpdate:
    attempt = await csms.firmware.attempts.get(charge_point_id, update_id)
    events = await csms.firmware.attempts.events_for([attempt.id])
    return firmware_update(attempt, events[attempt.id])
