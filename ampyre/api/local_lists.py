"""Local Authorization Lists: each charge point's policy, sync, version and state."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, call_timeout, get_csms
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import format_timestamp
from ampyre.services.local_lists import (
    Changes,
    LocalListPolicy,
    LocalListSummary,
    LocalListView,
)

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


def _policy(policy: LocalListPolicy) -> dict[str, Any]:
    return {
        "source": policy.source,
        "parentIdTag": policy.parent_id_tag,
        "idTags": list(policy.id_tags) if policy.id_tags is not None else None,
        "localAuthListMaxLength": policy.local_auth_list_max_length,
        "sendLocalListMaxLength": policy.send_local_list_max_length,
    }


def _changes(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {
        "added": [entry["idTag"] for entry in changes.added],
        "changed": [entry["idTag"] for entry in changes.changed],
        "removed": [entry["idTag"] for entry in changes.removed],
    }


def _view(view: LocalListView) -> dict[str, Any]:
    return {
        "chargePointId": view.charge_point_id,
        "policy": _policy(view.policy),
        "limits": {
            "localAuthListMaxLength": view.limits.local_auth_list_max_length,
            "sendLocalListMaxLength": view.limits.send_local_list_max_length,
        },
        "enabled": view.enabled,
        "sentVersion": view.sent_version,
        "acceptedAt": format_timestamp(view.accepted_at),
        "chargePointVersion": view.charge_point_version,
        "chargePointVersionAt": format_timestamp(view.charge_point_version_at),
        "supported": view.supported,
        "entriesKnown": view.entries_known,
        "outOfDate": view.out_of_date,
        "pendingChanges": _changes(view.pending),
        "entries": view.entries,
        "lastResult": view.last_result,
    }


def _summary(summary: LocalListSummary, *, connected: bool) -> dict[str, Any]:
    return {
        "chargePointId": summary.charge_point_id,
        "connected": connected,
        "source": summary.source,
        "sentVersion": summary.sent_version,
        "chargePointVersion": summary.charge_point_version,
        "supported": summary.supported,
        "entries": summary.entry_count,
        "outOfDate": summary.out_of_date,
        "lastResult": summary.last_result,
    }


@router.get("/local-lists", summary="Every charge point's local list: versions, out of date")
async def list_local_lists(
    page: Page = Depends(),
    outOfDate: bool | None = Query(None, description="Only lists that are (not) out of date"),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    rows, total = await csms.local_lists.summaries(
        out_of_date=outOfDate, limit=page.limit, offset=page.offset
    )
    items = [_summary(r, connected=csms.gateway.is_connected(r.charge_point_id)) for r in rows]
    return serializers.page(items, total)


@router.get(
    "/charge-points/{charge_point_id}/local-list",
    summary="The local list: policy, versions, the entries the charge point holds",
)
async def get_local_list(
    charge_point_id: str, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    return _view(await csms.local_lists.view(charge_point_id))


@router.put(
    "/charge-points/{charge_point_id}/local-list/policy",
    summary="Choose which id tags the charge point's local list holds",
)
async def put_local_list_policy(
    charge_point_id: str, body: PolicyBody, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    policy = LocalListPolicy(
        source=body.source,
        parent_id_tag=body.parentIdTag,
        id_tags=tuple(body.idTags) if body.idTags is not None else None,
        local_auth_list_max_length=body.localAuthListMaxLength,
        send_local_list_max_length=body.sendLocalListMaxLength,
    )
    return _view(await csms.local_lists.set_policy(charge_point_id, policy))


@router.post(
    "/charge-points/{charge_point_id}/local-list/sync",
    summary="Send the charge point its local list (SendLocalList), in parts if need be",
    responses={
        200: {"description": "What was sent and how the charge point answered"},
        409: {"description": "Not connected, no record for a Differential, or list too long"},
        502: {"description": "The charge point answered CALLERROR"},
        504: {"description": "The charge point did not answer in time"},
    },
)
async def sync_local_list(
    charge_point_id: str,
    body: SyncBody | None = None,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    body = body or SyncBody()
    report = await csms.local_lists.sync(
        charge_point_id,
        body.updateType,
        timeout=timeout,
        refresh_limits=body.refreshLimits,
    )
    return report.as_record()


@router.post(
    "/charge-points/{charge_point_id}/local-list/version",
    summary="Ask the charge point its list version (GetLocalListVersion)",
)
async def get_local_list_version(
    charge_point_id: str,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    await csms.local_lists.ask_version(charge_point_id, timeout=timeout)
    return _view(await csms.local_lists.view(charge_point_id))
