"""The relational model of the CSMS.

One table per thing the operator reads back: charge points and their connectors, id tags,
transactions with their meter values, remote starts, reservations, installed charging
profiles, and the schema deviations of lenient charge points.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ampyre.storage.types import UTCDateTime

# BigInteger primary keys autoincrement on PostgreSQL; SQLite only does so for INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Setting(Base):
    """Server-wide key/value settings, such as the generated operator API token."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ChargePoint(Base):
    __tablename__ = "charge_points"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    security_profile: Mapped[int] = mapped_column(Integer, default=0)
    #: What the next BootNotification is answered with (set by the operator).
    registration_status: Mapped[str] = mapped_column(String(16), default="Accepted")
    #: What the last BootNotification was answered with; None before the first boot.
    boot_status: Mapped[str | None] = mapped_column(String(16))
    lenient: Mapped[bool] = mapped_column(Boolean, default=False)
    charge_point_vendor: Mapped[str | None] = mapped_column(String(64))
    charge_point_model: Mapped[str | None] = mapped_column(String(64))
    charge_point_serial_number: Mapped[str | None] = mapped_column(String(64))
    charge_box_serial_number: Mapped[str | None] = mapped_column(String(64))
    firmware_version: Mapped[str | None] = mapped_column(String(64))
    iccid: Mapped[str | None] = mapped_column(String(64))
    imsi: Mapped[str | None] = mapped_column(String(64))
    meter_type: Mapped[str | None] = mapped_column(String(64))
    meter_serial_number: Mapped[str | None] = mapped_column(String(64))
    last_seen: Mapped[datetime | None]
    last_boot: Mapped[datetime | None]
    firmware_status: Mapped[str | None] = mapped_column(String(32))
    diagnostics_status: Mapped[str | None] = mapped_column(String(32))
    local_list_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Connector(Base):
    """The last StatusNotification per connector; connector 0 is the charge point itself."""

    __tablename__ = "connectors"

    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(32))
    error_code: Mapped[str] = mapped_column(String(32))
    info: Mapped[str | None] = mapped_column(String(64))
    vendor_id: Mapped[str | None] = mapped_column(String(255))
    vendor_error_code: Mapped[str | None] = mapped_column(String(64))
    timestamp: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class IdTag(Base):
    __tablename__ = "id_tags"

    #: Id tags compare case-insensitively (OCPP 1.6, IdToken is case-insensitive); the
    #: key is the lower-cased tag and the tag keeps the spelling the operator gave.
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="Accepted")
    expiry_date: Mapped[datetime | None]
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    allow_concurrent_tx: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        # A StartTransaction re-sent after a reconnect is the same transaction.
        UniqueConstraint(
            "charge_point_id",
            "connector_id",
            "id_tag",
            "meter_start",
            "start_timestamp",
            name="uq_transactions_start",
        ),
        Index("ix_transactions_charge_point_active", "charge_point_id", "stop_timestamp"),
        Index("ix_transactions_id_tag_key", "id_tag_key", "stop_timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255), index=True)
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String(20))
    id_tag_key: Mapped[str] = mapped_column(String(20))
    #: The idTagInfo.status the StartTransaction was answered with.
    authorization_status: Mapped[str] = mapped_column(String(16))
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    meter_start: Mapped[int] = mapped_column(BigInteger)
    start_timestamp: Mapped[datetime]
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    stop_timestamp: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    stop_id_tag: Mapped[str | None] = mapped_column(String(20))
    remote_start_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class MeterValue(Base):
    """One OCPP MeterValue: a timestamp and its sampled values, kept verbatim."""

    __tablename__ = "meter_values"
    __table_args__ = (Index("ix_meter_values_transaction", "transaction_id", "timestamp"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int] = mapped_column(Integer)
    #: As the charge point sent it: may name a transaction the CSMS does not know.
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    timestamp: Mapped[datetime]
    sampled_value: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: "MeterValues" or "StopTransaction" (its transactionData).
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]


class UnmatchedStop(Base):
    """A StopTransaction naming a transaction the CSMS never assigned: kept, never dropped."""

    __tablename__ = "unmatched_stops"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255), index=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    id_tag: Mapped[str | None] = mapped_column(String(20))
    meter_stop: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(32))
    transaction_data: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    received_at: Mapped[datetime]


class RemoteStart(Base):
    """An operator's RemoteStartTransaction, followed until it becomes a transaction."""

    __tablename__ = "remote_starts"
    __table_args__ = (Index("ix_remote_starts_lookup", "charge_point_id", "id_tag_key", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int | None] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String(20))
    id_tag_key: Mapped[str] = mapped_column(String(20))
    #: Pending (sent, waiting for StartTransaction), Started, Rejected, TimedOut, Failed.
    state: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Reservation(Base):
    __tablename__ = "reservations"

    reservation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    charge_point_id: Mapped[str] = mapped_column(String(255), index=True)
    connector_id: Mapped[int] = mapped_column(Integer)
    id_tag: Mapped[str] = mapped_column(String(20))
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    expiry_date: Mapped[datetime]
    #: Reserved, Used, Cancelled, Expired, Rejected.
    status: Mapped[str] = mapped_column(String(16))
    #: Why a reservation was Rejected: the charge point's answer (Faulted, Occupied, ...).
    reason: Mapped[str | None] = mapped_column(String(32))
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InstalledChargingProfile(Base):
    """A charging profile the charge point accepted, as the CSMS records it."""

    __tablename__ = "charging_profiles"
    __table_args__ = (Index("ix_charging_profiles_cp", "charge_point_id", "connector_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    connector_id: Mapped[int] = mapped_column(Integer)
    charging_profile_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(32))
    stack_level: Mapped[int] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    installed_at: Mapped[datetime]


class SchemaDeviation(Base):
    """How a lenient charge point breaks the schema: one row per kind of deviation."""

    __tablename__ = "schema_deviations"
    __table_args__ = (
        UniqueConstraint("charge_point_id", "action", "path", "kind", name="uq_schema_deviation"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class ConfigurationKey(Base):
    """A charge point's configuration key as its last answer showed it (OCPP 1.6, 9)."""

    __tablename__ = "configuration_keys"

    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(500))
    readonly: Mapped[bool | None] = mapped_column(Boolean)
    #: False for a key the charge point reported in `unknownKey`.
    known: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]
