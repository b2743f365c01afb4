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
    return Connector(
        connector_id=row.connector_id,
        status=row.status,
        error_code=row.error_code,
        info=row.info,
        vendor_id=row.vendor_id,
        vendor_error_code=row.vendor_error_code,
        timestamp=format_timestamp(row.timestamp),
    )


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
    return ChargePoint(
        id=row.id,
        connected=connected,
        registration_status=row.registration_status,
        boot_status=row.boot_status,
        charge_point_vendor=row.charge_point_vendor,
        charge_point_model=row.charge_point_model,
        charge_point_serial_number=row.charge_point_serial_number,
        charge_box_serial_number=row.charge_box_serial_number,
        firmware_version=row.firmware_version,
        iccid=row.iccid,
        imsi=row.imsi,
        meter_type=row.meter_type,
        meter_serial_number=row.meter_serial_number,
        last_seen=format_timestamp(last_seen),
        last_boot=format_timestamp(row.last_boot),
        firmware_status=row.firmware_status,
        diagnostics_status=row.diagnostics_status,
        local_list_version=row.local_list_version,
        security_profile=row.security_profile,
        has_password=row.password_hash is not None,
        lenient=row.lenient,
        created_at=format_timestamp(row.created_at),
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
    return IdTag(
        id_tag=row.id_tag,
        status=row.status,
        expiry_date=format_timestamp(row.expiry_date),
        parent_id_tag=row.parent_id_tag,
        allow_concurrent_tx=row.allow_concurrent_tx,
        created_at=format_timestamp(row.created_at),
        updated_at=format_timestamp(row.updated_at),
    )


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
    return {
        "transaction_id": row.id,
        "charge_point_id": row.charge_point_id,
        "connector_id": row.connector_id,
        "id_tag": row.id_tag,
        "authorization_status": row.authorization_status,
        "reservation_id": row.reservation_id,
        "meter_start": row.meter_start,
        "start_timestamp": format_timestamp(row.start_timestamp),
        "meter_stop": row.meter_stop,
        "stop_timestamp": format_timestamp(row.stop_timestamp),
        "stop_reason": row.stop_reason,
        "stop_id_tag": row.stop_id_tag,
        "energy_wh": row.meter_stop - row.meter_start if row.meter_stop is not None else None,
        "remote_start_id": row.remote_start_id,
        "active": row.stop_timestamp is None,
    }


def transaction(row: db.Transaction) -> Transaction:
    return Transaction(**_transaction_fields(row))


def transaction_with_meter_values(
    row: db.Transaction, meter_values: list[db.MeterValue]
) -> TransactionWithMeterValues:
    return TransactionWithMeterValues(
        **_transaction_fields(row),
        meter_values=[
            MeterValue(
                timestamp=format_timestamp(value.timestamp),
                sampled_value=value.sampled_value,
                connector_id=value.connector_id,
                source=value.source,
            )
            for value in meter_values
        ],
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
    return UnmatchedStop(
        id=row.id,
        charge_point_id=row.charge_point_id,
        transaction_id=row.transaction_id,
        id_tag=row.id_tag,
        meter_stop=row.meter_stop,
        timestamp=format_timestamp(row.timestamp),
        reason=row.reason,
        transaction_data=row.transaction_data,
        received_at=format_timestamp(row.received_at),
    )


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
    return RemoteStart(
        remote_start_id=row.id,
        charge_point_id=row.charge_point_id,
        connector_id=row.connector_id,
        id_tag=row.id_tag,
        state=row.state,
        transaction_id=row.transaction_id,
        requested_at=format_timestamp(row.requested_at),
        expires_at=format_timestamp(row.expires_at),
    )


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
    return Reservation(
        reservation_id=row.reservation_id,
        charge_point_id=row.charge_point_id,
        connector_id=row.connector_id,
        id_tag=row.id_tag,
        parent_id_tag=row.parent_id_tag,
        expiry_date=format_timestamp(row.expiry_date),
        status=row.status,
        reason=row.reason,
        transaction_id=row.transaction_id,
        created_at=format_timestamp(row.created_at),
        updated_at=format_timestamp(row.updated_at),
    )


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
    return ChargingProfile(connector_id=row.connector_id, cs_charging_profiles=row.profile)


def recorded_profile(row: db.InstalledChargingProfile) -> RecordedProfile:
    return RecordedProfile(
        connector_id=row.connector_id,
        cs_charging_profiles=row.profile,
        transaction_id=row.transaction_id,
        installed_at=format_timestamp(row.installed_at),
    )


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
    return TriggerRequest(
        trigger_id=row.id,
        charge_point_id=row.charge_point_id,
        requested_message=row.requested_message,
        connector_id=row.connector_id,
        status=row.status,
        error_code=row.error_code,
        error_description=row.error_description,
        requested_at=format_timestamp(row.requested_at),
        answered_at=format_timestamp(row.answered_at),
        expected_by=format_timestamp(row.expected_by),
        message_arrived=arrived,
        arrived_at=format_timestamp(row.arrived_at),
        arrivals=row.arrivals,
    )


class ConfigurationKey(ApiModel):
    key: str
    value: str | None
    readonly: bool | None
    known: bool | None
    updated_at: Timestamp | None


def configuration_key(row: db.ConfigurationKey) -> ConfigurationKey:
    return ConfigurationKey(
        key=row.key,
        value=row.value,
        readonly=row.readonly,
        known=row.known,
        updated_at=format_timestamp(row.updated_at),
    )


class ChargePointEvent(ApiModel):
    id: int
    action: str
    timestamp: Timestamp | None
    payload: dict[str, Any]
    received_at: Timestamp | None


def charge_point_event(row: db.ChargePointEvent) -> ChargePointEvent:
    return ChargePointEvent(
        id=row.id,
        action=row.action,
        timestamp=format_timestamp(row.timestamp),
        payload=row.payload,
        received_at=format_timestamp(row.received_at),
    )


class Deviation(ApiModel):
    action: str
    path: str
    kind: str
    detail: str | None
    count: int
    first_seen: Timestamp | None
    last_seen: Timestamp | None


def deviation(row: db.SchemaDeviation) -> Deviation:
    return Deviation(
        action=row.action,
        path=row.path,
        kind=row.kind,
        detail=row.detail,
        count=row.count,
        first_seen=format_timestamp(row.first_seen),
        last_seen=format_timestamp(row.last_seen),
    )
