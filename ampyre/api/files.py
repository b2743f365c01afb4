"""`/files`: what charge points fetch and upload over HTTP, without operator credentials.

Firmware is served at /files/firmware/{token}/{filename}; diagnostics are received at
/files/diagnostics/{uploadToken}/{filename} (PUT or POST, raw or multipart), or POSTed as
a form to the upload location itself. The random tokens are the only credential: a
charge point's firmware download carries none, and most cannot send any with an upload.
Nothing here lists or reads back an upload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from ampyre.api.dependencies import get_csms
from ampyre.api.openapi import FILE_CONTENT
from ampyre.api.serializers.firmware import ReceivedFile, received_file
from ampyre.api.uploads import open_upload, upload_errors
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now
from ampyre.services.diagnostics_uploads import UploadSlotClosed

router = APIRouter(prefix="/files", tags=["file transfer (charge points)"])
E = TypeVar("E", bound=Callable[..., Awaitable[Any]])


@router.get(
    "/firmware/{token}/{filename}",
    summary="Download a hosted firmware image (the location UpdateFirmware names)",
    response_class=FileResponse,
    responses=FILE_CONTENT,
)
@router.head(
    "/firmware/{token}/{filename}",
    name="head_firmware",
    summary="A hosted firmware image's headers (size, type), without the bytes",
    response_class=FileResponse,
)
async def download_firmware(
    token: str, filename: str, csms: CentralSystem = Depends(get_csms)
) -> FileResponse:
    image = await csms.firmware.published(token, filename)
    path = csms.firmware.image_path(image)
    if not path.is_file():
        raise HTTPException(404, "Firmware file is gone from the data directory")
    return FileResponse(path, media_type="application/octet-stream", filename=image.filename)


#: What an upload to a closed or unknown location is answered.
_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    410: {"description": "The upload location is closed or unknown"}
}


def _upload_route(path: str, *, put_name: str, summary: str) -> Callable[[E], E]:
    """Route an upload by POST and by PUT (charge points use either): the PUT route named
    `put_name`, its summary `summary` with PUT."""

    def register(endpoint: E) -> E:
        router.put(
            path,
            name=put_name,
            status_code=201,
            summary=f"{summary}, with PUT",
            responses=_UPLOAD_RESPONSES,
        )(endpoint)
        return router.post(path, status_code=201, summary=summary, responses=_UPLOAD_RESPONSES)(
            endpoint
        )

    return register


@_upload_route(
    "/diagnostics/{token}/{filename}",
    put_name="put_diagnostics",
    summary="Upload a diagnostics file to the location GetDiagnostics named",
)
async def upload_diagnostics(
    request: Request, token: str, filename: str, csms: CentralSystem = Depends(get_csms)
) -> ReceivedFile:
    return await _receive(request, token, filename, csms)


@_upload_route(
    "/diagnostics/{token}/",
    put_name="put_diagnostics_form",
    summary="Upload a diagnostics file as a form, to the location itself",
)
async def upload_diagnostics_form(
    request: Request, token: str, csms: CentralSystem = Depends(get_csms)
) -> ReceivedFile:
    return await _receive(request, token, None, csms)


async def _receive(
    request: Request, token: str, filename: str | None, csms: CentralSystem
) -> ReceivedFile:
    try:
        slot = await csms.diagnostics.open_slot(token)
    except UploadSlotClosed as exc:
        raise HTTPException(410, exc.detail) from None
    with upload_errors():
        body = await open_upload(request, csms.diagnostics.store.max_upload_size)
        # The name in the URL (location + fileName), else the form's, else the one the
        # charge point announced in GetDiagnostics.conf.
        name = (
            filename
            or body.filename
            or slot.file_name
            or f"diagnostics-{slot.id}-{now():%Y%m%dT%H%M%SZ}"
        )
        received = await csms.diagnostics.receive_http_upload(slot, name, body.chunks)
    return received_file(received)
