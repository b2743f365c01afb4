"""Transactions, their meter values and unmatched stops: the rows billing is made of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ampyre.storage.sql import Cursor, Sql, json_text


@dataclass(slots=True, frozen=True)
class StopTarget:
    charge_point_id: str
    connector_id: int
    id_tag_key: str
    remote_start_id: int | None
    meter_start: int
    stopped: bool


_FIND_START = Sql(
    """SELECT id, authorization_status FROM transactions
       WHERE charge_point_id = :charge_point_id AND connector_id = :connector_id
         AND id_tag = :id_tag AND meter_start = :meter_start
         AND start_timestamp = :start_timestamp"""
)
_ACTIVE_FOR_TAG = Sql(
    """SELECT charge_point_id, connector_id FROM transactions
       WHERE id_tag_key = :key AND stop_timestamp IS NULL"""
)
#: A repeated StartTransaction meets uq_transactions_start and inserts nothing.
_INSERT = Sql(
    """INSERT INTO transactions (charge_point_id, connector_id, id_tag, id_tag_key,
         authorization_status, reservation_id, meter_start, start_timestamp, created_at)
       VALUES (:charge_point_id, :connector_id, :id_tag, :id_tag_key, :authorization_status,
         :reservation_id, :meter_start, :start_timestamp, :created_at)
       ON CONFLICT (charge_point_id, connector_id, id_tag, meter_start, start_timestamp)
       DO NOTHING
       RETURNING id"""
)
_FOR_STOP = Sql(
    """SELECT charge_point_id, connector_id, id_tag_key, remote_start_id, meter_start,
         stop_timestamp FROM transactions WHERE id = :id"""
)
#: Stops a running transaction of this charge point, and tells what it was.
_STOP = Sql(
    """UPDATE transactions SET meter_stop = :meter_stop, stop_timestamp = :stop_timestamp,
         stop_reason = :stop_reason, stop_id_tag = :stop_id_tag, stopped_at = :stopped_at
       WHERE id = :id AND charge_point_id = :charge_point_id AND stop_timestamp IS NULL
       RETURNING charge_point_id, connector_id, id_tag_key, remote_start_id, meter_start"""
)
_INSERT_UNMATCHED_STOP = Sql(
    """INSERT INTO unmatched_stops (charge_point_id, transaction_id, id_tag, meter_stop,
         timestamp, reason, transaction_data, received_at)
       VALUES (:charge_point_id, :transaction_id, :id_tag, :meter_stop, :timestamp, :reason,
         :transaction_data, :received_at)"""
)
_INSERT_METER_VALUE = Sql(
    """INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp,
         sampled_value, source, received_at)
       VALUES (:charge_point_id, :connector_id, :transaction_id, :timestamp, :sampled_value,
         :source, :received_at)"""
)
_DELETE_TX_PROFILES = Sql(
    """DELETE FROM charging_profiles
       WHERE charge_point_id = :charge_point_id AND transaction_id = :transaction_id"""
)
_MAY_NEED_LINKING = Sql(
    """SELECT EXISTS (SELECT 1 FROM remote_starts
         WHERE charge_point_id = :charge_point_id AND id_tag_key = :key
           AND state = 'Pending' AND expires_at > :now
           AND (connector_id IS NULL OR connector_id IN (0, :connector_id)))
       OR EXISTS (SELECT 1 FROM reservations
         WHERE charge_point_id = :charge_point_id AND status = 'Reserved'
           AND connector_id IN (0, :connector_id) AND expiry_date > :start)"""
)


def find_start(
    cursor: Cursor,
    charge_point_id: str,
    connector_id: int,
    id_tag: str,
    meter_start: int,
    start_timestamp: datetime,
) -> tuple[int, str] | None:
    """The transaction a repeated StartTransaction already made (uq_transactions_start)."""
    rows = cursor.rows(
        _FIND_START,
        {
            "charge_point_id": charge_point_id,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "meter_start": meter_start,
            "start_timestamp": cursor.timestamp(start_timestamp),
        },
    )
    return (int(rows[0][0]), rows[0][1]) if rows else None


def active_for_tag(cursor: Cursor, key: str) -> list[tuple[str, int]]:
    """Where a tag's unfinished transactions run."""
    return [(row[0], int(row[1])) for row in cursor.rows(_ACTIVE_FOR_TAG, {"key": key})]


def insert(
    cursor: Cursor,
    *,
    charge_point_id: str,
    connector_id: int,
    id_tag: str,
    id_tag_key: str,
    authorization_status: str,
    reservation_id: int | None,
    meter_start: int,
    start_timestamp: datetime,
    created_at: datetime,
) -> int | None:
    """The new transaction's id; None when the same start is already stored."""
    rows = cursor.rows(
        _INSERT,
        {
            "charge_point_id": charge_point_id,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "id_tag_key": id_tag_key,
            "authorization_status": authorization_status,
            "reservation_id": reservation_id,
            "meter_start": meter_start,
            "start_timestamp": cursor.timestamp(start_timestamp),
            "created_at": cursor.timestamp(created_at),
        },
    )
    return int(rows[0][0]) if rows else None


def may_need_linking(
    cursor: Cursor,
    charge_point_id: str,
    connector_id: int,
    key: str,
    reservation_id: int | None,
    start_timestamp: datetime,
    now: datetime,
) -> bool:
    """Whether a remote start or a reservation may end in this new transaction (errs
    towards True), so that most StartTransactions skip the linking work."""
    if reservation_id is not None:
        return True
    rows = cursor.rows(
        _MAY_NEED_LINKING,
        {
            "charge_point_id": charge_point_id,
            "key": key,
            "connector_id": connector_id,
            "now": cursor.timestamp(now),
            "start": cursor.timestamp(start_timestamp),
        },
    )
    return bool(rows[0][0])


def for_stop(cursor: Cursor, transaction_id: int) -> StopTarget | None:
    rows = cursor.rows(_FOR_STOP, {"id": transaction_id})
    if not rows:
        return None
    cp, connector, key, remote_start_id, meter_start, stop_timestamp = rows[0]
    return StopTarget(
        cp, int(connector), key, remote_start_id, int(meter_start), stop_timestamp is not None
    )


def stop(
    cursor: Cursor,
    transaction_id: int,
    *,
    charge_point_id: str,
    meter_stop: int,
    stop_timestamp: datetime,
    stop_reason: str,
    stop_id_tag: str | None,
    stopped_at: datetime,
) -> StopTarget | None:
    """Stop the charge point's running transaction; what it was, or None when it is not
    a running transaction of this charge point (then nothing changed)."""
    rows = cursor.rows(
        _STOP,
        {
            "id": transaction_id,
            "charge_point_id": charge_point_id,
            "meter_stop": meter_stop,
            "stop_timestamp": cursor.timestamp(stop_timestamp),
            "stop_reason": stop_reason,
            "stop_id_tag": stop_id_tag,
            "stopped_at": cursor.timestamp(stopped_at),
        },
    )
    if not rows:
        return None
    # TxProfiles end with their transaction (OCPP 1.6, 3.13.2).
    cursor.execute(
        _DELETE_TX_PROFILES,
        {"charge_point_id": charge_point_id, "transaction_id": transaction_id},
    )
    cp, connector, key, remote_start_id, meter_start = rows[0]
    return StopTarget(cp, int(connector), key, remote_start_id, int(meter_start), False)


def insert_unmatched_stop(
    cursor: Cursor,
    *,
    charge_point_id: str,
    transaction_id: int,
    id_tag: str | None,
    meter_stop: int,
    timestamp: datetime,
    reason: str,
    transaction_data: list[dict[str, Any]],
    received_at: datetime,
) -> None:
    cursor.execute(
        _INSERT_UNMATCHED_STOP,
        {
            "charge_point_id": charge_point_id,
            "transaction_id": transaction_id,
            "id_tag": id_tag,
            "meter_stop": meter_stop,
            "timestamp": cursor.timestamp(timestamp),
            "reason": reason,
            "transaction_data": json_text(transaction_data),
            "received_at": cursor.timestamp(received_at),
        },
    )


def insert_meter_values(
    cursor: Cursor,
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    meter_values: Sequence[tuple[datetime, list[dict[str, Any]]]],
    source: str,
    received_at: datetime,
) -> None:
    """One row per OCPP MeterValue, its sampled values kept verbatim."""
    received = cursor.timestamp(received_at)
    cursor.executemany(
        _INSERT_METER_VALUE,
        [
            (
                charge_point_id,
                connector_id,
                transaction_id,
                cursor.timestamp(timestamp),
                json_text(sampled),
                source,
                received,
            )
            for timestamp, sampled in meter_values
        ],
    )
