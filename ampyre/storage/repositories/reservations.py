"""Reservations, as the charge point's status reports end them."""

from __future__ import annotations

from datetime import datetime

from ampyre.storage.sql import Cursor, Sql

_END_ON_CONNECTOR = Sql(
    """UPDATE reservations SET status = :new_status, reason = :reason, updated_at = :now
       WHERE charge_point_id = :charge_point_id AND status = 'Reserved'
         AND connector_id = :connector_id AND expiry_date <= :expired_by
       RETURNING reservation_id"""
)
_END_ALL = Sql(
    """UPDATE reservations SET status = :new_status, reason = :reason, updated_at = :now
       WHERE charge_point_id = :charge_point_id AND status = 'Reserved'
       RETURNING reservation_id"""
)


def end_reserved(
    cursor: Cursor,
    charge_point_id: str,
    *,
    connector_id: int | None,
    expired_by: datetime | None,
    new_status: str,
    reason: str | None,
    now: datetime,
) -> list[int]:
    """End the charge point's Reserved reservations, of one connector (and only those
    expired by `expired_by`, when given) or all of them; the ids ended."""
    params = {
        "charge_point_id": charge_point_id,
        "new_status": new_status,
        "reason": reason,
        "now": cursor.timestamp(now),
    }
    if connector_id is None:
        rows = cursor.rows(_END_ALL, params)
    else:
        params["connector_id"] = connector_id
        # Far in the future when not given: every reservation of the connector ends.
        params["expired_by"] = cursor.timestamp(expired_by or datetime.max)
        rows = cursor.rows(_END_ON_CONNECTOR, params)
    return [int(row[0]) for row in rows]
