"""Diagnostics: GetDiagnostics requested and followed, the files received."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from ampyre.api.dependencies import Page, call_timeout, get_csms
from ampyre.api.firmware.common import UploadFields, attempt_responses
from ampyre.api.openapi import FILE_CONTENT
from ampyre.api.serializers import Items, page
from ampyre.api.serializers.firmware import (
    DiagnosticsFile,
    DiagnosticsRequest,
    diagnostics_file,
    diagnostics_request,
)
from ampyre.api.types import UTCTimestamp
from ampyre.services.central_system import CentralSystem
from ampyre.storage import models as db

router = APIRouter(tags=["firmware management"])


class DiagnosticsBody(UploadFields):
    startTime: UTCTimestamp | None = None
    stopTime: UTCTimestamp | None = None


@router.post(
    "/charge-points/{charge_point_id}/diagnostics-requests",
    status_code=201,
    summary="Open an upload location, send GetDiagnostics and record the answer",
    responses=attempt_responses("Not connected, or FTP asked for while the FTP server is off"),
)
async def request_diagnostics(
    request: Request,
    charge_point_id: str,
    body: DiagnosticsBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> DiagnosticsRequest:
    row = await csms.diagnostics.request(
        charge_point_id,
        body.target(request),
        start_time=body.startTime,
        stop_time=body.stopTime,
        timeout=timeout,
    )
    return (await with_files_and_events(csms, [row]))[0]


@router.get(
    "/charge-points/{charge_point_id}/diagnostics-requests",
    summary="A charge point's diagnostics requests, newest first, with the files received",
)
async def list_diagnostics_requests(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[DiagnosticsRequest]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.diagnostics.history(
        charge_point_id, limit=paging.limit, offset=paging.offset
    )
    return page(await with_files_and_events(csms, rows), total)


@router.get(
    "/charge-points/{charge_point_id}/diagnostics-requests/{request_id}",
    summary="One diagnostics request with its status notifications and files",
)
async def get_diagnostics_request(
    charge_point_id: str, request_id: int, csms: CentralSystem = Depends(get_csms)
) -> DiagnosticsRequest:
    row = await csms.diagnostics.attempts.get(charge_point_id, request_id)
    return (await with_files_and_events(csms, [row]))[0]


@router.get(
    "/charge-points/{charge_point_id}/diagnostics",
    summary="Diagnostics files received from a charge point, newest first",
)
async def list_diagnostics_files(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[DiagnosticsFile]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.diagnostics.files(
        charge_point_id, limit=paging.limit, offset=paging.offset
    )
    return page([diagnostics_file(row) for row in rows], total)


@router.get(
    "/charge-points/{charge_point_id}/diagnostics/{file_id}",
    summary="Download a diagnostics file",
    response_class=FileResponse,
    responses=FILE_CONTENT,
)
async def download_diagnostics_file(
    charge_point_id: str, file_id: int, csms: CentralSystem = Depends(get_csms)
) -> FileResponse:
    row, path = await csms.diagnostics.file(charge_point_id, file_id)
    return FileResponse(path, media_type="application/octet-stream", filename=row.filename)


async def with_files_and_events(
    csms: CentralSystem, rows: list[db.DiagnosticsRequest]
) -> list[DiagnosticsRequest]:
    """Diagnostics or log requests as answers, each with its notifications and files."""
    ids = [row.id for row in rows]
    events = await csms.diagnostics.attempts.events_for(ids)
    files = await csms.diagnostics.files_for(ids)
    return [diagnostics_request(row, events[row.id], files[row.id]) for row in rows]
