"""Id tags, and what else can make an unknown tag valid at a charge point (remote starts,
reservations), as authorization decisions read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ampyre.storage.sql import Cursor, Sql


@dataclass(slots=True, frozen=True)
class TagRecord:
    status: str
    expiry_date: datetime | None
    parent_id_tag: str | None
    allow_concurrent_tx: bool


@dataclass(slots=True, frozen=True)
class HoldingReservation:
    id_tag: str
    status: str
    expiry_date: datetime | None
    parent_id_tag: str | None


_TAG = Sql(
    "SELECT status, expiry_date, parent_id_tag, allow_concurrent_tx FROM id_tags WHERE key = :key"
)
_REMOTE_START_PENDING = Sql(
    """SELECT id FROM remote_starts
       WHERE charge_point_id = :charge_point_id AND id_tag_key = :key
         AND state = 'Pending' AND expires_at > :now LIMIT 1"""
)
_HOLDING_RESERVATIONS = Sql(
    """SELECT r.id_tag, r.status, r.expiry_date, r.parent_id_tag
       FROM reservations r LEFT OUTER JOIN transactions t ON t.id = r.transaction_id
       WHERE r.charge_point_id = :charge_point_id
         AND ((r.status = 'Reserved' AND r.expiry_date > :now)
              OR (r.status = 'Used' AND t.id IS NOT NULL AND t.stop_timestamp IS NULL))
       ORDER BY r.expiry_date DESC"""
)


def find(cursor: Cursor, key: str) -> TagRecord | None:
    rows = cursor.rows(_TAG, {"key": key})
    if not rows:
        return None
    status, expiry, parent, concurrent = rows[0]
    return TagRecord(status, cursor.read_timestamp(expiry), parent, bool(concurrent))


def remote_start_pending(cursor: Cursor, charge_point_id: str, key: str, now: datetime) -> bool:
    params = {"charge_point_id": charge_point_id, "key": key, "now": cursor.timestamp(now)}
    return bool(cursor.rows(_REMOTE_START_PENDING, params))


def holding_reservations(
    cursor: Cursor, charge_point_id: str, now: datetime
) -> list[HoldingReservation]:
    rows = cursor.rows(
        _HOLDING_RESERVATIONS, {"charge_point_id": charge_point_id, "now": cursor.timestamp(now)}
    )
    return [
        HoldingReservation(tag, status, cursor.read_timestamp(expiry), parent)
        for tag, status, expiry, parent in rows
    ]
