"""Firmware Management records as the REST API shows them: images, updates, rollouts,
diagnostics requests and files."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ampyre.api.serializers.base import ApiModel, Timestamp
from ampyre.services.clock import format_timestamp
from ampyre.services.firmware import FirmwareService
from ampyre.services.firmware_rollouts import RolloutProgress as Progress
from ampyre.services.transfer_attempts import mask_password
from ampyre.storage import models as db


class FirmwareImage(ApiModel):
    firmware_id: int
    filename: str
    size: int
    sha256: str
    description: str | None
    uploaded_at: Timestamp | None
    url: str


def firmware_image(image: db.FirmwareImage, base_url: str) -> FirmwareImage:
    return FirmwareImage(
        firmware_id=image.id,
        filename=image.filename,
        size=image.size,
        sha256=image.sha256,
        description=image.description,
        uploaded_at=format_timestamp(image.uploaded_at),
        url=FirmwareService.image_url(image, base_url),
    )


class StatusNotification(ApiModel):
    status: str
    timestamp: Timestamp | None


def _notifications(
    events: list[db.FirmwareStatusEvent] | list[db.DiagnosticsStatusEvent],
) -> list[StatusNotification]:
    return [
        StatusNotification(status=event.status, timestamp=format_timestamp(event.received_at))
        for event in events
    ]


class TransferAttempt(ApiModel):
    """What firmware updates and diagnostics requests have in common."""

    charge_point_id: str
    location: str
    retries: int | None
    retry_interval: int | None
    status: str
    error: str | None
    requested_at: Timestamp | None
    sent_at: Timestamp | None
    updated_at: Timestamp | None
    finished_at: Timestamp | None


def _attempt(row: db.TransferAttemptColumns) -> dict[str, Any]:
    return {
        "charge_point_id": row.charge_point_id,
        "location": row.location,
        "retries": row.retries,
        "retry_interval": row.retry_interval,
        "status": row.status,
        "error": row.error,
        "requested_at": format_timestamp(row.requested_at),
        "sent_at": format_timestamp(row.sent_at),
        "updated_at": format_timestamp(row.updated_at),
        "finished_at": format_timestamp(row.finished_at),
    }


class FirmwareUpdate(TransferAttempt):
    update_id: int
    firmware_id: int | None
    rollout_id: int | None
    retrieve_date: Timestamp | None
    #: Sent as SignedUpdateFirmware (security whitepaper L01).
    signed: bool
    status_notifications: list[StatusNotification]


def firmware_update(row: db.FirmwareUpdate, events: list[db.FirmwareStatusEvent]) -> FirmwareUpdate:
    return FirmwareUpdate(
        update_id=row.id,
        **_attempt(row),
        firmware_id=row.firmware_image_id,
        rollout_id=row.rollout_id,
        retrieve_date=format_timestamp(row.retrieve_date),
        signed=row.signed,
        status_notifications=_notifications(events),
    )


class DiagnosticsFile(ApiModel):
    file_id: int
    request_id: int
    charge_point_id: str
    filename: str
    size: int
    sha256: str
    transport: str
    received_at: Timestamp | None
    download: str


def diagnostics_file(row: db.DiagnosticsFile) -> DiagnosticsFile:
    return DiagnosticsFile(
        file_id=row.id,
        request_id=row.diagnostics_request_id,
        charge_point_id=row.charge_point_id,
        filename=row.filename,
        size=row.size,
        sha256=row.sha256,
        transport=row.transport,
        received_at=format_timestamp(row.received_at),
        download=f"/api/v1/charge-points/{quote(row.charge_point_id, safe='')}"
        f"/diagnostics/{row.id}",
    )


class ReceivedFile(ApiModel):
    """What a charge point's upload answers: the file as stored."""

    file_id: int
    filename: str
    size: int
    sha256: str


def received_file(row: db.DiagnosticsFile) -> ReceivedFile:
    return ReceivedFile(file_id=row.id, filename=row.filename, size=row.size, sha256=row.sha256)


class DiagnosticsRequest(TransferAttempt):
    request_id: int
    transport: str
    #: GetLog's logType (DiagnosticsLog, SecurityLog); None for GetDiagnostics.
    log_type: str | None
    start_time: Timestamp | None
    stop_time: Timestamp | None
    file_name: str | None
    upload_expires_at: Timestamp | None
    status_notifications: list[StatusNotification]
    files: list[DiagnosticsFile]


def diagnostics_request(
    row: db.DiagnosticsRequest,
    events: list[db.DiagnosticsStatusEvent],
    files: list[db.DiagnosticsFile],
) -> DiagnosticsRequest:
    return DiagnosticsRequest(
        request_id=row.id,
        **_attempt(row),
        transport=row.transport,
        log_type=row.log_type,
        start_time=format_timestamp(row.start_time),
        stop_time=format_timestamp(row.stop_time),
        file_name=row.file_name,
        upload_expires_at=format_timestamp(row.upload_expires_at),
        status_notifications=_notifications(events),
        files=[diagnostics_file(file) for file in files],
    )


class RolloutChargePoint(ApiModel):
    charge_point_id: str
    update_id: int
    status: str
    error: str | None
    updated_at: Timestamp | None
    finished_at: Timestamp | None


class RolloutProgress(ApiModel):
    rollout_id: int
    firmware_id: int | None
    location: str
    retrieve_date: Timestamp | None
    retries: int | None
    retry_interval: int | None
    concurrency: int
    signed: bool
    signing_certificate: str | None
    created_at: Timestamp | None
    cancelled_at: Timestamp | None
    state: str
    counts: dict[str, int]
    charge_points: list[RolloutChargePoint]


def rollout_progress(progress: Progress) -> RolloutProgress:
    rollout = progress.rollout
    return RolloutProgress(
        rollout_id=rollout.id,
        firmware_id=rollout.firmware_image_id,
        location=mask_password(rollout.location),
        retrieve_date=format_timestamp(rollout.retrieve_date),
        retries=rollout.retries,
        retry_interval=rollout.retry_interval,
        concurrency=rollout.concurrency,
        signed=rollout.signature is not None,
        signing_certificate=rollout.signing_certificate,
        created_at=format_timestamp(rollout.created_at),
        cancelled_at=format_timestamp(rollout.cancelled_at),
        state=progress.state,
        counts=progress.counts,
        charge_points=[
            RolloutChargePoint(
                charge_point_id=update.charge_point_id,
                update_id=update.id,
                status=update.status,
                error=update.error,
                updated_at=format_timestamp(update.updated_at),
                finished_at=format_timestamp(update.finished_at),
            )
            for update in progress.updates
        ],
    )
