"""Firmware rollouts: one image sent to many charge points, a bounded number at a time."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from ampyre.api.dependencies import Page, get_csms
from ampyre.api.firmware.common import UpdateFields, location_of, signature_of
from ampyre.api.serializers import Items, page
from ampyre.api.serializers.firmware import RolloutProgress, rollout_progress
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now
from ampyre.services.firmware_rollouts import DEFAULT_CONCURRENCY

router = APIRouter(tags=["firmware management"])


class RolloutBody(UpdateFields):
    chargePointIds: list[str] = Field(min_length=1, max_length=10000)
    concurrency: int = Field(
        DEFAULT_CONCURRENCY, ge=1, le=200, description="UpdateFirmware calls in flight at once"
    )


@router.post(
    "/firmware-rollouts",
    status_code=202,
    summary="Send a firmware image to many charge points, a bounded number at a time",
)
async def start_rollout(
    request: Request, body: RolloutBody, csms: CentralSystem = Depends(get_csms)
) -> RolloutProgress:
    location, firmware_id = await location_of(request, csms, body)
    signature = await signature_of(csms, body, firmware_id)
    rollout = await csms.firmware_rollouts.start(
        body.chargePointIds,
        location=location,
        firmware_image_id=firmware_id,
        retrieve_date=body.retrieveDate or now(),
        retries=body.retries,
        retry_interval=body.retryInterval,
        signature=signature,
        concurrency=body.concurrency,
    )
    return rollout_progress(await csms.firmware_rollouts.progress(rollout.id))


@router.get("/firmware-rollouts", summary="Firmware rollouts, newest first")
async def list_rollouts(
    paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[RolloutProgress]:
    rows, total = await csms.firmware_rollouts.page(limit=paging.limit, offset=paging.offset)
    return page([rollout_progress(row) for row in rows], total)


@router.get("/firmware-rollouts/{rollout_id}", summary="A rollout's per-charge-point progress")
async def get_rollout(rollout_id: int, csms: CentralSystem = Depends(get_csms)) -> RolloutProgress:
    return rollout_progress(await csms.firmware_rollouts.progress(rollout_id))


@router.post(
    "/firmware-rollouts/{rollout_id}/cancel",
    summary="Send to no more charge points (those already sent to go on)",
)
async def cancel_rollout(
    rollout_id: int, csms: CentralSystem = Depends(get_csms)
) -> RolloutProgress:
    return rollout_progress(await csms.firmware_rollouts.cancel(rollout_id))
