"""`/id-tags`: the id tag store the CSMS authorizes against."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api import serializers
from ampyre.api.dependencies import Page, get_csms
from ampyre.api.serializers import IdTag, Items
from ampyre.api.types import UTCTimestamp, given_fields
from ampyre.services.central_system import CentralSystem
from ampyre.services.id_tags import IdTagUpdate as IdTagChanges

router = APIRouter(prefix="/id-tags", tags=["id tags"])

Status = Literal["Accepted", "Blocked", "Expired", "Invalid"]


class IdTagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idTag: str = Field(min_length=1, max_length=20)
    status: Status = "Accepted"
    expiryDate: UTCTimestamp | None = None
    parentIdTag: str | None = Field(None, min_length=1, max_length=20)
    allowConcurrentTx: bool = Field(
        False, description="May the tag be used in several transactions at once"
    )


class IdTagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    expiryDate: UTCTimestamp | None = None
    parentIdTag: str | None = Field(None, max_length=20)
    allowConcurrentTx: bool | None = None


@router.post("", status_code=201, summary="Add an id tag")
async def create_id_tag(body: IdTagCreate, csms: CentralSystem = Depends(get_csms)) -> IdTag:
    tag = await csms.id_tags.create(
        body.idTag,
        status=body.status,
        expiry_date=body.expiryDate,
        parent_id_tag=body.parentIdTag,
        allow_concurrent_tx=body.allowConcurrentTx,
    )
    return serializers.id_tag(tag)


@router.get("", summary="List id tags")
async def list_id_tags(
    page: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[IdTag]:
    rows, total = await csms.id_tags.page(limit=page.limit, offset=page.offset)
    return serializers.page([serializers.id_tag(r) for r in rows], total)


@router.get("/{id_tag}", summary="One id tag (case-insensitive)")
async def get_id_tag(id_tag: str, csms: CentralSystem = Depends(get_csms)) -> IdTag:
    return serializers.id_tag(await csms.id_tags.get(id_tag))


@router.patch("/{id_tag}", summary="Change an id tag")
async def update_id_tag(
    id_tag: str, body: IdTagUpdate, csms: CentralSystem = Depends(get_csms)
) -> IdTag:
    changes = IdTagChanges(**given_fields(body))
    return serializers.id_tag(await csms.id_tags.update(id_tag, changes))


@router.delete("/{id_tag}", status_code=204, summary="Remove an id tag")
async def delete_id_tag(id_tag: str, csms: CentralSystem = Depends(get_csms)) -> Response:
    await csms.id_tags.delete(id_tag)
    return Response(status_code=204)
