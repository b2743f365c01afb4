"""Hosted firmware images (OCPP 1.6, 5.19): the files charge points download updates from.

Images live in the file store and are published at /files/firmware/{token}/{filename}, a
URL that needs no credentials (charge points fetch firmware with a plain GET) and cannot
be guessed. An image is refused deletion while an unfinished update still downloads
from it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import func, select

from ampyre.services.clock import now
from ampyre.services.errors import Conflict, NotFound
from ampyre.services.file_store import FileStore, safe_filename
from ampyre.services.lookup import get_or_not_found
from ampyre.storage.database import Database
from ampyre.storage.models import FirmwareImage, FirmwareUpdate
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.firmware")

PUBLIC_PREFIX = "/files/firmware/"


class FirmwareImages:
    """Uploads, lists, publishes and deletes firmware images."""

    def __init__(self, db: Database, store: FileStore) -> None:
        self.db = db
        self.store = store

    async def add_image(
        self, filename: str, chunks: AsyncIterator[bytes], *, description: str | None = None
    ) -> FirmwareImage:
        name = safe_filename(filename)
        token = secrets.token_urlsafe(24)
        directory = self.store.firmware_dir(token)
        stored = await self.store.receive(chunks, directory / name)
        image = FirmwareImage(
            token=token,
            filename=name,
            size=stored.size,
            sha256=stored.sha256,
            description=description,
            uploaded_at=now(),
        )
        try:
            async with self.db.sessions.begin() as session:
                session.add(image)
        except BaseException:
            await self.store.remove_dir(directory)
            raise
        log.info("firmware %s uploaded (%d bytes, sha256 %s)", name, stored.size, stored.sha256)
        return image

    async def image(self, image_id: int) -> FirmwareImage:
        async with self.db.sessions() as session:
            return await get_or_not_found(session, FirmwareImage, image_id, f"Firmware {image_id}")

    async def set_description(self, image_id: int, description: str | None) -> FirmwareImage:
        async with self.db.sessions.begin() as session:
            image = await get_or_not_found(session, FirmwareImage, image_id, f"Firmware {image_id}")
            image.description = description
        return image

    async def images(self, *, limit: int, offset: int) -> tuple[list[FirmwareImage], int]:
        return await fetch_page(
            self.db.sessions,
            select(FirmwareImage),
            FirmwareImage.id.desc(),
            limit=limit,
            offset=offset,
        )

    def image_path(self, image: FirmwareImage) -> Path:
        return self.store.firmware_dir(image.token) / image.filename

    async def published(self, token: str, filename: str) -> FirmwareImage:
        """The image behind a public URL; NotFound unless token and name both match."""
        async with self.db.sessions() as session:
            image = await session.scalar(select(FirmwareImage).where(FirmwareImage.token == token))
        if image is None or image.filename != filename:
            raise NotFound("No such firmware file")
        return image

    async def delete_image(self, image_id: int, *, force: bool = False) -> None:
        """Remove an image; refused while an unfinished update still downloads from it."""
        image = await self.image(image_id)
        async with self.db.sessions.begin() as session:
            open_updates = await session.scalar(
                select(func.count())
                .select_from(FirmwareUpdate)
                .where(
                    FirmwareUpdate.firmware_image_id == image_id,
                    FirmwareUpdate.finished_at.is_(None),
                )
            )
            if open_updates and not force:
                raise Conflict(
                    f"Firmware {image_id} is in use by {open_updates} unfinished update(s); "
                    "wait for them or delete with force=true"
                )
            await session.delete(image)
        await self.store.remove_dir(self.store.firmware_dir(image.token))

    @staticmethod
    def image_url(image: FirmwareImage, base_url: str) -> str:
        """The absolute URL charge points download `image` from."""
        return f"{base_url.rstrip('/')}{PUBLIC_PREFIX}{image.token}/{quote(image.filename)}"

    async def image_id_of(self, location: str) -> int | None:
        """The hosted image a location points at, if it is one of ours."""
        path = urlsplit(location).path
        if PUBLIC_PREFIX not in path:
            return None
        token = unquote(path.split(PUBLIC_PREFIX, 1)[1].split("/", 1)[0])
        async with self.db.sessions() as session:
            image_id = await session.scalar(
                select(FirmwareImage.id).where(FirmwareImage.token == token)
            )
        return int(image_id) if image_id is not None else None
