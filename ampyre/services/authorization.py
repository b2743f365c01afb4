"""Authorization decisions: what the CSMS answers Authorize, StartTransaction and
StopTransaction with (OCPP 1.6, sections 4.1, 4.8, 4.10 and 7.24/7.25).

A decision is an `Authorization`; the handlers turn it into the message's idTagInfo.
Decisions are made inside a group-commit unit of work (`storage/group_commit.py`): the
reads a decision needs run in the same transaction as the writes that depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ocpp.v16.enums import AuthorizationStatus

from ampyre.services.clock import now
from ampyre.services.id_tags import id_tag_key
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.repositories.id_tags import HoldingReservation, TagRecord
from ampyre.storage.sql import Cursor

_tags = repositories.id_tags
_transactions = repositories.transactions

ACCEPTED = AuthorizationStatus.accepted
BLOCKED = AuthorizationStatus.blocked
EXPIRED = AuthorizationStatus.expired
INVALID = AuthorizationStatus.invalid
CONCURRENT_TX = AuthorizationStatus.concurrent_tx
#: The stored status -> its enumeration member (a dict lookup; the Enum call costs more).
_STATUSES = {status.value: status for status in AuthorizationStatus}


@dataclass(slots=True)
class Authorization:
    """The decision on an id tag (the content of OCPP 1.6's IdTagInfo, 7.25).

    A value: not changed once made. (Not `frozen`: that triples the cost of making one,
    and one is made for every Authorize, StartTransaction and StopTransaction.)
    """

    status: AuthorizationStatus
    #: When a charge point's authorization cache must forget the tag.
    expiry_date: datetime | None = None
    #: The tag's group (OCPP 1.6, 3.4.2).
    parent_id_tag: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status is ACCEPTED


class AuthorizationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def authorize(self, charge_point_id: str, id_tag: str) -> Authorization:
        return await self.db.commits.run(
            lambda cursor: self.decide(cursor, charge_point_id, id_tag)
        )

    def decide(self, cursor: Cursor, charge_point_id: str, id_tag: str) -> Authorization:
        """The decision on `id_tag` at this charge point."""
        key = id_tag_key(id_tag)
        return self._decide(cursor, charge_point_id, key, _tags.find(cursor, key))

    def _decide(
        self, cursor: Cursor, charge_point_id: str, key: str, tag: TagRecord | None
    ) -> Authorization:
        if tag is None:
            moment = now()
            # A tag the operator used in a RemoteStartTransaction is a virtual token for
            # that charge point until the remote start ends.
            if _tags.remote_start_pending(cursor, charge_point_id, key, moment):
                return Authorization(ACCEPTED)
            # So is a tag the operator reserved a connector for, while it holds (5.13).
            reserved = reserved_tag_authorization(
                _tags.holding_reservations(cursor, charge_point_id, moment), key
            )
            return reserved if reserved is not None else Authorization(INVALID)
        status = effective_status(tag)
        parent_id_tag = tag.parent_id_tag or None
        if parent_id_tag is not None and status is ACCEPTED:
            # A blocked or expired group blocks its members.
            parent = _tags.find(cursor, id_tag_key(parent_id_tag))
            if parent is not None and effective_status(parent) in (BLOCKED, EXPIRED):
                status = effective_status(parent)
        return Authorization(status, tag.expiry_date, parent_id_tag)

    def decide_for_start(
        self, cursor: Cursor, charge_point_id: str, connector_id: int, id_tag: str
    ) -> Authorization:
        """Like `decide`, plus ConcurrentTx for a tag already charging elsewhere."""
        key = id_tag_key(id_tag)
        tag = _tags.find(cursor, key)
        decision = self._decide(cursor, charge_point_id, key, tag)
        if not decision.accepted or (tag is not None and tag.allow_concurrent_tx):
            return decision
        for other_charge_point, other_connector in _transactions.active_for_tag(cursor, key):
            # An unfinished transaction on this same connector is stale (the charge point
            # rebooted and its StopTransaction is still queued), not a concurrent one.
            if other_charge_point != charge_point_id or other_connector != connector_id:
                return Authorization(CONCURRENT_TX, decision.expiry_date, decision.parent_id_tag)
        return decision


def effective_status(tag: TagRecord) -> AuthorizationStatus:
    """The stored status, Expired once an Accepted tag's expiry date has passed."""
    status = _STATUSES[tag.status]
    if status is ACCEPTED and tag.expiry_date is not None and tag.expiry_date <= now():
        return EXPIRED
    return status


def reserved_tag_authorization(
    reservations: list[HoldingReservation], key: str
) -> Authorization | None:
    """The decision on a tag the store does not know but a reservation here names.

    Accepted while the reservation holds (expiryDate tells an authorization cache when to
    drop it), and while the transaction that used it runs, so a repeated StartTransaction
    or the StopTransaction gets the same answer.
    """
    for reservation in reservations:
        if id_tag_key(reservation.id_tag) != key:
            continue
        return Authorization(
            ACCEPTED,
            reservation.expiry_date if reservation.status == "Reserved" else None,
            reservation.parent_id_tag or None,
        )
    return None
