"""Firmware Management for operators: firmware images, updates, rollouts and diagnostics.

Locations handed to charge points are absolute URLs on this server: built from
`--public-url` when set, else from the base URL the operator's request came in on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ampyre.api.dependencies import Page, call_timeout, get_csms
from ampyre.api.serializers import page
from ampyre.api.uploads import open_upload, upload_errors
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import format_timestamp, now
from ampyre.services.errors import InvalidRequest
from ampyre.services.firmware import FirmwareService
from ampyre.services.firmware_rollouts import DEFAULT_CONCURRENCY, RolloutProgress
from ampyre.services.transfer_attempts import mask_password
from ampyre.storage.models import (
    DiagnosticsFile,
    DiagnosticsRequest,
    DiagnosticsStatusEvent,
    FirmwareImage,
    FirmwareStatusEvent,
    FirmwareUpdate,
    TransferAttemptColumns,
)

router = APIRouter(tags=["firmware management"])


def _sent_responses(conflict: str) -> dict[int | str, dict[str, Any]]:
    """The error answers of an endpoint that sends a request and records the attempt."""
    return {
        409: {"description": conflict},
        502: {"description": "The charge point answered CALLERROR (recorded as Rejected)"},
        504: {"description": "No answer in time (recorded as Error)"},
    }


class _UpdateFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    firmwareId: int | None = Field(None, description="A hosted image (POST /firmware)")
    location: str | None = Field(
        None, min_length=1, max_length=2048, description="Or any URL the charge point can reach"
    )
    retrieveDate: datetime | None = Field(None, description="Default: now")
    retries: int | None = Field(None, ge=0)
    retryInterval: int | None = Field(None, ge=0, description="Seconds")

    @model_validator(mode="after")
    def _one_source(self) -> _UpdateFields:
        if (self.firmwareId is None) == (self.location is None):
            raise ValueError("give either firmwareId or location")
        return self


class FirmwareUpdateBody(_UpdateFields):
    pass


class RolloutBody(_UpdateFields):
    chargePointIds: list[str] = Field(min_length=1, max_length=10000)
    concurrency: int = Field(
        DEFAULT_CONCURRENCY, ge=1, le=200, description="UpdateFirmware calls in flight at once"
    )


class DiagnosticsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transport: Literal["http", "ftp", "external"] = Field(
        "http", description="Upload to this server over HTTP or FTP, or to `location`"
    )
    location: str | None = Field(None, min_length=1, max_length=2048)
    startTime: datetime | None = None
    stopTime: datetime | None = None
    retries: int | None = Field(None, ge=0)
    retryInterval: int | None = Field(None, ge=0)


class FirmwareChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=4096)


# -- firmware images ----------------------------------------------------------------------


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
) -> dict[str, Any]:
    with upload_errors():
        body = await open_upload(request, csms.firmware.store.max_upload_size)
        name = filename or body.filename
        if not name:
            raise InvalidRequest("Name the file: ?filename=NAME, or send a multipart file part")
        image = await csms.firmware.add_image(name, body.chunks, description=description)
    if description is None and body.fields.get("description"):
        image = await csms.firmware.set_description(image.id, body.fields["description"])
    return firmware_image(image, _base_url(request))


@router.get("/firmware", summary="List hosted firmware images")
async def list_firmware(
    request: Request, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    rows, total = await csms.firmware.images(limit=paging.limit, offset=paging.offset)
    base = _base_url(request)
    return page([firmware_image(row, base) for row in rows], total)


@router.get("/firmware/{firmware_id}", summary="A hosted firmware image")
async def get_firmware(
    request: Request, firmware_id: int, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    return firmware_image(await csms.firmware.image(firmware_id), _base_url(request))


@router.patch("/firmware/{firmware_id}", summary="Change a firmware image's description")
async def change_firmware(
    request: Request,
    firmware_id: int,
    body: FirmwareChange,
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    image = await csms.firmware.set_description(firmware_id, body.description)
    return firmware_image(image, _base_url(request))


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


# -- firmware updates ---------------------------------------------------------------------


@router.post(
    "/charge-points/{charge_point_id}/firmware-updates",
    status_code=201,
    summary="Send UpdateFirmware and record the attempt",
    responses=_sent_responses("Not connected (nothing is sent or recorded)"),
)
async def update_firmware(
    request: Request,
    charge_point_id: str,
    body: FirmwareUpdateBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    location, firmware_id = await _location(request, csms, body)
    attempt = await csms.firmware.update(
        charge_point_id,
        location=location,
        retrieve_date=_utc(body.retrieveDate) or now(),
        retries=body.retries,
        retry_interval=body.retryInterval,
        firmware_image_id=firmware_id,
        timeout=timeout,
    )
    events = await csms.firmware.attempts.events_for([attempt.id])
    return firmware_update(attempt, events[attempt.id])


@router.get(
    "/charge-points/{charge_point_id}/firmware-updates",
    summary="A charge point's firmware update attempts, newest first, with their progress",
)
async def list_firmware_updates(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.firmware.history(
        charge_point_id, limit=paging.limit, offset=paging.offset
    )
    events = await csms.firmware.attempts.events_for([row.id for row in rows])
    return page([firmware_update(row, events[row.id]) for row in rows], total)


@router.get(
    "/charge-points/{charge_point_id}/firmware-updates/{update_id}",
    summary="One firmware update attempt with its status notifications",
)
async def get_firmware_update(
    charge_point_id: str, update_id: int, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    attempt = await csms.firmware.attempts.get(charge_point_id, update_id)
    events = await csms.firmware.attempts.events_for([attempt.id])
    return firmware_update(attempt, events[attempt.id])


# -- rollouts -----------------------------------------------------------------------------


@router.post(
    "/firmware-rollouts",
    status_code=202,
    summary="Send a firmware image to many charge points, a bounded number at a time",
)
async def start_rollout(
    request: Request, body: RolloutBody, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    location, firmware_id = await _location(request, csms, body)
    rollout = await csms.firmware_rollouts.start(
        body.chargePointIds,
        location=location,
        firmware_image_id=firmware_id,
        retrieve_date=_utc(body.retrieveDate) or now(),
        retries=body.retries,
        retry_interval=body.retryInterval,
        concurrency=body.concurrency,
    )
    return rollout_progress(await csms.firmware_rollouts.progress(rollout.id))


@router.get("/firmware-rollouts", summary="Firmware rollouts, newest first")
async def list_rollouts(
    paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    rows, total = await csms.firmware_rollouts.page(limit=paging.limit, offset=paging.offset)
    return page([rollout_progress(row) for row in rows], total)


@router.get("/firmware-rollouts/{rollout_id}", summary="A rollout's per-charge-point progress")
async def get_rollout(rollout_id: int, csms: CentralSystem = Depends(get_csms)) -> dict[str, Any]:
    return rollout_progress(await csms.firmware_rollouts.progress(rollout_id))


@router.post(
    "/firmware-rollouts/{rollout_id}/cancel",
    summary="Send to no more charge points (those already sent to go on)",
)
async def cancel_rollout(
    rollout_id: int, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    return rollout_progress(await csms.firmware_rollouts.cancel(rollout_id))


# -- diagnostics --------------------------------------------------------------------------


@router.post(
    "/charge-points/{charge_point_id}/diagnostics-requests",
    status_code=201,
    summary="Open an upload location, send GetDiagnostics and record the answer",
    responses=_sent_responses("Not connected, or FTP asked for while the FTP server is off"),
)
async def request_diagnostics(
    request: Request,
    charge_point_id: str,
    body: DiagnosticsBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    row = await csms.diagnostics.request(
        charge_point_id,
        transport=body.transport,
        base_url=_base_url(request),
        location=body.location,
        start_time=_utc(body.startTime),
        stop_time=_utc(body.stopTime),
        retries=body.retries,
        retry_interval=body.retryInterval,
        timeout=timeout,
    )
    return (await _diagnostics_requests(csms, [row]))[0]


@router.get(
    "/charge-points/{charge_point_id}/diagnostics-requests",
    summary="A charge point's diagnostics requests, newest first, with the files received",
)
async def list_diagnostics_requests(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.diagnostics.history(
        charge_point_id, limit=paging.limit, offset=paging.offset
    )
    return page(await _diagnostics_requests(csms, rows), total)


@router.get(
    "/charge-points/{charge_point_id}/diagnostics-requests/{request_id}",
    summary="One diagnostics request with its status notifications and files",
)
async def get_diagnostics_request(
    charge_point_id: str, request_id: int, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    row = await csms.diagnostics.attempts.get(charge_point_id, request_id)
    return (await _diagnostics_requests(csms, [row]))[0]


@router.get(
    "/charge-points/{charge_point_id}/diagnostics",
    summary="Diagnostics files received from a charge point, newest first",
)
async def list_diagnostics_files(
    charge_point_id: str, paging: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    await csms.charge_points.get(charge_point_id)
    rows, total = await csms.diagnostics.files(
        charge_point_id, limit=paging.limit, offset=paging.offset
    )
    return page([diagnostics_file(row) for row in rows], total)


@router.get(
    "/charge-points/{charge_point_id}/diagnostics/{file_id}",
    summary="Download a diagnostics file",
    response_class=FileResponse,
)
async def download_diagnostics_file(
    charge_point_id: str, file_id: int, csms: CentralSystem = Depends(get_csms)
) -> FileResponse:
    row, path = await csms.diagnostics.file(charge_point_id, file_id)
    return FileResponse(path, media_type="application/octet-stream", filename=row.filename)


# -- helpers and serializers --------------------------------------------------------------


def _base_url(request: Request) -> str:
    configured: str | None = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def _location(
    request: Request, csms: CentralSystem, body: _UpdateFields
) -> tuple[str, int | None]:
    """The location to send, and the hosted image it is, if it is one."""
    if body.firmwareId is None:
        assert body.location is not None
        return body.location, await csms.firmware.image_id_of(body.location)
    image = await csms.firmware.image(body.firmwareId)
    return csms.firmware.image_url(image, _base_url(request)), image.id


async def _diagnostics_requests(
    csms: CentralSystem, rows: list[DiagnosticsRequest]
) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    events = await csms.diagnostics.attempts.events_for(ids)
    files = await csms.diagnostics.files_for(ids)
    return [diagnostics_request(row, events[row.id], files[row.id]) for row in rows]


def firmware_image(image: FirmwareImage, base_url: str) -> dict[str, Any]:
    return {
        "firmwareId": image.id,
        "filename": image.filename,
        "size": image.size,
        "sha256": image.sha256,
        "description": image.description,
        "uploadedAt": format_timestamp(image.uploaded_at),
        "url": FirmwareService.image_url(image, base_url),
    }


def _notifications(
    events: list[FirmwareStatusEvent] | list[DiagnosticsStatusEvent],
) -> list[dict[str, Any]]:
    return [
        {"status": event.status, "timestamp": format_timestamp(event.received_at)}
        for event in events
    ]


def _attempt(row: TransferAttemptColumns) -> dict[str, Any]:
    """What firmware updates and diagnostics requests have in common."""
    return {
        "chargePointId": row.charge_point_id,
        "location": row.location,
        "retries": row.retries,
        "retryInterval": row.retry_interval,
        "status": row.status,
        "error": row.error,
        "requestedAt": format_timestamp(row.requested_at),
        "sentAt": format_timestamp(row.sent_at),
        "updatedAt": format_timestamp(row.updated_at),
        "finishedAt": format_timestamp(row.finished_at),
    }


def firmware_update(row: FirmwareUpdate, events: list[FirmwareStatusEvent]) -> dict[str, Any]:
    return {
        "updateId": row.id,
        **_attempt(row),
        "firmwareId": row.firmware_image_id,
        "rolloutId": row.rollout_id,
        "retrieveDate": format_timestamp(row.retrieve_date),
        "statusNotifications": _notifications(events),
    }


def diagnostics_request(
    row: DiagnosticsRequest, events: list[DiagnosticsStatusEvent], files: list[DiagnosticsFile]
) -> dict[str, Any]:
    return {
        "requestId": row.id,
        **_attempt(row),
        "transport": row.transport,
        "startTime": format_timestamp(row.start_time),
        "stopTime": format_timestamp(row.stop_time),
        "fileName": row.file_name,
        "uploadExpiresAt": format_timestamp(row.upload_expires_at),
        "statusNotifications": _notifications(events),
        "files": [diagnostics_file(file) for file in files],
    }


def diagnostics_file(row: DiagnosticsFile) -> dict[str, Any]:
    return {
        "fileId": row.id,
        "requestId": row.diagnostics_request_id,
        "chargePointId": row.charge_point_id,
        "filename": row.filename,
        "size": row.size,
        "sha256": row.sha256,
        "transport": row.transport,
        "receivedAt": format_timestamp(row.received_at),
        "download": f"/api/v1/charge-points/{quote(row.charge_point_id, safe='')}"
        f"/diagnostics/{row.id}",
    }


def rollout_progress(progress: RolloutProgress) -> dict[str, Any]:
    rollout = progress.rollout
    return {
        "rolloutId": rollout.id,
        "firmwareId": rollout.firmware_image_id,
        "location": mask_password(rollout.location),
        "retrieveDate": format_timestamp(rollout.retrieve_date),
        "retries": rollout.retries,
        "retryInterval": rollout.retry_interval,
        "concurrency": rollout.concurrency,
        "createdAt": format_timestamp(rollout.created_at),
        "cancelledAt": format_timestamp(rollout.cancelled_at),
        "state": progress.state,
        "counts": progress.counts,
        "chargePoints": [
            {
                "chargePointId": update.charge_point_id,
                "updateId": update.id,
                "status": update.status,
                "error": update.error,
                "updatedAt": format_timestamp(update.updated_at),
                "finishedAt": format_timestamp(update.finished_at),
            }
            for update in progress.updates
        ],
    }
