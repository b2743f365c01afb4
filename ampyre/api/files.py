"""`/files`: what charge points fetch and upload over HTTP, without operator credentials.

Firmware is served at /files/firmware/{token}/{filename}; diagnostics are received at
/files/diagnostics/{uploadToken}/{filename} (PUT or POST, raw or multipart), or POSTed as
a form to the upload location itself. The random tokens are the only credential: a
charge point's firmware download carries none, and most cannot send any with an upload.
Nothing here lists or reads back an upload.
"""

from __future__ import annotations

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


@router.post(
    "/diagnostics/{token}/{filename}",
    status_code=201,
    summary="Upload a diagnostics file to the location GetDiagnostics named",
    responses={410: {"description": "The upload location is closed or unknown"}},
)
@router.put(
    "/diagnostics/{token}/{filename}",
    name="put_diagnostics",
    status_code=201,
    summary="Upload a diagnostics file to the location GetDiagnostics named, with PUT",
    responses={410: {"description": "The upload location is closed or unknown"}},
)
async def upload_diagnostics(
    request: Request, token: str, filename: str, csms: CentralSystem = Depends(get_csms)
) -> ReceivedFile:
    return await _receive(request, token, filename, csms)


@router.post(
    "/diagnostics/{token}/",
    status_code=201,
    summary="Upload a diagnostics file as a form, to the location itself",
    responses={410: {"description": "The upload location is closed or unknown"}},
)
@router.put(
    "/diagnostics/{token}/",
    name="put_diagnostics_form",
    status_code=201,
    summary="Upload a diagnostics file as a form, to the location itself, with PUT",
    responses={410: {"description": "The upload location is closed or unknown"}},
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
