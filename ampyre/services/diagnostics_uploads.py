"""Diagnostics upload slots (OCPP 1.6, 5.9; security whitepaper N01) and the files
received into them.

A diagnostics or log request sent through the operator endpoint opens an upload slot on
this server, so that no other server is needed: over HTTP a per-request URL whose random
token is the credential, over FTP a one-time user whose home directory is the request's
own. Either way the files land in the request's directory of the file store and are
linked to it. A slot takes files until the request is over (Uploaded, NoFile, Rejected) or
its upload window has passed; one request's token or FTP user reaches no other request's
files.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select

from ampyre.services.clock import now
from ampyre.services.errors import Conflict, DomainError, InvalidRequest, NotFound
from ampyre.services.file_store import FileStore, StoredFile, safe_filename
from ampyre.services.lookup import get_or_not_found
from ampyre.storage.database import Database
from ampyre.storage.models import DiagnosticsFile, DiagnosticsRequest
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.diagnostics")

PUBLIC_PREFIX = "/files/diagnostics/"
TRANSPORTS = ("http", "ftp", "external")
#: Request statuses after which its slot takes no more files.
SLOT_CLOSED = frozenset({"Uploaded", "NoFile", "Rejected"})


class UploadSlotClosed(Conflict):
    """The upload location exists but takes no more files (HTTP 410)."""


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where a charge point uploads a file it is asked for (GetDiagnostics, GetLog) and how
    often it tries: `transport` http or ftp opens a slot on this server (at `base_url`),
    external sends `location` as given."""

    transport: str
    base_url: str
    location: str | None = None
    retries: int | None = None
    retry_interval: int | None = None


@dataclass(frozen=True, slots=True)
class FtpAccount:
    """A one-time FTP user for one diagnostics request."""

    username: str
    password_hash: str
    home: Path
    request_id: int
    expires_at: datetime


class FtpUploads(Protocol):
    """What the domain needs from the embedded FTP server."""

    port: int

    def grant(self, account: FtpAccount) -> None: ...

    def revoke(self, username: str) -> None: ...


def hash_ftp_password(password: str) -> str:
    """One SHA-256 round: the password is a random 144-bit secret, not a human's choice."""
    return hashlib.sha256(password.encode()).hexdigest()


class DiagnosticsUploads:
    """Opens upload slots and receives, lists and hands out the files uploaded to them."""

    def __init__(self, db: Database, store: FileStore) -> None:
        self.db = db
        self.store = store
        self.ftp: FtpUploads | None = None

    async def attach_ftp(self, ftp: FtpUploads) -> None:
        """Hand the running FTP server the accounts of the requests still taking files."""
        self.ftp = ftp
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(DiagnosticsRequest).where(
                    DiagnosticsRequest.ftp_username.is_not(None),
                    DiagnosticsRequest.status.not_in(SLOT_CLOSED),
                    DiagnosticsRequest.upload_expires_at > now(),
                )
            )
            for request in rows:
                ftp.grant(self._ftp_account(request))

    def new_slot(
        self, transport: str, base_url: str, location: str | None
    ) -> tuple[str, dict[str, Any]]:
        """The location to upload to and the slot's columns (none for `external`)."""
        slot: dict[str, Any] = {}
        if transport == "external":
            if not location:
                raise InvalidRequest("location: an external upload location needs one")
        elif location:
            raise InvalidRequest(
                f"location: give none with transport {transport!r}, or use external"
            )
        elif transport == "http":
            slot["upload_token"] = secrets.token_urlsafe(24)
            location = f"{base_url.rstrip('/')}{PUBLIC_PREFIX}{slot['upload_token']}/"
        elif transport == "ftp":
            if self.ftp is None:
                raise Conflict("The FTP server is off: start `ampyre serve` with --ftp-port")
            password = secrets.token_urlsafe(18)
            slot["ftp_username"] = f"diag{secrets.token_hex(6)}"
            slot["ftp_password_hash"] = hash_ftp_password(password)
            location = (
                f"ftp://{slot['ftp_username']}:{password}@{_ftp_host(base_url)}:{self.ftp.port}/"
            )
        else:
            raise InvalidRequest(f"transport must be one of {', '.join(TRANSPORTS)}")
        return location, slot

    # -- receiving ----------------------------------------------------------------------

    async def open_slot(self, token: str) -> DiagnosticsRequest:
        """The request behind an HTTP upload URL, if it still takes files."""
        async with self.db.sessions() as session:
            request = await session.scalar(
                select(DiagnosticsRequest).where(DiagnosticsRequest.upload_token == token)
            )
        if request is None:
            raise NotFound("No such upload location")
        if not _slot_open(request):
            raise UploadSlotClosed("This upload location takes no more files")
        return request

    async def receive_http_upload(
        self, request: DiagnosticsRequest, filename: str, chunks: Any
    ) -> DiagnosticsFile:
        name = safe_filename(filename)
        stored = await self.store.receive(chunks, self.store.diagnostics_dir(request.id) / name)
        return await self._record_file(request.id, name, stored, "http")

    async def record_ftp_upload(self, request_id: int, path: Path) -> None:
        """A file the FTP server received into the request's home directory."""
        try:
            async with self.db.sessions() as session:
                request = await session.get(DiagnosticsRequest, request_id)
            if request is None:
                return
            name = safe_filename(path.name)
            stored = await self.store.adopt(path, name)
            await self._record_file(request_id, name, stored, "ftp")
        except (DomainError, OSError):
            log.exception("diagnostics request %d: FTP upload %s not recorded", request_id, path)

    async def _record_file(
        self, request_id: int, name: str, stored: StoredFile, transport: str
    ) -> DiagnosticsFile:
        """One row per (request, name): a re-upload of the same name replaces the file."""
        async with self.db.sessions.begin() as session:
            request = await get_or_not_found(
                session, DiagnosticsRequest, request_id, f"Diagnostics request {request_id}"
            )
            row = await session.scalar(
                select(DiagnosticsFile).where(
                    DiagnosticsFile.diagnostics_request_id == request_id,
                    DiagnosticsFile.filename == name,
                )
            )
            if row is None:
                row = DiagnosticsFile(
                    charge_point_id=request.charge_point_id,
                    diagnostics_request_id=request_id,
                    filename=name,
                )
                session.add(row)
            row.size = stored.size
            row.sha256 = stored.sha256
            row.transport = transport
            row.received_at = now()
        log.info(
            "[%s] diagnostics file %s received over %s (%d bytes)",
            request.charge_point_id,
            name,
            transport,
            stored.size,
        )
        return row

    async def files_for(self, request_ids: list[int]) -> dict[int, list[DiagnosticsFile]]:
        grouped: dict[int, list[DiagnosticsFile]] = {request_id: [] for request_id in request_ids}
        if not request_ids:
            return grouped
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(DiagnosticsFile)
                .where(DiagnosticsFile.diagnostics_request_id.in_(request_ids))
                .order_by(DiagnosticsFile.id)
            )
            for row in rows:
                grouped[row.diagnostics_request_id].append(row)
        return grouped

    async def files(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[DiagnosticsFile], int]:
        query = select(DiagnosticsFile).where(DiagnosticsFile.charge_point_id == charge_point_id)
        return await fetch_page(
            self.db.sessions, query, DiagnosticsFile.id.desc(), limit=limit, offset=offset
        )

    async def file(self, charge_point_id: str, file_id: int) -> tuple[DiagnosticsFile, Path]:
        async with self.db.sessions() as session:
            row = await get_or_not_found(
                session,
                DiagnosticsFile,
                file_id,
                f"Diagnostics file {file_id}",
                charge_point_id=charge_point_id,
            )
        path = self.store.diagnostics_dir(row.diagnostics_request_id) / row.filename
        if not path.is_file():
            raise NotFound(f"Diagnostics file {file_id} is gone from the data directory")
        return row, path

    async def ftp_account(self, username: str) -> FtpAccount | None:
        """The FTP user `username` while its request takes files (else None).

        Asked at every FTP login: the request may have been made on another node or
        worker of the cluster, and may have closed since this FTP server last heard of it.
        """
        async with self.db.sessions() as session:
            request = await session.scalar(
                select(DiagnosticsRequest).where(DiagnosticsRequest.ftp_username == username)
            )
        if request is None or not _slot_open(request):
            return None
        return self._ftp_account(request)

    def close_slot_when_done(self, request: DiagnosticsRequest) -> None:
        if self.ftp is not None and request.ftp_username and not _slot_open(request):
            self.ftp.revoke(request.ftp_username)

    def _ftp_account(self, request: DiagnosticsRequest) -> FtpAccount:
        assert request.ftp_username and request.ftp_password_hash and request.upload_expires_at
        return FtpAccount(
            username=request.ftp_username,
            password_hash=request.ftp_password_hash,
            home=self.store.diagnostics_dir(request.id),
            request_id=request.id,
            expires_at=request.upload_expires_at,
        )


def _slot_open(request: DiagnosticsRequest) -> bool:
    return (
        request.status not in SLOT_CLOSED
        and request.upload_expires_at is not None
        and request.upload_expires_at > now()
    )


def _ftp_host(base_url: str) -> str:
    """The host charge points reach this server by, as an FTP URL writes it."""
    host = urlsplit(base_url).hostname or "127.0.0.1"
    return f"[{host}]" if ":" in host else host
