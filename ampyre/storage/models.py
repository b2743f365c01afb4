"""The relational model of the CSMS.

One table per thing the operator reads back: charge points and their connectors, id tags,
transactions with their meter values, remote starts, reservations, installed charging
profiles, and the schema deviations of lenient charge points.

One module, past 400 lines: the 32 tables are one declarative registry and one metadata,
which Alembic compares against the migrated schema; their relationships name each other.
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
    #: key is the case-folded tag (which can be longer: "ß" folds to "ss") and the tag
    #: keeps the spelling the operator gave.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
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
    id_tag_key: Mapped[str] = mapped_column(String(64))
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
    id_tag_key: Mapped[str] = mapped_column(String(64))
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


class LocalList(Base):
    """The CSMS's side of one charge point's Local Authorization List (OCPP 1.6, 3.5.2).

    The policy says which id tags the list is built from; the rest is what the CSMS knows
    of the list the charge point holds, learned from its SendLocalList and
    GetLocalListVersion answers.
    """

    __tablename__ = "local_lists"

    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    #: "all" id tags, a "group" (members of parent_id_tag) or the explicit "tags".
    source: Mapped[str] = mapped_column(String(8), default="all")
    parent_id_tag: Mapped[str | None] = mapped_column(String(20))
    id_tags: Mapped[list[str] | None] = mapped_column(JSON)
    #: Operator-set limits; None: ask the charge point (its configuration keys).
    local_auth_list_max_length: Mapped[int | None] = mapped_column(Integer)
    send_local_list_max_length: Mapped[int | None] = mapped_column(Integer)
    #: The listVersion of the last SendLocalList the charge point accepted.
    sent_version: Mapped[int | None] = mapped_column(Integer)
    accepted_at: Mapped[datetime | None]
    #: The highest listVersion ever sent, answered or not: new versions go above it.
    attempted_version: Mapped[int | None] = mapped_column(Integer)
    #: Whether local_list_entries is exactly the list the charge point holds at
    #: sent_version (False until a Full update was accepted).
    entries_known: Mapped[bool] = mapped_column(Boolean, default=False)
    #: sha256 of the entries (see services.local_lists.algebra.content_digest): compared with the
    #: policy's current list to tell out-of-date lists without loading every entry.
    entries_digest: Mapped[str | None] = mapped_column(String(64))
    #: The last GetLocalListVersion answer and when it came.
    charge_point_version: Mapped[int | None] = mapped_column(Integer)
    charge_point_version_at: Mapped[datetime | None]
    #: False once the charge point said it has no local list (NotSupported, version -1).
    supported: Mapped[bool | None] = mapped_column(Boolean)
    #: The report of the last SendLocalList exchange, as the operator sees it.
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class LocalListEntry(Base):
    """One AuthorizationData the charge point holds, as the CSMS sent it."""

    __tablename__ = "local_list_entries"

    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    #: The id tag in its compared (case-folded) form, as in id_tags.key.
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    id_tag: Mapped[str] = mapped_column(String(20))
    id_tag_info: Mapped[dict[str, Any]] = mapped_column(JSON)


# -- Firmware Management (OCPP 1.6, 4.4, 4.5, 5.9, 5.19) -----------------------------------


class TransferAttemptColumns:
    """What an UpdateFirmware and a GetDiagnostics attempt both record (AttemptTracker)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    #: The location sent, with any password in it masked.
    location: Mapped[str] = mapped_column(Text)
    retries: Mapped[int | None] = mapped_column(Integer)
    retry_interval: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    #: Why it was Rejected or failed on the CSMS side (CALLERROR, no answer, not connected).
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class StatusEventColumns:
    """A status notification as received; the attempt it reports on is the subclass's."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime]


class FirmwareImage(Base):
    """A firmware file the operator uploaded, served to charge points at an unguessable URL."""

    __tablename__ = "firmware_images"
    __table_args__ = (UniqueConstraint("token", name="uq_firmware_images_token"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    #: The random path segment of its public URL: /files/firmware/{token}/{filename}.
    token: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime]


class FirmwareRollout(Base):
    """One firmware image sent to many charge points; each one's progress is a FirmwareUpdate."""

    __tablename__ = "firmware_rollouts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    firmware_image_id: Mapped[int | None] = mapped_column(BigInteger)
    location: Mapped[str] = mapped_column(Text)
    retrieve_date: Mapped[datetime]
    retries: Mapped[int | None] = mapped_column(Integer)
    retry_interval: Mapped[int | None] = mapped_column(Integer)
    #: How many UpdateFirmware calls may wait for their answer at once.
    concurrency: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    #: A signed rollout (SignedUpdateFirmware) sends these two; None: UpdateFirmware.
    signature: Mapped[str | None] = mapped_column(Text)
    signing_certificate: Mapped[str | None] = mapped_column(Text)


class FirmwareUpdate(TransferAttemptColumns, Base):
    """One UpdateFirmware attempt on one charge point, followed by its status notifications.

    status: Pending, Offline, Sending, Sent, Rejected, Error, Cancelled, Superseded, then the
    FirmwareStatus values the charge point reports (Downloading ... Installed, *Failed).
    """

    __tablename__ = "firmware_updates"
    __table_args__ = (
        Index("ix_firmware_updates_charge_point", "charge_point_id", "id"),
        Index("ix_firmware_updates_rollout", "rollout_id", "status"),
    )

    firmware_image_id: Mapped[int | None] = mapped_column(BigInteger)
    rollout_id: Mapped[int | None] = mapped_column(BigInteger)
    retrieve_date: Mapped[datetime]
    #: Sent as SignedUpdateFirmware (its requestId is this attempt's id).
    signed: Mapped[bool] = mapped_column(Boolean, default=False)


class FirmwareStatusEvent(StatusEventColumns, Base):
    """Every FirmwareStatusNotification, linked to the attempt it reports on (if any)."""

    __tablename__ = "firmware_status_events"
    __table_args__ = (
        Index("ix_firmware_status_events_cp", "charge_point_id", "received_at"),
        Index("ix_firmware_status_events_update", "firmware_update_id"),
    )

    firmware_update_id: Mapped[int | None] = mapped_column(BigInteger)


class DiagnosticsRequest(TransferAttemptColumns, Base):
    """One GetDiagnostics on one charge point: where it uploads, what it answered, progress.

    status: Sending, Sent, NoFile, Rejected, Error, Superseded, then the DiagnosticsStatus
    values the charge point reports (Uploading, Uploaded, UploadFailed).
    """

    __tablename__ = "diagnostics_requests"
    __table_args__ = (
        Index("ix_diagnostics_requests_charge_point", "charge_point_id", "id"),
        UniqueConstraint("upload_token", name="uq_diagnostics_requests_upload_token"),
        UniqueConstraint("ftp_username", name="uq_diagnostics_requests_ftp_username"),
    )

    #: http, ftp (an upload slot on this server) or external (a location of the operator's).
    transport: Mapped[str] = mapped_column(String(16))
    upload_token: Mapped[str | None] = mapped_column(String(64))
    ftp_username: Mapped[str | None] = mapped_column(String(64))
    #: SHA-256 of the one-time FTP password (a random secret, so no slow hash is needed).
    ftp_password_hash: Mapped[str | None] = mapped_column(String(64))
    start_time: Mapped[datetime | None]
    stop_time: Mapped[datetime | None]
    #: GetDiagnostics.conf fileName: absent when the charge point has no diagnostics.
    file_name: Mapped[str | None] = mapped_column(String(255))
    #: Until when the upload slot takes files (also closed once the request finishes).
    upload_expires_at: Mapped[datetime | None]
    #: GetLog's logType (DiagnosticsLog, SecurityLog; its requestId is this request's id);
    #: None for GetDiagnostics.
    log_type: Mapped[str | None] = mapped_column(String(32))


class DiagnosticsStatusEvent(StatusEventColumns, Base):
    """Every DiagnosticsStatusNotification, linked to the request it reports on (if any)."""

    __tablename__ = "diagnostics_status_events"
    __table_args__ = (
        Index("ix_diagnostics_status_events_cp", "charge_point_id", "received_at"),
        Index("ix_diagnostics_status_events_request", "diagnostics_request_id"),
    )

    diagnostics_request_id: Mapped[int | None] = mapped_column(BigInteger)


class DiagnosticsFile(Base):
    """A diagnostics file a charge point uploaded to this server (over HTTP or FTP)."""

    __tablename__ = "diagnostics_files"
    __table_args__ = (
        UniqueConstraint("diagnostics_request_id", "filename", name="uq_diagnostics_files_name"),
        Index("ix_diagnostics_files_charge_point", "charge_point_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    diagnostics_request_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    #: http or ftp.
    transport: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]


# -- Smart Charging (OCPP 1.6, 3.13, 5.5, 5.7, 5.16) ---------------------------------------


class RemoteStartChargingProfile(Base):
    """The TxProfile of a RemoteStartTransaction, held until its transaction starts.

    It is recorded against the transaction the remote start becomes (OCPP 1.6, 5.16.2).
    """

    __tablename__ = "remote_start_charging_profiles"

    remote_start_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), index=True
    )
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class ChargingProfileIdSequence(Base):
    """The last chargingProfileId the CSMS assigned on a charge point: ids are never reused."""

    __tablename__ = "charging_profile_id_sequences"

    charge_point_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    last_id: Mapped[int] = mapped_column(Integer)


# -- Reservation and Remote Trigger (OCPP 1.6, 5.1, 5.13, 5.17) ----------------------------


class ReservationIdSequence(Base):
    """The last reservationId the CSMS assigned; one row, so ids are unique across charge
    points and taking one is a single atomic UPDATE, safe under concurrent creates."""

    __tablename__ = "reservation_id_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)


class TriggerRequest(Base):
    """A TriggerMessage the CSMS sent, the charge point's answer, and whether the requested
    message then arrived within the arrival window."""

    __tablename__ = "trigger_requests"
    __table_args__ = (Index("ix_trigger_requests_charge_point", "charge_point_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    requested_message: Mapped[str] = mapped_column(String(32))
    connector_id: Mapped[int | None] = mapped_column(Integer)
    #: The TriggerMessageStatus (Accepted, Rejected, NotImplemented - also for a CALLERROR
    #: NotImplemented/NotSupported), CallError for any other CALLERROR, TimedOut.
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_description: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    #: Accepted only: until when the requested message counts as the trigger's answer.
    expected_by: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    arrivals: Mapped[int] = mapped_column(Integer, default=0)


class ChargePointEvent(Base):
    """A notification a charge point sent that the CSMS keeps as a log entry: security
    events, log upload and signed firmware status (OCPP 1.6 security extension)."""

    __tablename__ = "charge_point_events"
    __table_args__ = (Index("ix_charge_point_events_cp", "charge_point_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    #: The event's own time where the message has one, else when it was received.
    timestamp: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime]


# -- Operator accounts, API tokens and the audit log ---------------------------------------


class Account(Base):
    """An operator of the CSMS: a name, a role (viewer, operator, admin) and an optional
    Argon2id password hash; it reaches the REST API through its API tokens."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token of an account, kept as the SHA-256 of its secret (the secret itself
    is shown once, when it is made) with a short public prefix to recognise it by."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One change an operator made through the REST API (or the CLI): who, when, what,
    from where and how it ended. Written once, never changed: the account is kept by name,
    so the entry outlives the account."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_timestamp", "timestamp"),
        Index("ix_audit_log_account", "account", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime]
    account: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(String(255))


# -- Charge point certificates (security whitepaper A02/A03, M03-M05) ----------------------


class IssuedCertificate(Base):
    """A charge point certificate the CSMS's certificate authority signed in answer to a
    SignCertificate, and what the charge point answered to the CertificateSigned that
    carried it. The certificate is public; its key never left the charge point."""

    __tablename__ = "issued_certificates"
    __table_args__ = (
        Index("ix_issued_certificates_cp", "charge_point_id", "id"),
        Index("ix_issued_certificates_not_after", "not_after"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    #: Hexadecimal, without leading zeroes (as CertificateHashData writes it).
    serial_number: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(512))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    issued_at: Mapped[datetime]
    certificate: Mapped[str] = mapped_column(Text)
    #: The CertificateSigned answer (Accepted, Rejected), Sending until it comes, or
    #: CallError, TimedOut, NotSent (the charge point went away).
    status: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    #: When the renewal policy last asked the charge point for a new CSR for it.
    renewal_requested_at: Mapped[datetime | None]


class InstalledCertificate(Base):
    """A CA certificate a charge point holds, by its hash data: as it last reported them
    (GetInstalledCertificateIds), or as installed (InstallCertificate Accepted) since."""

    __tablename__ = "installed_certificates"
    __table_args__ = (
        UniqueConstraint(
            "charge_point_id",
            "certificate_type",
            "hash_algorithm",
            "issuer_name_hash",
            "issuer_key_hash",
            "serial_number",
            name="uq_installed_certificates",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    #: CentralSystemRootCertificate or ManufacturerRootCertificate.
    certificate_type: Mapped[str] = mapped_column(String(32))
    hash_algorithm: Mapped[str] = mapped_column(String(8))
    issuer_name_hash: Mapped[str] = mapped_column(String(128))
    issuer_key_hash: Mapped[str] = mapped_column(String(128))
    serial_number: Mapped[str] = mapped_column(String(40))
    #: How the CSMS learned of it: Reported (GetInstalledCertificateIds) or Installed.
    source: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]


# -- Webhooks ----------------------------------------------------------------------------


class Webhook(Base):
    """An integrator's subscription: live events POSTed to a URL, signed with its secret
    (kept as given: the signature needs it; it is shown once, when made)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048))
    #: The event types it wants; empty: all.
    event_types: Mapped[list[str]] = mapped_column(JSON)
    charge_point_id: Mapped[str | None] = mapped_column(String(255))
    secret: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """The outbox: one event for one webhook, from its arrival until it is delivered, has
    failed every attempt or was dropped. A node claims due rows for a while
    (`claim`, `claimed_until`) so that, in a cluster, one node sends each."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_webhook", "webhook_id", "state", "id"),
        Index("ix_webhook_deliveries_updated", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    charge_point_id: Mapped[str | None] = mapped_column(String(255))
    #: The exact JSON body that is signed and sent.
    body: Mapped[str] = mapped_column(Text)
    #: pending, delivered, failed (every attempt) or dropped (past the pending cap).
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claim: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Each attempt: {"attempt", "time", "statusCode", "error", "nextAttemptAt"}.
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# -- The OCPP message log ------------------------------------------------------------------


class OcppMessage(Base):
    """One OCPP-J frame a charge point sent or was sent, as it went over the wire.

    Written in batches beside the message path (`services/message_log.py`), pruned after
    the retention time. No foreign key: a frame is history, kept whatever happens to its
    charge point's record, and a batch never fails for one removed charge point.
    """

    __tablename__ = "ocpp_messages"
    __table_args__ = (
        Index("ix_ocpp_messages_cp_time", "charge_point_id", "time", "id"),
        Index("ix_ocpp_messages_time", "time"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[str] = mapped_column(String(255))
    time: Mapped[datetime]
    #: "in" (from the charge point) or "out" (from the CSMS).
    direction: Mapped[str] = mapped_column(String(3))
    #: 2 CALL, 3 CALLRESULT, 4 CALLERROR; None for a frame that could not be parsed.
    message_type: Mapped[int | None] = mapped_column(Integer)
    unique_id: Mapped[str | None] = mapped_column(String(64))
    #: A CALL's action; for an answer, the action of the CALL it answers.
    action: Mapped[str | None] = mapped_column(String(64))
    #: The frame's text, cut to `size` limits (see `MessageLog`).
    frame: Mapped[str] = mapped_column(Text)
    #: The length of the whole frame (characters): more than `frame` holds when cut.
    size: Mapped[int] = mapped_column(Integer)
    #: For an answer: microseconds since its CALL was received or sent.
    answer_us: Mapped[int | None] = mapped_column(BigInteger)
