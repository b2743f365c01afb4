"""Real file transfers for (Signed)UpdateFirmware (download) and GetDiagnostics/GetLog (upload).

The transfers really happen, over HTTP(S) with httpx or FTP with ftplib, so that a CSMS's
firmware and diagnostics plumbing (pre-signed URLs, upload endpoints) gets exercised end
to end. Any other scheme fails, as it would on a charge point that does not support it.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import posixpath
from urllib.parse import unquote, urlsplit

import httpx

TRANSFER_TIMEOUT = 30.0


class TransferError(Exception):
    pass


async def download(location: str) -> bytes:
    """Fetch the file at `location` (a signed image's content is verified)."""
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        try:
            async with httpx.AsyncClient(timeout=TRANSFER_TIMEOUT, follow_redirects=True) as client:
                response = await client.get(location)
        except httpx.HTTPError as exc:
            raise TransferError(f"GET {location} failed: {exc}") from None
        if response.status_code >= 400:
            raise TransferError(f"GET {location} answered HTTP {response.status_code}")
        return response.content
    if scheme == "ftp":
        return await asyncio.to_thread(_ftp_download, location)
    raise TransferError(f"unsupported location scheme {scheme!r}: {location}")


async def upload(location: str, file_name: str, content: bytes) -> str:
    """Store `content` under `location` and return where it was sent.

    OCPP calls the location a directory. Over FTP the file name is always appended; over
    HTTP only when the location ends with "/", because an HTTP upload endpoint (a
    pre-signed URL, say) is usually the exact target.
    """
    scheme = urlsplit(location).scheme.lower()
    target = location + file_name if location.endswith("/") else location
    if scheme in ("http", "https"):
        try:
            async with httpx.AsyncClient(timeout=TRANSFER_TIMEOUT, follow_redirects=True) as client:
                response = await client.put(
                    target, content=content, headers={"Content-Type": "text/plain"}
                )
        except httpx.HTTPError as exc:
            raise TransferError(f"PUT {target} failed: {exc}") from None
        if response.status_code >= 400:
            raise TransferError(f"PUT {target} answered HTTP {response.status_code}")
        return target
    if scheme == "ftp":
        return await asyncio.to_thread(_ftp_upload, location, file_name, content)
    raise TransferError(f"unsupported location scheme {scheme!r}: {location}")


def _ftp_session(location: str) -> tuple[ftplib.FTP, str]:
    parts = urlsplit(location)
    ftp = ftplib.FTP(timeout=TRANSFER_TIMEOUT)
    try:
        ftp.connect(parts.hostname or "", parts.port or 21)
        ftp.login(unquote(parts.username or "anonymous"), unquote(parts.password or ""))
    except (OSError, ftplib.Error) as exc:
        ftp.close()
        raise TransferError(f"FTP {parts.hostname}: {exc}") from None
    return ftp, unquote(parts.path)


def _ftp_download(location: str) -> bytes:
    ftp, path = _ftp_session(location)
    received = io.BytesIO()
    try:
        ftp.retrbinary(f"RETR {path}", received.write)
    except (OSError, ftplib.Error) as exc:
        raise TransferError(f"FTP RETR {path}: {exc}") from None
    finally:
        ftp.close()
    return received.getvalue()


def _ftp_upload(location: str, file_name: str, content: bytes) -> str:
    ftp, path = _ftp_session(location)
    target = posixpath.join(path, file_name) if path else file_name
    try:
        ftp.storbinary(f"STOR {target}", io.BytesIO(content))
    except (OSError, ftplib.Error) as exc:
        raise TransferError(f"FTP STOR {target}: {exc}") from None
    finally:
        ftp.close()
    return target
