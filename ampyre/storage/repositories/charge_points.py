"""Charge points and their connectors, as connections, boots and status reports touch them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ampyre.storage.sql import Cursor, Sql


@dataclass(slots=True, frozen=True)
class Admission:
    """What deciding on a connection needs to know of a charge point."""

    password_hash: str | None
    security_profile: int
    lenient: bool
    boot_status: str | None


_ADMISSION = Sql(
    """SELECT password_hash, security_profile, lenient, boot_status
       FROM charge_points WHERE id = :id"""
)
_REGISTER = Sql(
    """INSERT INTO charge_points (id, security_profile, registration_status, lenient,
         created_at)
       VALUES (:id, 0, 'Accepted', :lenient, :created_at)
       ON CONFLICT (id) DO NOTHING"""
)
_BOOT = Sql(
    """UPDATE charge_points SET charge_point_vendor = :charge_point_vendor,
         charge_point_model = :charge_point_model,
         charge_point_serial_number = :charge_point_serial_number,
         charge_box_serial_number = :charge_box_serial_number,
         firmware_version = :firmware_version, iccid = :iccid, imsi = :imsi,
         meter_type = :meter_type, meter_serial_number = :meter_serial_number,
         boot_status = registration_status, last_boot = :now, last_seen = :now
       WHERE id = :id
       RETURNING registration_status"""
)
_LAST_SEEN = Sql(
    """UPDATE charge_points SET last_seen = :last_seen
       WHERE id = :id AND (last_seen IS NULL OR last_seen < :last_seen)"""
)
_STATUS_COLUMNS = "status, error_code, info, vendor_id, vendor_error_code, timestamp, updated_at"
_STATUS_UPSERT = f"""
    INSERT INTO connectors (charge_point_id, connector_id, {_STATUS_COLUMNS})
    VALUES (:charge_point_id, :connector_id, :status, :error_code, :info, :vendor_id,
      :vendor_error_code, :timestamp, :updated_at)
    ON CONFLICT (charge_point_id, connector_id) DO UPDATE SET
      status = excluded.status, error_code = excluded.error_code, info = excluded.info,
      vendor_id = excluded.vendor_id, vendor_error_code = excluded.vendor_error_code,
      timestamp = excluded.timestamp, updated_at = excluded.updated_at"""
_SET_STATUS = Sql(_STATUS_UPSERT)
#: Queued notifications may arrive out of order: a timestamped one keeps the newest state.
_SET_STATUS_IF_NEWER = Sql(
    _STATUS_UPSERT
    + " WHERE connectors.timestamp IS NULL OR excluded.timestamp >= connectors.timestamp"
)

#: The charge_points columns a boot sets.
BOOT_COLUMNS = (
    "charge_point_vendor",
    "charge_point_model",
    "charge_point_serial_number",
    "charge_box_serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
)


def admission(cursor: Cursor, charge_point_id: str) -> Admission | None:
    rows = cursor.rows(_ADMISSION, {"id": charge_point_id})
    if not rows:
        return None
    password_hash, profile, lenient, boot_status = rows[0]
    return Admission(password_hash, int(profile), bool(lenient), boot_status)


def register(cursor: Cursor, charge_point_id: str, created_at: datetime) -> None:
    """Register an identity on first connection (auto-register); a concurrent one wins."""
    cursor.execute(
        _REGISTER,
        {"id": charge_point_id, "lenient": False, "created_at": cursor.timestamp(created_at)},
    )


def record_boot(
    cursor: Cursor, charge_point_id: str, description: dict[str, Any], now: datetime
) -> str | None:
    """Store what the charge point says of itself (`description` by column); the
    registration status it gets."""
    params = {column: description.get(column) for column in BOOT_COLUMNS}
    params["id"] = charge_point_id
    params["now"] = cursor.timestamp(now)
    rows = cursor.rows(_BOOT, params)
    return str(rows[0][0]) if rows else None


def record_last_seen(cursor: Cursor, seen: dict[str, datetime]) -> None:
    cursor.executemany(
        _LAST_SEEN,
        [(cursor.timestamp(when), cp) for cp, when in seen.items()],  # last_seen, id
    )


def record_status(
    cursor: Cursor,
    charge_point_id: str,
    connector_id: int,
    *,
    status: str,
    error_code: str,
    info: str | None,
    vendor_id: str | None,
    vendor_error_code: str | None,
    timestamp: datetime,
    newest_only: bool,
    updated_at: datetime,
) -> None:
    cursor.execute(
        _SET_STATUS_IF_NEWER if newest_only else _SET_STATUS,
        {
            "charge_point_id": charge_point_id,
            "connector_id": connector_id,
            "status": status,
            "error_code": error_code,
            "info": info,
            "vendor_id": vendor_id,
            "vendor_error_code": vendor_error_code,
            "timestamp": cursor.timestamp(timestamp),
            "updated_at": cursor.timestamp(updated_at),
        },
    )


_DEVIATION = Sql(
    """INSERT INTO schema_deviations (charge_point_id, action, path, kind, detail, count,
         first_seen, last_seen)
       VALUES (:charge_point_id, :action, :path, :kind, :detail, 1, :now, :now)
       ON CONFLICT (charge_point_id, action, path, kind) DO UPDATE SET
         count = schema_deviations.count + 1, detail = excluded.detail,
         last_seen = excluded.last_seen"""
)


def record_deviations(
    cursor: Cursor,
    charge_point_id: str,
    deviations: list[tuple[str, str, str, str]],
    now: datetime,
) -> None:
    """Count each (action, path, kind, detail) a lenient charge point was forgiven."""
    moment = cursor.timestamp(now)
    for action, path, kind, detail in deviations:
        cursor.execute(
            _DEVIATION,
            {
                "charge_point_id": charge_point_id,
                "action": action,
                "path": path,
                "kind": kind,
                "detail": detail,
                "now": moment,
            },
        )
