"""GetLog (security whitepaper N01): a charge point's diagnostics or security log.

A log request is a diagnostics request with a logType: it opens the same upload slots
(HTTP or FTP on this server, or the operator's own location), its file is received,
listed and downloaded with the diagnostics files, and its LogStatusNotifications move it
along as DiagnosticsStatusNotifications move a GetDiagnostics. Its requestId is the
request's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ampyre.services.clock import format_timestamp, now
from ampyre.services.commands import CommandService
from ampyre.services.diagnostics import DiagnosticsService
from ampyre.services.errors import InvalidRequest, NotFound
from ampyre.services.transfer_attempts import AttemptKind, AttemptTracker, mask_password
from ampyre.storage.database import Database
from ampyre.storage.models import DiagnosticsRequest, DiagnosticsStatusEvent

LOG_TYPES = ("DiagnosticsLog", "SecurityLog")

LOG_REQUEST = AttemptKind(
    action="GetLog",
    noun="Log request",
    terminal=frozenset(
        {
            "Uploaded",
            "UploadFailure",
            "BadMessage",
            "NotSupportedOperation",
            "PermissionDenied",
            "Rejected",
            "Error",
            "Superseded",
        }
    ),
    reopenable=frozenset({"UploadFailure", "Error"}),
)
#: GetLog.conf statuses after which the charge point uploads.
LOG_TAKEN = ("Accepted", "AcceptedCanceled")


class LogRequestService:
    def __init__(
        self, db: Database, diagnostics: DiagnosticsService, commands: CommandService
    ) -> None:
        self.diagnostics = diagnostics
        self.attempts = AttemptTracker(
            db,
            commands,
            LOG_REQUEST,
            DiagnosticsRequest,
            DiagnosticsStatusEvent,
            "diagnostics_request_id",
            scope=DiagnosticsRequest.log_type.is_not(None),
        )
        commands.register_effect("GetLog", self.on_get_log_answered)

    async def request(
        self,
        charge_point_id: str,
        *,
        log_type: str,
        transport: str,
        base_url: str,
        location: str | None = None,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        retries: int | None = None,
        retry_interval: int | None = None,
        timeout: float,
    ) -> DiagnosticsRequest:
        """Open an upload slot (unless `external`), send GetLog, record the request."""
        if log_type not in LOG_TYPES:
            raise InvalidRequest(f"logType must be one of {', '.join(LOG_TYPES)}")
        if oldest and latest and latest < oldest:
            raise InvalidRequest("latestTimestamp is before oldestTimestamp")

        def payload(request_id: int, location: str) -> dict[str, Any]:
            log = {"remoteLocation": location}
            if oldest is not None:
                log["oldestTimestamp"] = format_timestamp(oldest)
            if latest is not None:
                log["latestTimestamp"] = format_timestamp(latest)
            body: dict[str, Any] = {"logType": log_type, "requestId": request_id, "log": log}
            if retries is not None:
                body["retries"] = retries
            if retry_interval is not None:
                body["retryInterval"] = retry_interval
            return body

        return await self.diagnostics.upload_request(
            self.attempts,
            charge_point_id,
            payload,
            transport=transport,
            base_url=base_url,
            location=location,
            retries=retries,
            retry_interval=retry_interval,
            timeout=timeout,
            log_type=log_type,
            start_time=oldest,
            stop_time=latest,
        )

    async def on_get_log_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        """Accepted: the named file is to come; Rejected ends the request."""
        status = "Sent" if response.get("status") in LOG_TAKEN else "Rejected"
        file_name = response.get("filename")
        attempt_id = self.attempts.sending_now()
        if attempt_id is not None:
            await self.attempts.answered(attempt_id, status, file_name=file_name)
            return
        # Sent through the generic commands endpoint: recorded now, from the request.
        log = request["log"]
        attempt = await self.attempts.create(
            charge_point_id,
            "Sending",
            transport="external",
            log_type=request["logType"],
            location=mask_password(log["remoteLocation"]),
            retries=request.get("retries"),
            retry_interval=request.get("retryInterval"),
            sent_at=now(),
        )
        await self.attempts.answered(attempt.id, status, file_name=file_name)
        await self.attempts.adopt_recent_notifications(attempt.id)

    async def record_status(self, charge_point_id: str, status: str) -> None:
        request_id = await self.attempts.record_notification(charge_point_id, status)
        if request_id is not None:
            request = await self.attempts.get(charge_point_id, request_id)
            self.diagnostics.close_slot_when_done(request)

    async def get(self, charge_point_id: str, request_id: int) -> DiagnosticsRequest:
        """A log request of the charge point (a diagnostics request is not one)."""
        request: DiagnosticsRequest = await self.attempts.get(charge_point_id, request_id)
        if request.log_type is None:
            raise NotFound(f"Log request {request_id} of {charge_point_id!r} not found")
        return request

    async def history(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[DiagnosticsRequest], int]:
        return await self.attempts.page(charge_point_id, limit=limit, offset=offset)
