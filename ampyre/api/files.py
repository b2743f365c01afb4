"""`/files`: what charge points fetch and upload over HTTP, without operator credentials.

Firmware is served at /files/firmware/{token}/{filename}; diagnostics are received at
/files/diagnostics/{uploadToken}/{filename} (PUT or POST, raw or multipart), or POSTed as
a form to the upload location itself. The random tokens are the only credential: a
charge point's firmware download carries none, and most cannot send any with an upload.
Nothing here lists or reads back an upload.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse

from ampyre.api.dependencies import get_csms
from ampyre.api.uploads import open_upload, upload_errors
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now
from ampyre.services.diagnostics import UploadSlotClosed

router = APIRouter(prefix="/files", tags=["file transfer (charge points)"])


@router.api_route(
    "/firmware/{token}/{filename}",
    methods=["GET", "HEAD"],
    summary="Download a hosted firmware image (the location UpdateFirmware names)",
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


@router.api_route(
    "/diagnostics/{token}/{filename}",
    methods=["PUT", "POST"],
    status_code=201,
    summary="Upload a diagnostics file to the location GetDiagnostics named",
)
async def upload_diagnostics(
    request: Request, token: str, filename: str, csms: CentralSystem = Depends(get_csms)
) -> JSONResponse:
    return await _receive(request, token, filename, csms)


@router.api_route(
    "/diagnostics/{token}/",
    methods=["PUT", "POST"],
    status_code=201,
    summary="Upload a diagnostics file as a form, to the location itself",
)
async def upload_diagnostics_form(
    request: Request, token: str, csms: CentralSystem = Depends(get_csms)
) -> JSONResponse:
    return await _receive(request, token, None, csms)


async def _receive(
    request: Request, token: str, filename: str | None, csms: CentralSystem
) -> JSONResponse:
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
    result: dict[str, Any] = {
        "fileId": received.id,
        "filename": received.filename,
        "size": received.size,
        "sha256": received.sha256,
    }
    return JSONResponse(result, status_code=201)
