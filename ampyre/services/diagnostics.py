"""Diagnostics (OCPP 1.6, 5.9 and 4.4): GetDiagnostics requests and their progress; the
upload slots they open and the files received are `diagnostics_uploads`'s, the base of
the service.

GetLog (`log_requests.py`) sends its requests through here too: they are rows of the same
table (with a logType), their files land and are listed the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from ampyre.ocpp.v16.csms_messages.firmware import GetDiagnosticsConf, GetDiagnosticsReq
from ampyre.ocpp.v16.csms_messages.security import GetLogReq
from ampyre.services.clock import format_timestamp, now, parse_timestamp
from ampyre.services.commands import CommandService
from ampyre.services.diagnostics_uploads import DiagnosticsUploads, UploadTarget
from ampyre.services.errors import InvalidRequest
from ampyre.services.file_store import FileStore
from ampyre.services.transfer_attempts import AttemptKind, AttemptTracker, mask_password
from ampyre.storage.database import Database
from ampyre.storage.models import DiagnosticsRequest, DiagnosticsStatusEvent

log = logging.getLogger("ampyre.diagnostics")

#: How long an upload slot takes files, plus the request's own retries x retryInterval.
UPLOAD_WINDOW = timedelta(hours=24)

DIAGNOSTICS_REQUEST = AttemptKind(
    action="GetDiagnostics",
    noun="Diagnostics request",
    terminal=frozenset({"Uploaded", "UploadFailed", "NoFile", "Rejected", "Error", "Superseded"}),
    reopenable=frozenset({"UploadFailed", "Error"}),
)


#: The requests that make a charge point upload a file to a slot.
UploadRequest = GetDiagnosticsReq | GetLogReq


class DiagnosticsService(DiagnosticsUploads):
    """Sends diagnostics requests (and log requests' for `LogRequestService`) and follows
    them; the slots and files come with the base (`DiagnosticsUploads`), so that one
    service is the front ends' way to diagnostics."""

    def __init__(self, db: Database, store: FileStore, commands: CommandService) -> None:
        super().__init__(db, store)
        self.attempts = request_tracker(
            db, commands, DIAGNOSTICS_REQUEST, DiagnosticsRequest.log_type.is_(None)
        )
        commands.register_effect("GetDiagnostics", self.on_get_diagnostics_answered)

    async def request(
        self,
        charge_point_id: str,
        upload: UploadTarget,
        *,
        start_time: datetime | None = None,
        stop_time: datetime | None = None,
        timeout: float,
    ) -> DiagnosticsRequest:
        """Open an upload slot (unless `external`), send GetDiagnostics, record the request."""
        if start_time and stop_time and stop_time < start_time:
            raise InvalidRequest("stopTime is before startTime")

        def message(request_id: int, location: str) -> GetDiagnosticsReq:
            return GetDiagnosticsReq(
                location=location,
                retries=upload.retries,
                retry_interval=upload.retry_interval,
                start_time=format_timestamp(start_time),
                stop_time=format_timestamp(stop_time),
            )

        return await self.upload_request(
            self.attempts,
            charge_point_id,
            message,
            upload,
            timeout=timeout,
            start_time=start_time,
            stop_time=stop_time,
        )

    async def upload_request(
        self,
        tracker: AttemptTracker,
        charge_point_id: str,
        message: Callable[[int, str], UploadRequest],
        upload: UploadTarget,
        *,
        timeout: float,
        **columns: Any,
    ) -> DiagnosticsRequest:
        """Open the slot a charge point uploads to, send `tracker`'s request (the `message`
        of the request's id and the location) and record it; GetDiagnostics and GetLog
        alike."""
        await tracker.commands.charge_points.get(charge_point_id)
        location, slot = self.new_slot(upload.transport, upload.base_url, upload.location)
        retries, retry_interval = upload.retries, upload.retry_interval
        window = UPLOAD_WINDOW + timedelta(seconds=(retries or 0) * (retry_interval or 0))
        request = await tracker.open(
            charge_point_id,
            message(0, location),
            transport=upload.transport,
            location=mask_password(location),
            retries=retries,
            retry_interval=retry_interval,
            upload_expires_at=now() + window if slot else None,
            **slot,
            **columns,
        )
        if slot:
            self.store.diagnostics_dir(request.id).mkdir(parents=True, exist_ok=True)
        if self.ftp is not None and request.ftp_username:
            self.ftp.grant(self._ftp_account(request))
        try:
            await tracker.send(request.id, charge_point_id, message(request.id, location), timeout)
        finally:
            request = await tracker.get(charge_point_id, request.id)
            self.close_slot_when_done(request)
        return request

    async def on_get_diagnostics_answered(
        self, charge_point_id: str, request: GetDiagnosticsReq, response: GetDiagnosticsConf
    ) -> None:
        """GetDiagnostics.conf names the file to come; without a name there is none (5.9)."""

        async def recorded() -> dict[str, Any]:
            return {
                "transport": "external",
                "location": mask_password(request.location),
                "start_time": _timestamp(request.start_time),
                "stop_time": _timestamp(request.stop_time),
                "retries": request.retries,
                "retry_interval": request.retry_interval,
            }

        file_name = response.file_name
        status = "Sent" if file_name else "NoFile"
        await self.attempts.complete(charge_point_id, status, recorded, file_name=file_name)

    async def record_status(self, charge_point_id: str, status: str) -> None:
        request_id = await self.attempts.record_notification(charge_point_id, status)
        if request_id is not None:
            self.close_slot_when_done(await self.attempts.get(charge_point_id, request_id))

    # -- reading ------------------------------------------------------------------------

    async def history(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[DiagnosticsRequest], int]:
        return await self.attempts.page(charge_point_id, limit=limit, offset=offset)


def request_tracker(
    db: Database, commands: CommandService, kind: AttemptKind, scope: ColumnElement[bool]
) -> AttemptTracker:
    """The attempts of one `kind` of request on the diagnostics requests table: GetDiagnostics
    or GetLog, kept apart by `scope`."""
    return AttemptTracker(
        db,
        commands,
        kind,
        DiagnosticsRequest,
        DiagnosticsStatusEvent,
        "diagnostics_request_id",
        scope=scope,
    )


def _timestamp(value: str | None) -> datetime | None:
    return parse_timestamp(value) if value else None
