"""Records as the REST API shows them: camelCase, timestamps in ISO 8601 UTC.

Each answer is a model (`base.ApiModel`) and a function that builds it from a record;
the models are also the OpenAPI description of the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ampyre.api.serializers.base import ApiModel, Items, Timestamp, page
from ampyre.services.clock import format_timestamp, now
from ampyre.storage import models as db

__all__ = ["ApiModel", "Items", "Timestamp", "page"]


class Connector(ApiModel):
    connector_id: int
    status: str | None
    error_code: str | None
    info: str | None
    vendor_id: str | None
    vendor_error_code: str | None
    timestamp: Timestamp | None


def connector(row: db.Connector) -> Connector:
    return Connector.from_record(row)


class ChargePoint(ApiModel):
    id: str
    connected: bool
    registration_status: str
    boot_status: str | None
    charge_point_vendor: str | None
    charge_point_model: str | None
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    firmware_version: str | None
    iccid: str | None
    imsi: str | None
    meter_type: str | None
    meter_serial_number: str | None
    last_seen: Timestamp | None
    last_boot: Timestamp | None
    firmware_status: str | None
    diagnostics_status: str | None
    local_list_version: int | None
    security_profile: int
    has_password: bool
    lenient: bool
    created_at: Timestamp | None
    connectors: list[Connector]


def charge_point(
    row: db.ChargePoint,
    *,
    connected: bool,
    connectors: list[db.Connector] | None = None,
    last_seen: datetime | None = None,
) -> ChargePoint:
    if row.last_seen is not None and (last_seen is None or row.last_seen > last_seen):
        last_seen = row.last_seen
    return ChargePoint.from_record(
        row,
        connected=connected,
        last_seen=format_timestamp(last_seen),
        has_password=row.password_hash is not None,
        connectors=[connector(c) for c in connectors or []],
    )


class IdTag(ApiModel):
    id_tag: str
    status: str
    expiry_date: Timestamp | None
    parent_id_tag: str | None
    allow_concurrent_tx: bool
    created_at: Timestamp | None
    updated_at: Timestamp | None


def id_tag(row: db.IdTag) -> IdTag:
    return IdTag.from_record(row)


class Transaction(ApiModel):
    transaction_id: int
    charge_point_id: str
    connector_id: int
    id_tag: str
    authorization_status: str | None
    reservation_id: int | None
    meter_start: int
    start_timestamp: Timestamp | None
    meter_stop: int | None
    stop_timestamp: Timestamp | None
    stop_reason: str | None
    stop_id_tag: str | None
    energy_wh: int | None
    remote_start_id: int | None
    active: bool


class MeterValue(ApiModel):
    timestamp: Timestamp | None
    sampled_value: list[dict[str, Any]]
    connector_id: int | None
    source: str | None


class TransactionWithMeterValues(Transaction):
    meter_values: list[MeterValue]


def _transaction_fields(row: db.Transaction) -> dict[str, Any]:
    """The fields a transaction's record names otherwise or that are worked out."""
    return {
        "transaction_id": row.id,
        "energy_wh": row.meter_stop - row.meter_start if row.meter_stop is not None else None,
        "active": row.stop_timestamp is None,
    }


def transaction(row: db.Transaction) -> Transaction:
    return Transaction.from_record(row, **_transaction_fields(row))


def transaction_with_meter_values(
    row: db.Transaction, meter_values: list[db.MeterValue]
) -> TransactionWithMeterValues:
    return TransactionWithMeterValues.from_record(
        row,
        **_transaction_fields(row),
        meter_values=[MeterValue.from_record(value) for value in meter_values],
    )


class UnmatchedStop(ApiModel):
    id: int
    charge_point_id: str
    transaction_id: int
    id_tag: str | None
    meter_stop: int
    timestamp: Timestamp | None
    reason: str | None
    transaction_data: Any
    received_at: Timestamp | None


def unmatched_stop(row: db.UnmatchedStop) -> UnmatchedStop:
    return UnmatchedStop.from_record(row)


class RemoteStart(ApiModel):
    remote_start_id: int
    charge_point_id: str
    connector_id: int | None
    id_tag: str
    state: str
    transaction_id: int | None
    requested_at: Timestamp | None
    expires_at: Timestamp | None


def remote_start(row: db.RemoteStart) -> RemoteStart:
    return RemoteStart.from_record(row, remote_start_id=row.id)


class Reservation(ApiModel):
    reservation_id: int
    charge_point_id: str
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry_date: Timestamp | None
    status: str
    reason: str | None
    transaction_id: int | None
    created_at: Timestamp | None
    updated_at: Timestamp | None


class ReservationRefused(Reservation):
    """409: why, beside the reservation as the CSMS now records it."""

    detail: str
    answer: str | None = None


def reservation(row: db.Reservation) -> Reservation:
    return Reservation.from_record(row)


class ChargingProfile(ApiModel):
    connector_id: int
    cs_charging_profiles: dict[str, Any]


class RecordedProfile(ChargingProfile):
    """A recorded profile with what the CSMS recorded beside it."""

    #: The transaction a TxProfile ends with, also when it was sent without one.
    transaction_id: int | None
    installed_at: Timestamp | None


class InstalledProfile(RecordedProfile):
    """The answer to an accepted SetChargingProfile: the record and the charge point's status."""

    status: str


class ClearedProfiles(ApiModel):
    """What ClearChargingProfile was sent with, the answer, and the profiles no longer
    recorded (Unknown: the charge point has none of them)."""

    status: str
    request: dict[str, Any]
    cleared: list[RecordedProfile]


class CompositeSchedule(ApiModel):
    charge_point_id: str
    connector_id: int
    schedule_start: Timestamp
    charging_schedule: dict[str, Any]
    charge_point: dict[str, Any] | None = None


def charging_profile(row: db.InstalledChargingProfile) -> ChargingProfile:
    return ChargingProfile.from_record(row, cs_charging_profiles=row.profile)


def recorded_profile(row: db.InstalledChargingProfile) -> RecordedProfile:
    return RecordedProfile.from_record(row, cs_charging_profiles=row.profile)


class TriggerRequest(ApiModel):
    trigger_id: int
    charge_point_id: str
    requested_message: str
    connector_id: int | None
    status: str | None
    error_code: str | None
    error_description: str | None
    requested_at: Timestamp | None
    answered_at: Timestamp | None
    expected_by: Timestamp | None
    message_arrived: bool | None
    arrived_at: Timestamp | None
    arrivals: int


def trigger_request(row: db.TriggerRequest) -> TriggerRequest:
    arrived: bool | None = None
    if row.arrived_at is not None:
        arrived = True
    elif row.expected_by is not None and row.expected_by <= now():
        arrived = False
    return TriggerRequest.from_record(row, trigger_id=row.id, message_arrived=arrived)


class ConfigurationKey(ApiModel):
    key: str
    value: str | None
    readonly: bool | None
    known: bool | None
    updated_at: Timestamp | None


def configuration_key(row: db.ConfigurationKey) -> ConfigurationKey:
    return ConfigurationKey.from_record(row)


class ChargePointEvent(ApiModel):
    id: int
    action: str
    timestamp: Timestamp | None
    payload: dict[str, Any]
    received_at: Timestamp | None


def charge_point_event(row: db.ChargePointEvent) -> ChargePointEvent:
    return ChargePointEvent.from_record(row)


class Deviation(ApiModel):
    action: str
    path: str
    kind: str
    detail: str | None
    count: int
    first_seen: Timestamp | None
    last_seen: Timestamp | None


def deviation(row: db.SchemaDeviation) -> Deviation:
    return Deviation.from_record(row)
