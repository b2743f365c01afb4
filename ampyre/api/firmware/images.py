"""Hosted firmware images: upload, list, describe, delete."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api.dependencies import Page, get_csms
from ampyre.api.firmware.common import base_url
from ampyre.api.serializers import Items, page
from ampyre.api.serializers.firmware import FirmwareImage, firmware_image
from ampyre.api.uploads import open_upload, upload_errors
from ampyre.services.central_system import CentralSystem
from ampyre.services.errors import InvalidRequest

router = APIRouter(tags=["firmware management"])


class FirmwareChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=4096)


@router.post(
    "/firmware",
    status_code=201,
    summary="Upload a firmware image: a raw body with ?filename=, or multipart/form-data",
    responses={413: {"description": "Larger than --max-upload-size"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "description": {"type": "string"},
                        },
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def upload_firmware(
    request: Request,
    filename: str | None = Query(None, max_length=1024, description="Name of a raw upload"),
    description: str | None = Query(None, max_length=4096),
    csms: CentralSystem = Depends(get_csms),
) -> FirmwareImage:
    with upload_errors():
        body = await open_upload(request, csms.firmware.store.max_upload_size)
        name = filename or body.filename
        if not name:
            raise InvalidRequest("Name the file: ?filename=NAME, or send a multipart file part")
        image = await csms.firmware.add_image(name, body.chunks, description=description)
    if description is None and body.fields.get("description"):
        image = await csms.firmware.set_description(image.id, body.fields["description"])
    return firmware_image(image, base_url(request))


@router.get("/firmware", summary="List hosted firmware images")
async def list_firmware(
    request: Request, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[FirmwareImage]:
    rows, total = await csms.firmware.images(limit=paging.limit, offset=paging.offset)
    base = base_url(request)
    return page([firmware_image(row, base) for row in rows], total)


@router.get("/firmware/{firmware_id}", summary="A hosted firmware image")
async def get_firmware(
    request: Request, firmware_id: int, csms: CentralSystem = Depends(get_csms)
) -> FirmwareImage:
    return firmware_image(await csms.firmware.image(firmware_id), base_url(request))


@router.patch("/firmware/{firmware_id}", summary="Change a firmware image's description")
async def change_firmware(
    request: Request,
    firmware_id: int,
    body: FirmwareChange,
    csms: CentralSystem = Depends(get_csms),
) -> FirmwareImage:
    image = await csms.firmware.set_description(firmware_id, body.description)
    return firmware_image(image, base_url(request))


@router.delete(
    "/firmware/{firmware_id}",
    status_code=204,
    summary="Delete a firmware image (409 while unfinished updates use it, unless force)",
)
async def delete_firmware(
    firmware_id: int,
    force: bool = Query(False, description="Delete even while updates still use it"),
    csms: CentralSystem = Depends(get_csms),
) -> Response:
    await csms.firmware.delete_image(firmware_id, force=force)
    return Response(status_code=204)
