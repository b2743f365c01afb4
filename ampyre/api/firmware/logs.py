"""Log requests (security whitepaper N01): GetLog requested and followed. The files
received are listed and downloaded with the diagnostics files
(`/charge-points/{id}/diagnostics`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from ampyre.api.dependencies import Page, call_timeout, get_csms
from ampyre.api.firmware.common import UploadFields, attempt_responses
from ampyre.api.firmware.diagnostics import with_files_and_events
from ampyre.api.serializers import Items, page
from ampyre.api.serializers.firmware import DiagnosticsRequest
from ampyre.api.types import UTCTimestamp
from ampyre.services.central_system import CentralSystem

router = APIRouter(tags=["firmware management"])


class LogRequestBody(UploadFields):
    logType: Literal["DiagnosticsLog", "SecurityLog"] = "DiagnosticsLog"
    #: GetLog's remoteLocation is a string[512].
    location: str | None = Field(None, min_length=1, max_length=512)
    oldestTimestamp: UTCTimestamp | None = None
    latestTimestamp: UTCTimestamp | None = None


@router.post(
    "/charge-points/{charge_point_id}/log-requests",
    status_code=201,
    summary="Open an upload location, send GetLog and record the answer",
    responses=attempt_responses("Not connected, or FTP asked for while the FTP server is off"),
)
async def request_log(
    request: Request,
    charge_point_id: str,
    body: LogRequestBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> DiagnosticsRequest:
    row = await csms.logs.request(
        charge_point_id,
        body.target(request),
        log_type=body.logType,
        oldest=body.oldestTimestamp,
        latest=body.latestTimestamp,
        timeout=timeout,
    )
    return (await with_files_and_events(csms, [row]))[0]


@router.get(
    "/charge-points/{charge_point_id}/log-requests",
    summary="A charge point's log requests, newest first, with the files received",
)
async def list_log_requests(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[DiagnosticsRequest]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.logs.history(charge_point_id, limit=paging.limit, offset=paging.offset)
    return page(await with_files_and_events(csms, rows), total)


@router.get(
    "/charge-points/{charge_point_id}/log-requests/{request_id}",
    summary="One log request with its status notifications and files",
)
async def get_log_request(
    charge_point_id: str, request_id: int, csms: CentralSystem = Depends(get_csms)
) -> DiagnosticsRequest:
    row = await csms.logs.get(charge_point_id, request_id)
    return (await with_files_and_events(csms, [row]))[0]
