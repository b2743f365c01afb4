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

from ocpp.v16.enums import Log, LogStatus

from ampyre.ocpp.v16.csms_messages.security import GetLogConf, GetLogReq, LogParameters
from ampyre.services.clock import format_timestamp
from ampyre.services.commands import CommandService
from ampyre.services.diagnostics import DiagnosticsService, request_tracker
from ampyre.services.diagnostics_uploads import UploadTarget
from ampyre.services.errors import InvalidRequest, NotFound
from ampyre.services.transfer_attempts import AttemptKind, mask_password
from ampyre.storage.database import Database
from ampyre.storage.models import DiagnosticsRequest

LOG_TYPES: tuple[str, ...] = tuple(log_type.value for log_type in Log)

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
LOG_TAKEN = frozenset({LogStatus.accepted, LogStatus.accepted_canceled})


class LogRequestService:
    def __init__(
        self, db: Database, diagnostics: DiagnosticsService, commands: CommandService
    ) -> None:
        self.diagnostics = diagnostics
        self.attempts = request_tracker(
            db, commands, LOG_REQUEST, DiagnosticsRequest.log_type.is_not(None)
        )
        commands.register_effect("GetLog", self.on_get_log_answered)

    async def request(
        self,
        charge_point_id: str,
        upload: UploadTarget,
        *,
        log_type: str,
        oldest: datetime | None = None,
        latest: datetime | None = None,
        timeout: float,
    ) -> DiagnosticsRequest:
        """Open an upload slot (unless `external`), send GetLog, record the request."""
        if log_type not in LOG_TYPES:
            raise InvalidRequest(f"logType must be one of {', '.join(LOG_TYPES)}")
        if oldest and latest and latest < oldest:
            raise InvalidRequest("latestTimestamp is before oldestTimestamp")

        def message(request_id: int, location: str) -> GetLogReq:
            return GetLogReq(
                log_type=Log(log_type),
                request_id=request_id,
                log=LogParameters(
                    remote_location=location,
                    oldest_timestamp=format_timestamp(oldest),
                    latest_timestamp=format_timestamp(latest),
                ),
                retries=upload.retries,
                retry_interval=upload.retry_interval,
            )

        return await self.diagnostics.upload_request(
            self.attempts,
            charge_point_id,
            message,
            upload,
            timeout=timeout,
            log_type=log_type,
            start_time=oldest,
            stop_time=latest,
        )

    async def on_get_log_answered(
        self, charge_point_id: str, request: GetLogReq, response: GetLogConf
    ) -> None:
        """Accepted: the named file is to come; Rejected ends the request."""

        async def recorded() -> dict[str, Any]:
            return {
                "transport": "external",
                "log_type": request.log_type.value,
                "location": mask_password(request.log.remote_location),
                "retries": request.retries,
                "retry_interval": request.retry_interval,
            }

        status = "Sent" if response.status in LOG_TAKEN else "Rejected"
        await self.attempts.complete(charge_point_id, status, recorded, file_name=response.filename)

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
