"""Authorization decisions: the IdTagInfo the CSMS answers Authorize, StartTransaction and
StopTransaction with (OCPP 1.6, sections 4.1, 4.8, 4.10 and 7.24/7.25)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, bindparam, select

from ampyre.services.clock import format_timestamp, now
from ampyre.services.id_tags import id_tag_key
from ampyre.services.remote_starts import RemoteStartService
from ampyre.services.reservations import ReservationService
from ampyre.storage.database import Database, Executor
from ampyre.storage.models import IdTag, Transaction

#: The columns of an id tag a decision reads (a Core statement built once: no ORM entity).
_TAG_BY_KEY = select(
    IdTag.status, IdTag.expiry_date, IdTag.parent_id_tag, IdTag.allow_concurrent_tx
).where(IdTag.key == bindparam("key"))

#: Where a tag's unfinished transactions run (the ConcurrentTx check of a StartTransaction).
_ACTIVE_FOR_TAG = select(Transaction.charge_point_id, Transaction.connector_id).where(
    Transaction.id_tag_key == bindparam("key"), Transaction.stop_timestamp.is_(None)
)

_TagRow: TypeAlias = "Row[str, datetime | None, str | None, bool]"


class AuthorizationService:
    def __init__(
        self, db: Database, remote_starts: RemoteStartService, reservations: ReservationService
    ) -> None:
        self.db = db
        self.remote_starts = remote_starts
        self.reservations = reservations

    async def authorize(self, charge_point_id: str, id_tag: str) -> dict[str, Any]:
        async with self.db.sessions.connect() as connection:
            return await self.decide(connection, charge_point_id, id_tag)

    async def decide(self, db: Executor, charge_point_id: str, id_tag: str) -> dict[str, Any]:
        """The IdTagInfo for `id_tag` at this charge point, read through `db` (a session
        inside a transaction, or a plain connection for an Authorize)."""
        key = id_tag_key(id_tag)
        tag = await _tag(db, key)
        if tag is None:
            # A tag the operator used in a RemoteStartTransaction is a virtual token for
            # that charge point until the remote start ends.
            if await self.remote_starts.is_pending(db, charge_point_id, key):
                return {"status": "Accepted"}
            # So is a tag the operator reserved a connector for, while it holds (5.13).
            reserved = await self.reservations.reserved_tag_info(db, charge_point_id, key)
            return reserved if reserved is not None else {"status": "Invalid"}
        info: dict[str, Any] = {"status": _effective_status(tag)}
        if tag.expiry_date is not None:
            info["expiryDate"] = format_timestamp(tag.expiry_date)
        if tag.parent_id_tag:
            info["parentIdTag"] = tag.parent_id_tag
            if info["status"] == "Accepted":
                # A blocked or expired group blocks its members.
                parent = await _tag(db, id_tag_key(tag.parent_id_tag))
                if parent is not None and _effective_status(parent) in ("Blocked", "Expired"):
                    info["status"] = _effective_status(parent)
        return info

    async def decide_for_start(
        self, db: Executor, charge_point_id: str, connector_id: int, id_tag: str
    ) -> dict[str, Any]:
        """Like `decide`, plus ConcurrentTx for a tag already charging elsewhere."""
        info = await self.decide(db, charge_point_id, id_tag)
        if info["status"] != "Accepted":
            return info
        key = id_tag_key(id_tag)
        tag = await _tag(db, key)
        if tag is not None and tag.allow_concurrent_tx:
            return info
        active = await db.execute(_ACTIVE_FOR_TAG, {"key": key})
        for transaction in active:
            # An unfinished transaction on this same connector is stale (the charge point
            # rebooted and its StopTransaction is still queued), not a concurrent one.
            same_connector = (
                transaction.charge_point_id == charge_point_id
                and transaction.connector_id == connector_id
            )
            if not same_connector:
                info["status"] = "ConcurrentTx"
                break
        return info


async def _tag(db: Executor, key: str) -> _TagRow | None:
    return (await db.execute(_TAG_BY_KEY, {"key": key})).first()


def _effective_status(tag: _TagRow) -> str:
    if tag.status == "Accepted" and tag.expiry_date is not None and tag.expiry_date <= now():
        return "Expired"
    return tag.status
