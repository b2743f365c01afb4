"""Firmware Management records as the REST API shows them: images, updates, rollouts,
diagnostics requests and files."""

from __future__ import annotations

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
    return FirmwareImage.from_record(
        image, firmware_id=image.id, url=FirmwareService.image_url(image, base_url)
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
    """What firmware updates and diagnostics requests have in common (the columns of
    `db.TransferAttemptColumns`, read by `from_record`)."""

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


class FirmwareUpdate(TransferAttempt):
    update_id: int
    firmware_id: int | None
    rollout_id: int | None
    retrieve_date: Timestamp | None
    #: Sent as SignedUpdateFirmware (security whitepaper L01).
    signed: bool
    status_notifications: list[StatusNotification]


def firmware_update(row: db.FirmwareUpdate, events: list[db.FirmwareStatusEvent]) -> FirmwareUpdate:
    return FirmwareUpdate.from_record(
        row,
        update_id=row.id,
        firmware_id=row.firmware_image_id,
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
    return DiagnosticsFile.from_record(
        row,
        file_id=row.id,
        request_id=row.diagnostics_request_id,
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
    return ReceivedFile.from_record(row, file_id=row.id)


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
    return DiagnosticsRequest.from_record(
        row,
        request_id=row.id,
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
    return RolloutProgress.from_record(
        rollout,
        rollout_id=rollout.id,
        firmware_id=rollout.firmware_image_id,
        location=mask_password(rollout.location),
        signed=rollout.signature is not None,
        state=progress.state,
        counts=progress.counts,
        charge_points=[
            RolloutChargePoint.from_record(update, update_id=update.id)
            for update in progress.updates
        ],
    )
