"""Smart Charging for operators: install, clear and list profiles, see composite schedules.

Everything here goes through the same command path as
`POST /charge-points/{id}/commands/{Action}`: the profile is checked against the Smart
Charging rules (422 naming the broken rule, nothing sent), sent, and what the answer means
is recorded before the HTTP answer returns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms, sent_responses
from ampyre.api.serializers import (
    ChargingProfile,
    ClearedProfiles,
    CompositeSchedule,
    InstalledProfile,
    Items,
    RecordedProfile,
)
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import format_timestamp, now
from ampyre.services.errors import Conflict, InvalidRequest, NotFound

router = APIRouter(prefix="/charge-points/{charge_point_id}", tags=["smart charging"])

Purpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
#: The longest composite schedule the CSMS computes: 31 days.
MAX_COMPOSITE_DURATION = 31 * 86_400


class ChargingProfileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connectorId: int = Field(ge=0, description="0: the charge point as a whole")
    csChargingProfiles: dict[str, Any] = Field(
        description="An OCPP 1.6 ChargingProfile; without chargingProfileId the CSMS "
        "assigns one that is unique on this charge point"
    )


@router.get("/charging-profiles", summary="Charging profiles the CSMS records as installed")
async def list_charging_profiles(
    charge_point_id: str,
    connectorId: int | None = Query(None, ge=0),
    chargingProfilePurpose: Purpose | None = Query(None),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[ChargingProfile]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.charging_profiles.page(
        charge_point_id,
        connector_id=connectorId,
        purpose=chargingProfilePurpose,
        limit=page.limit,
        offset=page.offset,
    )
    return serializers.page([serializers.charging_profile(r) for r in rows], total)


@router.get(
    "/charging-profiles/{charging_profile_id}",
    summary="One charging profile the CSMS records as installed",
)
async def get_charging_profile(
    charge_point_id: str, charging_profile_id: int, csms: CentralSystem = Depends(get_csms)
) -> RecordedProfile:
    await csms.charge_points.get(charge_point_id)
    row = await csms.charging_profiles.get(charge_point_id, charging_profile_id)
    return serializers.recorded_profile(row)


@router.post(
    "/charging-profiles",
    status_code=201,
    summary="Install a charging profile (SetChargingProfile) and record it",
    response_model=InstalledProfile,
    responses=sent_responses(
        "Not connected, or the charge point answered Rejected/NotSupported",
        _201="Accepted: the recorded profile and the charge point's status",
        _404="Unknown charge point",
        _422="The profile breaks the schema or a Smart Charging rule",
    ),
)
async def set_charging_profile(
    charge_point_id: str,
    body: ChargingProfileRequest = Body(),
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> InstalledProfile | JSONResponse:
    await csms.charge_points.get(charge_point_id)
    profile = dict(body.csChargingProfiles)
    if profile.get("chargingProfileId") is None:
        profile["chargingProfileId"] = await csms.charging_profiles.next_profile_id(charge_point_id)
    payload = {"connectorId": body.connectorId, "csChargingProfiles": profile}
    result = await csms.commands.send(
        charge_point_id, "SetChargingProfile", payload, timeout=timeout
    )
    status = result.payload["status"]
    if status != "Accepted":
        return JSONResponse(
            {
                "detail": f"Charge point answered {status}: the profile is not installed",
                "status": status,
                **payload,
            },
            status_code=409,
        )
    try:
        row = await csms.charging_profiles.get(charge_point_id, profile["chargingProfileId"])
    except NotFound:
        # A TxProfile whose transaction stopped while the charge point answered.
        raise Conflict(
            "Charge point answered Accepted, but the transaction on connector "
            f"{body.connectorId} has stopped: the profile is not recorded"
        ) from None
    return InstalledProfile(**dict(serializers.recorded_profile(row)), status=status)


@router.delete(
    "/charging-profiles/{charging_profile_id}",
    summary="Clear one charging profile by id (ClearChargingProfile)",
    response_model=ClearedProfiles,
    responses={404: {"description": "Unknown charge point, or it answered Unknown"}},
)
async def clear_charging_profile(
    charge_point_id: str,
    charging_profile_id: int,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> JSONResponse:
    return await _clear(csms, charge_point_id, {"id": charging_profile_id}, timeout)


@router.delete(
    "/charging-profiles",
    summary="Clear the charging profiles matching every given field (ClearChargingProfile)",
    description="Without any field, every profile of the charge point is cleared "
    "(OCPP 1.6, 5.5, errata v4 3.25). connectorId 0 names the charge point as a whole.",
    response_model=ClearedProfiles,
    responses={404: {"description": "Unknown charge point, or it answered Unknown"}},
)
async def clear_charging_profiles(
    charge_point_id: str,
    connectorId: int | None = Query(None, ge=0),
    chargingProfilePurpose: Purpose | None = Query(None),
    stackLevel: int | None = Query(None, ge=0),
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> JSONResponse:
    fields = {
        "connectorId": connectorId,
        "chargingProfilePurpose": chargingProfilePurpose,
        "stackLevel": stackLevel,
    }
    clear_request = {name: value for name, value in fields.items() if value is not None}
    return await _clear(csms, charge_point_id, clear_request, timeout)


async def _clear(
    csms: CentralSystem, charge_point_id: str, clear_request: dict[str, Any], timeout: float
) -> JSONResponse:
    await csms.charge_points.get(charge_point_id)
    matching = await csms.charging_profiles.matching(charge_point_id, clear_request)
    result = await csms.commands.send(
        charge_point_id, "ClearChargingProfile", clear_request, timeout=timeout
    )
    status = result.payload["status"]
    cleared = ClearedProfiles(
        status=status,
        request=clear_request,
        # What the CSMS no longer records: Unknown means the charge point has none of them.
        cleared=[serializers.recorded_profile(row) for row in matching],
    )
    if status == "Unknown":
        detail = "Charge point answered Unknown: it has no matching charging profile"
        return JSONResponse({**cleared.as_json(), "detail": detail}, status_code=404)
    return JSONResponse(cleared.as_json())


@router.get(
    "/connectors/{connector_id}/composite-schedule",
    summary="The composite schedule of a connector, as the CSMS computes it",
    description="Computed from the profiles the CSMS records (see docs/smart-charging.md). "
    "With fromChargePoint=true the charge point is also asked (GetCompositeSchedule) and "
    "its answer returned beside, for comparison.",
    # chargePoint only when the charge point was asked.
    response_model_exclude_unset=True,
)
async def composite_schedule(
    charge_point_id: str,
    connector_id: int = Path(ge=0, description="0: the charge point as a whole"),
    duration: int = Query(86_400, ge=1, le=MAX_COMPOSITE_DURATION, description="Seconds"),
    chargingRateUnit: Literal["A", "W"] | None = Query(
        None, description="Default: the unit the profiles share, else A"
    ),
    start: datetime | None = Query(
        None, description="Start of the window (ISO 8601); default: now"
    ),
    defaultLimit: float | None = Query(
        None, ge=0, description="The limit where no profile applies; default: null"
    ),
    fromChargePoint: bool = Query(False, description="Also ask the charge point"),
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> CompositeSchedule:
    await csms.charge_points.get(charge_point_id)
    if fromChargePoint and start is not None:
        raise InvalidRequest(
            "start: the charge point computes its schedule from now (OCPP 1.6, 5.7); "
            "leave start out to compare with it"
        )
    window_start = _whole_seconds(start or now())
    schedule = await csms.charging_profiles.composite_schedule(
        charge_point_id,
        connector_id,
        start=window_start,
        duration=duration,
        charging_rate_unit=chargingRateUnit,
        default_limit=defaultLimit,
    )
    # Errata v4 3.57: beside scheduleStart, the schedule itself carries no startSchedule.
    schedule.pop("startSchedule")
    answer = CompositeSchedule(
        charge_point_id=charge_point_id,
        connector_id=connector_id,
        schedule_start=format_timestamp(window_start),
        charging_schedule=schedule,
    )
    if fromChargePoint:
        result = await csms.commands.send(
            charge_point_id,
            "GetCompositeSchedule",
            {
                "connectorId": connector_id,
                "duration": duration,
                "chargingRateUnit": schedule["chargingRateUnit"],
            },
            timeout=timeout,
        )
        answer.charge_point = result.payload
    return answer


def _whole_seconds(moment: datetime) -> datetime:
    """OCPP schedules count whole seconds: the window starts on one."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)
