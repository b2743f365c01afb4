"""The audit log: who changed what, when, from where, and how it ended.

Entries are only ever added (`record`) and read (`page`): nothing here, in the REST API or
in the CLI changes or removes one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ampyre.services.clock import now
from ampyre.storage.database import Database
from ampyre.storage.models import AuditEntry

#: The longest request body excerpt an entry keeps.
MAX_DETAILS = 1000
#: Body fields whose values an entry never keeps.
SECRET_FIELDS = frozenset({"password", "newpassword", "token", "secret", "authorizationkey"})


@dataclass(frozen=True, slots=True)
class AuditRecord:
    account: str
    token_id: int | None
    method: str
    path: str
    target: str | None
    summary: str
    status: int
    client: str | None
    details: str | None = None


def redact(value: Any) -> Any:
    """`value` with the values of secret-looking fields replaced by `"***"` (also the
    `value` of a configuration key such as AuthorizationKey)."""
    if isinstance(value, dict):
        # ChangeConfiguration names the secret in "key" and carries it in "value".
        secret_value = str(value.get("key", "")).lower() in SECRET_FIELDS
        return {
            key: "***"
            if str(key).lower() in SECRET_FIELDS or (secret_value and key == "value")
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


#: Body fields that name what a create request makes, in order of preference.
TARGET_FIELDS = ("id", "chargePointId", "idTag", "name")


def body_target(body: bytes, content_type: str | None) -> str | None:
    """What a request without a path parameter is about: its JSON body's `id`,
    `chargePointId`, `idTag` or `name` (e.g. the charge point a POST registers)."""
    if not body or "json" not in (content_type or ""):
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    found = next((value[f] for f in TARGET_FIELDS if isinstance(value.get(f), str | int)), None)
    return None if found is None else str(found)


def body_excerpt(body: bytes, content_type: str | None) -> str | None:
    """A JSON request body as an entry keeps it: secrets redacted, at most MAX_DETAILS
    characters; other bodies (file uploads) are not kept."""
    if not body or "json" not in (content_type or ""):
        return None
    try:
        text = json.dumps(redact(json.loads(body)), separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return "(not JSON)"
    return text if len(text) <= MAX_DETAILS else text[: MAX_DETAILS - 1] + "…"


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, record: AuditRecord) -> None:
        async with self.db.sessions.begin() as session:
            session.add(
                AuditEntry(
                    timestamp=now(),
                    account=_storable(record.account)[:64],
                    token_id=record.token_id,
                    method=record.method,
                    path=_storable(record.path),
                    target=_storable(record.target)[:255] if record.target else None,
                    summary=_storable(record.summary),
                    details=_storable(record.details) if record.details else record.details,
                    status=record.status,
                    client=record.client[:255] if record.client else None,
                )
            )

    async def page(
        self,
        *,
        account: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[AuditEntry], int]:
        """Entries newest first, of one account and within [since, until) when given."""
        conditions = []
        if account is not None:
            conditions.append(AuditEntry.account == account)
        if since is not None:
            conditions.append(AuditEntry.timestamp >= since)
        if until is not None:
            conditions.append(AuditEntry.timestamp < until)
        async with self.db.sessions() as session:
            total = await session.scalar(
                select(func.count()).select_from(AuditEntry).where(*conditions)
            )
            rows = await session.scalars(
                select(AuditEntry)
                .where(*conditions)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)


def _storable(text: str) -> str:
    """Client text as every database stores it: PostgreSQL's text holds no NUL."""
    return text.replace("\x00", "\\u0000")
