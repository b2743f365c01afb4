"""Authorization decisions: the IdTagInfo the CSMS answers Authorize, StartTransaction and
StopTransaction with (OCPP 1.6, sections 4.1, 4.8, 4.10 and 7.24/7.25).

Decisions are made inside a group-commit unit of work (`storage/group_commit.py`): the
reads a decision needs run in the same transaction as the writes that depend on it.
"""

from __future__ import annotations

from typing import Any

from ampyre.services.clock import format_timestamp, now
from ampyre.services.id_tags import id_tag_key
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.repositories.id_tags import HoldingReservation, TagRecord
from ampyre.storage.sql import Cursor

_tags = repositories.id_tags
_transactions = repositories.transactions


class AuthorizationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def authorize(self, charge_point_id: str, id_tag: str) -> dict[str, Any]:
        return await self.db.commits.run(
            lambda cursor: self.decide(cursor, charge_point_id, id_tag)
        )

    def decide(self, cursor: Cursor, charge_point_id: str, id_tag: str) -> dict[str, Any]:
        """The IdTagInfo for `id_tag` at this charge point."""
        key = id_tag_key(id_tag)
        return self._decide(cursor, charge_point_id, key, _tags.find(cursor, key))

    def _decide(
        self, cursor: Cursor, charge_point_id: str, key: str, tag: TagRecord | None
    ) -> dict[str, Any]:
        if tag is None:
            moment = now()
            # A tag the operator used in a RemoteStartTransaction is a virtual token for
            # that charge point until the remote start ends.
            if _tags.remote_start_pending(cursor, charge_point_id, key, moment):
                return {"status": "Accepted"}
            # So is a tag the operator reserved a connector for, while it holds (5.13).
            reserved = reserved_tag_info(
                _tags.holding_reservations(cursor, charge_point_id, moment), key
            )
            return reserved if reserved is not None else {"status": "Invalid"}
        info: dict[str, Any] = {"status": effective_status(tag)}
        if tag.expiry_date is not None:
            info["expiryDate"] = format_timestamp(tag.expiry_date)
        if tag.parent_id_tag:
            info["parentIdTag"] = tag.parent_id_tag
            if info["status"] == "Accepted":
                # A blocked or expired group blocks its members.
                parent = _tags.find(cursor, id_tag_key(tag.parent_id_tag))
                if parent is not None and effective_status(parent) in ("Blocked", "Expired"):
                    info["status"] = effective_status(parent)
        return info

    def decide_for_start(
        self, cursor: Cursor, charge_point_id: str, connector_id: int, id_tag: str
    ) -> dict[str, Any]:
        """Like `decide`, plus ConcurrentTx for a tag already charging elsewhere."""
        key = id_tag_key(id_tag)
        tag = _tags.find(cursor, key)
        info = self._decide(cursor, charge_point_id, key, tag)
        if info["status"] != "Accepted" or (tag is not None and tag.allow_concurrent_tx):
            return info
        for other_charge_point, other_connector in _transactions.active_for_tag(cursor, key):
            # An unfinished transaction on this same connector is stale (the charge point
            # rebooted and its StopTransaction is still queued), not a concurrent one.
            if other_charge_point != charge_point_id or other_connector != connector_id:
                info["status"] = "ConcurrentTx"
                break
        return info


def effective_status(tag: TagRecord) -> str:
    if tag.status == "Accepted" and tag.expiry_date is not None and tag.expiry_date <= now():
        return "Expired"
    return tag.status


def reserved_tag_info(reservations: list[HoldingReservation], key: str) -> dict[str, Any] | None:
    """The IdTagInfo for a tag the store does not know but a reservation here names.

    Accepted while the reservation holds (expiryDate tells an authorization cache when to
    drop it), and while the transaction that used it runs, so a repeated StartTransaction
    or the StopTransaction gets the same answer.
    """
    for reservation in reservations:
        if id_tag_key(reservation.id_tag) != key:
            continue
        info: dict[str, Any] = {"status": "Accepted"}
        if reservation.status == "Reserved":
            info["expiryDate"] = format_timestamp(reservation.expiry_date)
        if reservation.parent_id_tag:
            info["parentIdTag"] = reservation.parent_id_tag
        return info
    return None
