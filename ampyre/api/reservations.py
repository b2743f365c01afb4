"""`/reservations`: reservations as the charge points' answers made them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from ampyre.api import serializers
from ampyre.api.dependencies import Page, get_csms
from ampyre.services.central_system import CentralSystem

router = APIRouter(tags=["reservations"])


@router.get("/reservations", summary="List reservations, newest first")
async def list_reservations(
    chargePointId: str | None = Query(None),
    active: bool | None = Query(None, description="Only Reserved (true) or ended (false)"),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    rows, total = await csms.reservations.page(
        charge_point_id=chargePointId, active=active, limit=page.limit, offset=page.offset
    )
    return serializers.page([serializers.reservation(r) for r in rows], total)
