"""The embedded FTP server for diagnostics uploads (OCPP 1.6, 8.2: most charge points
upload diagnostics by FTP only).

pyftpdlib runs its own I/O loop, here in one thread beside the asyncio loop. Its users are
the one-time accounts the diagnostics service grants, one per request, each shut in the
request's directory of the file store with the right to list, store and append (resume)
there and nothing else. A received file is handed to the asyncio loop to be recorded.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from ampyre.config import Settings
from ampyre.services.clock import now
from ampyre.services.diagnostics import DiagnosticsService
from ampyre.services.diagnostics_uploads import FtpAccount, hash_ftp_password

log = logging.getLogger("ampyre.ftp")

#: List, change directory within the home, store and append (to resume an upload).
UPLOAD_PERMISSIONS = "elwa"
POLL_INTERVAL = 0.2

UploadCallback = Callable[[int, Path], Coroutine[Any, Any, None]]
AccountLookup = Callable[[str], Coroutine[Any, Any, FtpAccount | None]]
#: How long a login waits for the database's word on the account (s).
LOOKUP_TIMEOUT = 5.0


class _Accounts(DummyAuthorizer):
    """The granted accounts, changed from the asyncio thread, read from the FTP thread."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.accounts: dict[str, FtpAccount] = {}
        #: Asks the database (on the asyncio loop) for an account, at each login.
        self.lookup: Callable[[str], FtpAccount | None] | None = None

    def grant(self, account: FtpAccount) -> None:
        account.home.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._prune()
            if account.username in self.user_table:
                self.remove_user(account.username)
            self.add_user(account.username, "", str(account.home), perm=UPLOAD_PERMISSIONS)
            self.accounts[account.username] = account

    def revoke(self, username: str) -> None:
        with self._lock:
            self.accounts.pop(username, None)
            self.user_table.pop(username, None)

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        if self.lookup is not None:
            # The database decides: the account may come from another worker or node.
            try:
                found = self.lookup(username)
            except Exception:
                log.warning("FTP login %s: the account could not be looked up", username[:32])
                raise AuthenticationFailed("Authentication failed.") from None
            if found is None:
                self.revoke(username)
            else:
                self.grant(found)
        with self._lock:
            account = self.accounts.get(username)
        if (
            account is None
            or account.expires_at <= now()
            or not hmac.compare_digest(hash_ftp_password(password), account.password_hash)
        ):
            raise AuthenticationFailed("Authentication failed.")

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        with self._lock:
            if username not in self.user_table:
                return False  # revoked while logged in
            return bool(super().has_perm(username, perm, path))

    def request_of(self, username: str) -> int | None:
        with self._lock:
            account = self.accounts.get(username)
        return account.request_id if account else None

    def _prune(self) -> None:
        for username in [u for u, a in self.accounts.items() if a.expires_at <= now()]:
            self.accounts.pop(username, None)
            self.user_table.pop(username, None)


class _SizeLimitedFile:
    """A file being stored that refuses to grow past the upload limit."""

    def __init__(self, file: Any, limit: int, on_exceeded: Callable[[str], None]) -> None:
        self._file = file
        self._limit = limit
        self._on_exceeded = on_exceeded

    def write(self, chunk: bytes) -> int:
        if self._file.tell() + len(chunk) > self._limit:
            self._on_exceeded(self._file.name)
            # pyftpdlib answers "426 File too large; transfer aborted." and closes the file.
            raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))
        return int(self._file.write(chunk))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class _UploadFilesystem(AbstractedFS):
    max_upload_size: int = 0

    def open(self, filename: str, mode: str) -> Any:
        file = super().open(filename, mode)
        if "r" in mode and "+" not in mode:
            return file
        return _SizeLimitedFile(file, self.max_upload_size, self.cmd_channel.oversized.add)

    def chdir(self, path: str) -> None:
        # The base class changes the process's working directory, which is shared with the
        # asyncio thread; a virtual cwd is all an FTP session needs.
        if not os.path.isdir(path):
            raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        self.cwd = self.fs2ftp(path)


class _UploadHandler(FTPHandler):
    server_side: DiagnosticsFtpServer
    banner = "Ampyre diagnostics upload"
    # pyftpdlib waits 3 s after a failed login against guessing; one-time passwords are
    # random 144-bit secrets, so a charge point with a typo need not wait that long.
    auth_failed_timeout = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.oversized: set[str] = set()

    def on_file_received(self, file: str) -> None:
        self.server_side.file_received(self.username, Path(file))

    def on_incomplete_file_received(self, file: str) -> None:
        # A broken transfer is kept for a resume (REST/APPE); an oversized one is not.
        if file in self.oversized:
            self.oversized.discard(file)
            Path(file).unlink(missing_ok=True)


class DiagnosticsFtpServer:
    """pyftpdlib in a thread, implementing the diagnostics service's FtpUploads."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_upload_size: int,
        on_upload: UploadCallback,
        lookup: AccountLookup | None = None,
        passive_ports: tuple[int, int] | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.port = port
        self.max_upload_size = max_upload_size
        self.passive_ports = passive_ports
        self._on_upload = on_upload
        self._accounts = _Accounts()
        self._lookup = lookup
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Bind (errors surface here, at startup) and serve in a background thread."""
        self._loop = asyncio.get_running_loop()
        if self._lookup is not None:
            self._accounts.lookup = self._look_up
        filesystem = type(
            "AmpyreUploadFilesystem",
            (_UploadFilesystem,),
            {"max_upload_size": self.max_upload_size},
        )
        handler = type(
            "AmpyreUploadHandler",
            (_UploadHandler,),
            {
                "authorizer": self._accounts,
                "abstracted_fs": filesystem,
                "server_side": self,
                "passive_ports": (
                    list(range(self.passive_ports[0], self.passive_ports[1] + 1))
                    if self.passive_ports
                    else None
                ),
            },
        )
        self._server = FTPServer((self.host, self.requested_port), handler, ioloop=IOLoop())
        self.port = int(self._server.address[1])
        self._thread = threading.Thread(target=self._serve, name="ftp-server", daemon=True)
        self._thread.start()
        log.info("FTP server for diagnostics uploads on %s:%d", self.host, self.port)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def grant(self, account: FtpAccount) -> None:
        self._accounts.grant(account)

    def revoke(self, username: str) -> None:
        self._accounts.revoke(username)

    def _look_up(self, username: str) -> FtpAccount | None:
        """Called in the FTP thread: ask the database on the asyncio loop and wait."""
        assert self._lookup is not None and self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._lookup(username), self._loop)
        return future.result(timeout=LOOKUP_TIMEOUT)

    def file_received(self, username: str, path: Path) -> None:
        """Called in the FTP thread: record the file on the asyncio loop."""
        request_id = self._accounts.request_of(username)
        if request_id is None or self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._on_upload(request_id, path), self._loop)
        except RuntimeError:
            log.warning("FTP upload %s arrived during shutdown: not recorded", path)

    def _serve(self) -> None:
        assert self._server is not None
        try:
            while not self._stopping.is_set():
                self._server.ioloop.loop(timeout=POLL_INTERVAL, blocking=False)
        except Exception:
            log.exception("FTP server stopped on an error")
        finally:
            self._server.close_all()


class FtpElsewhere:
    """The FTP server of another worker on this machine: this one only hands out
    accounts (stored in the database, where that server looks them up at login)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def grant(self, account: FtpAccount) -> None:
        account.home.mkdir(parents=True, exist_ok=True)

    def revoke(self, username: str) -> None:
        return None


async def start_ftp_server(
    settings: Settings, diagnostics: DiagnosticsService, *, here: bool = True
) -> DiagnosticsFtpServer | None:
    """Start the FTP server when `--ftp-port` asks for it and hand it to the diagnostics.

    With several workers on one machine, only the first (`here`) serves FTP; the others
    hand out accounts it checks against the database.
    """
    if settings.ftp_port is None:
        return None
    if not here:
        await diagnostics.attach_ftp(FtpElsewhere(settings.ftp_port))
        return None
    server = DiagnosticsFtpServer(
        settings.ftp_host or settings.host,
        settings.ftp_port,
        max_upload_size=settings.max_upload_size,
        on_upload=diagnostics.record_ftp_upload,
        lookup=diagnostics.ftp_account,
        passive_ports=settings.ftp_passive_ports,
    )
    server.start()
    await diagnostics.attach_ftp(server)
    return server
