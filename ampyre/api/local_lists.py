"""Local Authorization Lists: each charge point's policy, sync, version and state."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms, sent_responses
from ampyre.api.serializers import Items
from ampyre.api.serializers.local_lists import (
    LocalList,
    LocalListState,
    SyncResult,
    local_list_summary,
    local_list_view,
    sync_result,
)
from ampyre.services.central_system import CentralSystem
from ampyre.services.local_lists import LocalListPolicy

router = APIRouter(tags=["local lists"])


class PolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["all", "group", "tags"] = Field(
        default="all", description="All id tags, a group's members (parentIdTag) or named idTags"
    )
    parentIdTag: str | None = Field(default=None, description='The group, with source "group"')
    idTags: list[str] | None = Field(default=None, description='The id tags, with source "tags"')
    localAuthListMaxLength: int | None = Field(
        default=None, description="Overrides the charge point's LocalAuthListMaxLength"
    )
    sendLocalListMaxLength: int | None = Field(
        default=None, description="Overrides the charge point's SendLocalListMaxLength"
    )


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    updateType: Literal["Auto", "Full", "Differential"] = "Auto"
    refreshLimits: bool = Field(
        default=False, description="Ask the charge point for its max lengths even if known"
    )


@router.get("/local-lists", summary="Every charge point's local list: versions, out of date")
async def list_local_lists(
    page: Page = Depends(),
    outOfDate: bool | None = Query(None, description="Only lists that are (not) out of date"),
    csms: CentralSystem = Depends(get_csms),
) -> Items[LocalListState]:
    rows, total = await csms.local_lists.summaries(
        out_of_date=outOfDate, limit=page.limit, offset=page.offset
    )
    items = [
        local_list_summary(r, connected=csms.gateway.is_connected(r.charge_point_id)) for r in rows
    ]
    return serializers.page(items, total)


@router.get(
    "/charge-points/{charge_point_id}/local-list",
    summary="The local list: policy, versions, the entries the charge point holds",
)
async def get_local_list(
    charge_point_id: str, csms: CentralSystem = Depends(get_csms)
) -> LocalList:
    return local_list_view(await csms.local_lists.view(charge_point_id))


@router.put(
    "/charge-points/{charge_point_id}/local-list/policy",
    summary="Choose which id tags the charge point's local list holds",
)
async def put_local_list_policy(
    charge_point_id: str, body: PolicyBody, csms: CentralSystem = Depends(get_csms)
) -> LocalList:
    policy = LocalListPolicy(
        source=body.source,
        parent_id_tag=body.parentIdTag,
        id_tags=tuple(body.idTags) if body.idTags is not None else None,
        local_auth_list_max_length=body.localAuthListMaxLength,
        send_local_list_max_length=body.sendLocalListMaxLength,
    )
    return local_list_view(await csms.local_lists.set_policy(charge_point_id, policy))


@router.post(
    "/charge-points/{charge_point_id}/local-list/sync",
    summary="Send the charge point its local list (SendLocalList), in parts if need be",
    responses=sent_responses(
        "Not connected, no record for a Differential, or list too long",
        _200="What was sent and how the charge point answered",
    ),
)
async def sync_local_list(
    charge_point_id: str,
    body: SyncBody | None = None,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> SyncResult:
    body = body or SyncBody()
    report = await csms.local_lists.sync(
        charge_point_id,
        body.updateType,
        timeout=timeout,
        refresh_limits=body.refreshLimits,
    )
    return sync_result(report)


@router.post(
    "/charge-points/{charge_point_id}/local-list/version",
    summary="Ask the charge point its list version (GetLocalListVersion)",
)
async def get_local_list_version(
    charge_point_id: str,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> LocalList:
    await csms.local_lists.ask_version(charge_point_id, timeout=timeout)
    return local_list_view(await csms.local_lists.view(charge_point_id))
