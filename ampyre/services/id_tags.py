"""The id tag store the CSMS authorizes against."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ampyre.services.clock import now
from ampyre.services.errors import Conflict, InvalidRequest, NotFound
from ampyre.storage.database import Database
from ampyre.storage.models import IdTag

ID_TAG_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")
MAX_ID_TAG_LENGTH = 20  # OCPP 1.6 IdToken: CiString20Type


def id_tag_key(id_tag: str) -> str:
    """OCPP 1.6 id tags are case-insensitive: this is the form they are compared in."""
    return id_tag.casefold()


def _check_tag(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{field} must be a non-empty string")
    if len(value) > MAX_ID_TAG_LENGTH:
        raise InvalidRequest(f"{field} must be at most {MAX_ID_TAG_LENGTH} characters")
    return value


class IdTagService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        id_tag: str,
        *,
        status: str = "Accepted",
        expiry_date: datetime | None = None,
        parent_id_tag: str | None = None,
        allow_concurrent_tx: bool = False,
    ) -> IdTag:
        _check_tag(id_tag, "idTag")
        if status not in ID_TAG_STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(ID_TAG_STATUSES)}")
        if parent_id_tag is not None:
            _check_tag(parent_id_tag, "parentIdTag")
        timestamp = now()
        tag = IdTag(
            key=id_tag_key(id_tag),
            id_tag=id_tag,
            status=status,
            expiry_date=expiry_date,
            parent_id_tag=parent_id_tag,
            allow_concurrent_tx=allow_concurrent_tx,
            created_at=timestamp,
            updated_at=timestamp,
        )
        async with self.db.sessions.begin() as session:
            session.add(tag)
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict(f"Id tag {id_tag!r} already exists") from None
        return tag

    async def get(self, id_tag: str) -> IdTag:
        async with self.db.sessions() as session:
            tag = await session.get(IdTag, id_tag_key(id_tag))
        if tag is None:
            raise NotFound(f"Id tag {id_tag!r} not found")
        return tag

    async def page(self, *, limit: int, offset: int) -> tuple[list[IdTag], int]:
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(IdTag))
            rows = await session.scalars(
                select(IdTag).order_by(IdTag.key).limit(limit).offset(offset)
            )
            return list(rows), int(total or 0)

    async def update(self, id_tag: str, changes: dict[str, Any]) -> IdTag:
        async with self.db.sessions.begin() as session:
            tag = await session.get(IdTag, id_tag_key(id_tag))
            if tag is None:
                raise NotFound(f"Id tag {id_tag!r} not found")
            if "status" in changes:
                if changes["status"] not in ID_TAG_STATUSES:
                    raise InvalidRequest(f"status must be one of {', '.join(ID_TAG_STATUSES)}")
                tag.status = changes["status"]
            if "expiryDate" in changes:
                tag.expiry_date = changes["expiryDate"]
            if "parentIdTag" in changes:
                parent = changes["parentIdTag"]
                tag.parent_id_tag = _check_tag(parent, "parentIdTag") if parent else None
            if "allowConcurrentTx" in changes:
                tag.allow_concurrent_tx = bool(changes["allowConcurrentTx"])
            tag.updated_at = now()
        return tag

    async def delete(self, id_tag: str) -> None:
        async with self.db.sessions.begin() as session:
            tag = await session.get(IdTag, id_tag_key(id_tag))
            if tag is None:
                raise NotFound(f"Id tag {id_tag!r} not found")
            await session.delete(tag)
