"""`/charge-points`: registration, state, installed profiles and schema deviations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms, sent_responses
from ampyre.api.listing import sort_query
from ampyre.api.serializers import (
    ChargePoint,
    ChargePointEvent,
    ConfigurationKey,
    Deviation,
    Items,
)
from ampyre.api.types import given_fields
from ampyre.services.central_system import CentralSystem
from ampyre.services.charge_points import ChargePointFilter
from ampyre.services.charge_points import ChargePointUpdate as ChargePointChanges
from ampyre.services.listing import SortKey

router = APIRouter(prefix="/charge-points", tags=["charge points"])


class ChargePointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255, description="The charge point identity")
    password: str | None = Field(None, min_length=1, max_length=255)
    securityProfile: int | None = Field(None, ge=0, le=3)
    registrationStatus: Literal["Accepted", "Pending", "Rejected"] = "Accepted"
    lenient: bool = Field(False, description="Accept and record known schema deviations")


class ChargePointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registrationStatus: Literal["Accepted", "Pending", "Rejected"] | None = None
    password: str | None = Field(None, max_length=255)
    securityProfile: int | None = Field(None, ge=0, le=3)
    lenient: bool | None = None


def _last_seen(csms: CentralSystem, charge_point_id: str) -> datetime | None:
    """The newest lastSeen the database may not have yet: the live connection's, else
    one noted at a connect or disconnect and not yet written."""
    return csms.gateway.last_seen(charge_point_id) or csms.charge_points.unsaved_last_seen(
        charge_point_id
    )


async def _describe(csms: CentralSystem, charge_point_id: str) -> ChargePoint:
    charge_point = await csms.charge_points.get(charge_point_id)
    connectors = await csms.charge_points.connectors(charge_point_id)
    return serializers.charge_point(
        charge_point,
        connected=csms.gateway.is_connected(charge_point_id),
        connectors=connectors,
        last_seen=_last_seen(csms, charge_point_id),
    )


@router.post("", status_code=201, summary="Register a charge point")
async def create_charge_point(
    body: ChargePointCreate, csms: CentralSystem = Depends(get_csms)
) -> ChargePoint:
    await csms.charge_points.register(
        body.id,
        password=body.password,
        security_profile=body.securityProfile,
        registration_status=body.registrationStatus,
        lenient=body.lenient,
    )
    return await _describe(csms, body.id)


#: The answer's fields a list of charge points sorts by, and the service's names for them.
SORT_FIELDS = {
    "id": "id",
    "registrationStatus": "registration_status",
    "chargePointVendor": "vendor",
    "chargePointModel": "model",
    "firmwareVersion": "firmware_version",
    "securityProfile": "security_profile",
    "lastSeen": "last_seen",
    "lastBoot": "last_boot",
    "createdAt": "created_at",
}


@router.get("", summary="List charge points: filtered, searched and sorted")
async def list_charge_points(
    connected: bool | None = Query(None, description="Only those (not) connected now"),
    registrationStatus: Literal["Accepted", "Pending", "Rejected"] | None = Query(
        None, description="Only those the next BootNotification is answered this way"
    ),
    vendor: str | None = Query(None, max_length=64, description="chargePointVendor, exactly"),
    model: str | None = Query(None, max_length=64, description="chargePointModel, exactly"),
    firmwareVersion: str | None = Query(None, max_length=64, description="Exactly"),
    q: str | None = Query(
        None,
        max_length=255,
        description="Text found, ignoring case, in the id, vendor, model, serial numbers "
        "or firmware version",
    ),
    sort: list[SortKey] = Depends(sort_query(SORT_FIELDS, "id")),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[ChargePoint]:
    where = ChargePointFilter(
        connected_ids=frozenset(csms.gateway.connected_ids()) if connected is not None else None,
        connected=connected,
        registration_status=registrationStatus,
        vendor=vendor,
        model=model,
        firmware_version=firmwareVersion,
        text=q,
    )
    rows, total = await csms.charge_points.page(
        where=where, sort=sort, limit=page.limit, offset=page.offset
    )
    connectors = await csms.charge_points.connectors_of([row.id for row in rows])
    items = [
        serializers.charge_point(
            row,
            connected=csms.gateway.is_connected(row.id),
            connectors=connectors[row.id],
            last_seen=_last_seen(csms, row.id),
        )
        for row in rows
    ]
    return serializers.page(items, total)


@router.get("/{charge_point_id}", summary="A charge point with its connectors")
async def get_charge_point(
    charge_point_id: str, csms: CentralSystem = Depends(get_csms)
) -> ChargePoint:
    return await _describe(csms, charge_point_id)


@router.patch("/{charge_point_id}", summary="Change registration status, password or profile")
async def update_charge_point(
    charge_point_id: str, body: ChargePointUpdate, csms: CentralSystem = Depends(get_csms)
) -> ChargePoint:
    await csms.charge_points.update(charge_point_id, ChargePointChanges(**given_fields(body)))
    return await _describe(csms, charge_point_id)


class SecurityProfileUpgrade(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: int = Field(ge=0, le=3, description="The new, higher security profile")
    rootCertificateInstalled: bool = Field(
        False,
        description="Profiles 2 and 3: the operator confirms the Central System root "
        "certificate is installed on the charge point",
    )


@router.post(
    "/{charge_point_id}/security-profile",
    summary="Raise the security profile over OCPP (whitepaper A05); never lower it",
    responses=sent_responses(
        "Not connected, a downgrade, a prerequisite missing, or the charge point refused"
    ),
)
async def upgrade_security_profile(
    charge_point_id: str,
    body: SecurityProfileUpgrade,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> ChargePoint:
    await csms.security_profiles.upgrade(
        charge_point_id,
        body.profile,
        root_certificate_installed=body.rootCertificateInstalled,
        timeout=timeout,
    )
    return await _describe(csms, charge_point_id)


@router.delete("/{charge_point_id}", status_code=204, summary="Remove a charge point")
async def delete_charge_point(
    charge_point_id: str, csms: CentralSystem = Depends(get_csms)
) -> Response:
    await csms.charge_points.delete(charge_point_id)
    await csms.gateway.disconnect(charge_point_id, "charge point removed")
    return Response(status_code=204)


@router.get(
    "/{charge_point_id}/configuration",
    summary="Configuration keys as the charge point's last answers showed them",
)
async def list_configuration(
    charge_point_id: str, csms: CentralSystem = Depends(get_csms)
) -> Items[ConfigurationKey]:
    await csms.charge_points.get(charge_point_id)
    rows = await csms.configuration.keys(charge_point_id)
    items = [serializers.configuration_key(row) for row in rows]
    return serializers.page(items, len(items))


@router.get(
    "/{charge_point_id}/events",
    summary="Security events, log upload and signed firmware status notifications, newest first",
)
async def list_events(
    charge_point_id: str,
    action: str | None = Query(
        None, description="Only this notification, e.g. SecurityEventNotification"
    ),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[ChargePointEvent]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.event_log.page(
        charge_point_id, action=action, limit=page.limit, offset=page.offset
    )
    items = [serializers.charge_point_event(row) for row in rows]
    return serializers.page(items, total)


@router.get(
    "/{charge_point_id}/deviations",
    summary="How a lenient charge point deviates from the OCPP 1.6 schemas",
)
async def list_deviations(
    charge_point_id: str, csms: CentralSystem = Depends(get_csms)
) -> Items[Deviation]:
    await csms.charge_points.get(charge_point_id)
    rows = await csms.charge_points.deviations(charge_point_id)
    return serializers.page([serializers.deviation(r) for r in rows], len(rows))
