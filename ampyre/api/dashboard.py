"""`GET /dashboard`: the fleet's numbers for the console's landing page, in one request."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ampyre.api.dependencies import get_csms
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import format_timestamp

router = APIRouter(tags=["dashboard"])


class ChargePointCounts(BaseModel):
    total: int
    online: int = Field(description="Connected now")
    offline: int = Field(description="Registered and not connected")
    faulted: int = Field(description="With a connector (or connector 0) in status Faulted")


class EnergyDelivered(BaseModel):
    todayKwh: float = Field(description="Transactions stopped since 00:00 UTC today")
    monthKwh: float = Field(description="Transactions stopped since the 1st, 00:00 UTC")
    todayWh: int
    monthWh: int
    dayStart: str
    monthStart: str


class RecentFault(BaseModel):
    chargePointId: str
    connectorId: int
    errorCode: str
    info: str | None
    vendorErrorCode: str | None
    timestamp: str | None


class RecentSecurityEvent(BaseModel):
    chargePointId: str
    type: str
    techInfo: str | None
    timestamp: str


class Dashboard(BaseModel):
    chargePoints: ChargePointCounts
    connectors: dict[str, int] = Field(
        description="Connector status -> count (connector 0, the unit, left out)"
    )
    activeTransactions: int
    energy: EnergyDelivered
    recentFaults: list[RecentFault] = Field(description="Faulted connectors, newest first")
    recentSecurityEvents: list[RecentSecurityEvent] = Field(description="Newest first")


@router.get("/dashboard", summary="The fleet at a glance", response_model=Dashboard)
async def dashboard(csms: CentralSystem = Depends(get_csms)) -> Dashboard:
    summary = await csms.dashboard.summary()
    return Dashboard(
        chargePoints=ChargePointCounts(
            total=summary.charge_points,
            online=summary.online,
            offline=summary.charge_points - summary.online,
            faulted=summary.faulted,
        ),
        connectors=summary.connectors,
        activeTransactions=summary.active_transactions,
        energy=EnergyDelivered(
            todayKwh=summary.energy_today_wh / 1000,
            monthKwh=summary.energy_month_wh / 1000,
            todayWh=summary.energy_today_wh,
            monthWh=summary.energy_month_wh,
            dayStart=format_timestamp(summary.day_start),
            monthStart=format_timestamp(summary.month_start),
        ),
        recentFaults=[
            RecentFault(
                chargePointId=fault.charge_point_id,
                connectorId=fault.connector_id,
                errorCode=fault.error_code,
                info=fault.info,
                vendorErrorCode=fault.vendor_error_code,
                timestamp=format_timestamp(fault.timestamp),
            )
            for fault in summary.recent_faults
        ],
        recentSecurityEvents=[
            RecentSecurityEvent(
                chargePointId=event.charge_point_id,
                type=event.type,
                techInfo=event.tech_info,
                timestamp=format_timestamp(event.timestamp),
            )
            for event in summary.recent_security_events
        ],
    )
