"""The id tag store the CSMS authorizes against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp.v16.enums import AuthorizationStatus
from sqlalchemy import select

from ampyre.services.changes import UNCHANGED, Unchanged
from ampyre.services.clock import now
from ampyre.services.errors import InvalidRequest
from ampyre.services.lookup import add_new, get_or_not_found
from ampyre.storage.database import Database
from ampyre.storage.models import IdTag
from ampyre.storage.paging import fetch_page

ID_TAG_STATUSES = tuple(
    status.value
    for status in (
        AuthorizationStatus.accepted,
        AuthorizationStatus.blocked,
        AuthorizationStatus.expired,
        AuthorizationStatus.invalid,
    )
)
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


@dataclass(slots=True, frozen=True)
class IdTagUpdate:
    """Changes to an id tag; a field left `UNCHANGED` is kept (None clears it)."""

    status: str | Unchanged = UNCHANGED
    expiry_date: datetime | Unchanged | None = UNCHANGED
    parent_id_tag: str | Unchanged | None = UNCHANGED
    allow_concurrent_tx: bool | Unchanged = UNCHANGED


class IdTagService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        id_tag: str,
        *,
        status: str = AuthorizationStatus.accepted.value,
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
            return await add_new(session, tag, f"Id tag {id_tag!r}")

    async def get(self, id_tag: str) -> IdTag:
        async with self.db.sessions() as session:
            return await get_or_not_found(session, IdTag, id_tag_key(id_tag), f"Id tag {id_tag!r}")

    async def page(self, *, limit: int, offset: int) -> tuple[list[IdTag], int]:
        return await fetch_page(
            self.db.sessions, select(IdTag), IdTag.key, limit=limit, offset=offset
        )

    async def update(self, id_tag: str, changes: IdTagUpdate) -> IdTag:
        async with self.db.sessions.begin() as session:
            tag = await get_or_not_found(session, IdTag, id_tag_key(id_tag), f"Id tag {id_tag!r}")
            if changes.status is not UNCHANGED:
                if changes.status not in ID_TAG_STATUSES:
                    raise InvalidRequest(f"status must be one of {', '.join(ID_TAG_STATUSES)}")
                tag.status = changes.status
            if changes.expiry_date is not UNCHANGED:
                tag.expiry_date = changes.expiry_date
            if changes.parent_id_tag is not UNCHANGED:
                parent = changes.parent_id_tag
                tag.parent_id_tag = _check_tag(parent, "parentIdTag") if parent else None
            if changes.allow_concurrent_tx is not UNCHANGED:
                tag.allow_concurrent_tx = bool(changes.allow_concurrent_tx)
            tag.updated_at = now()
        return tag

    async def delete(self, id_tag: str) -> None:
        async with self.db.sessions.begin() as session:
            tag = await get_or_not_found(session, IdTag, id_tag_key(id_tag), f"Id tag {id_tag!r}")
            await session.delete(tag)
