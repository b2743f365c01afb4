"""Files on disk under the data directory: hosted firmware images and received diagnostics.

Every upload streams into a temporary file beside the store, is counted against the size
limit as it arrives and is renamed into place only once complete, so neither a partial nor
an oversized upload ever shows up as a file. Names given by clients are reduced to a plain
base name first: nothing a client sends can name a path outside its own directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from ampyre.services.errors import InvalidRequest

#: File names are stored in String(255) columns and must fit a file system's name limit.
MAX_FILENAME_BYTES = 255
_HASH_CHUNK = 1024 * 1024


class UploadTooLarge(InvalidRequest):
    """An upload went past the configured limit (HTTP 413); nothing of it is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Upload larger than the limit of {limit} bytes")
        self.limit = limit


class InvalidFileName(InvalidRequest):
    """A client-given file name with nothing usable left once sanitised (HTTP 400/422)."""


def safe_filename(name: str) -> str:
    """The base name of a client-given name, without control characters or leading dots.

    Clients send names with directories in them ("C:\\logs\\x.log", "../../x"), control
    characters or nothing but dots; the result is always a single harmless path segment.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = base.strip().lstrip(".").strip()
    if not base:
        raise InvalidFileName(f"Unusable file name {name!r}")
    if len(base.encode()) > MAX_FILENAME_BYTES:
        raise InvalidFileName(f"File name longer than {MAX_FILENAME_BYTES} bytes")
    return base


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: Path
    size: int
    sha256: str


class FileStore:
    """The data directory: firmware/{token}/, diagnostics/{requestId}/ and tmp/."""

    def __init__(self, root: str | Path, *, max_upload_size: int) -> None:
        self.root = Path(root).expanduser().resolve()
        self.max_upload_size = max_upload_size

    def firmware_dir(self, token: str) -> Path:
        return self.root / "firmware" / token

    def diagnostics_dir(self, request_id: int) -> Path:
        return self.root / "diagnostics" / str(request_id)

    async def receive(self, chunks: AsyncIterator[bytes], target: Path) -> StoredFile:
        """Stream `chunks` into `target`, replacing it; UploadTooLarge past the limit."""
        temporary_dir = self.root / "tmp"
        temporary_dir.mkdir(parents=True, exist_ok=True)
        temporary = temporary_dir / f"upload-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        try:
            async with await anyio.open_file(temporary, "wb") as out:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > self.max_upload_size:
                        raise UploadTooLarge(self.max_upload_size)
                    digest.update(chunk)
                    await out.write(chunk)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return StoredFile(target, size, digest.hexdigest())

    async def adopt(self, path: Path, name: str) -> StoredFile:
        """Take in a file written by someone else (the FTP server) under `name`."""
        return await asyncio.to_thread(_adopt, path, name)

    async def remove_dir(self, directory: Path) -> None:
        if directory.is_relative_to(self.root):
            await asyncio.to_thread(shutil.rmtree, directory, True)


def _adopt(path: Path, name: str) -> StoredFile:
    if path.name != name:
        path = path.rename(path.with_name(name))
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(_HASH_CHUNK):
            size += len(chunk)
            digest.update(chunk)
    return StoredFile(path, size, digest.hexdigest())
