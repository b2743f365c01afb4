"""Firmware Management records as the REST API shows them: images, updates, rollouts,
diagnostics requests and files."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ampyre.services.clock import format_timestamp
from ampyre.services.firmware import FirmwareService
from ampyre.services.firmware_rollouts import RolloutProgress
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
        "signed": row.signed,
        "statusNotifications": _notifications(events),
    }


def diagnostics_request(
    row: DiagnosticsRequest, events: list[DiagnosticsStatusEvent], files: list[DiagnosticsFile]
) -> dict[str, Any]:
    return {
        "requestId": row.id,
        **_attempt(row),
        "transport": row.transport,
        "logType": row.log_type,
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
        "signed": rollout.signature is not None,
        "signingCertificate": rollout.signing_certificate,
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
