"""Records as the REST API shows them: camelCase, timestamps in ISO 8601 UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ampyre.services.clock import format_timestamp, now
from ampyre.storage.models import (
    ChargePoint,
    ChargePointEvent,
    ConfigurationKey,
    Connector,
    IdTag,
    InstalledChargingProfile,
    MeterValue,
    RemoteStart,
    Reservation,
    SchemaDeviation,
    Transaction,
    TriggerRequest,
    UnmatchedStop,
)


def page(items: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"items": items, "total": total}


def connector(row: Connector) -> dict[str, Any]:
    return {
        "connectorId": row.connector_id,
        "status": row.status,
        "errorCode": row.error_code,
        "info": row.info,
        "vendorId": row.vendor_id,
        "vendorErrorCode": row.vendor_error_code,
        "timestamp": format_timestamp(row.timestamp),
    }


def charge_point(
    row: ChargePoint,
    *,
    connected: bool,
    connectors: list[Connector] | None = None,
    last_seen: datetime | None = None,
) -> dict[str, Any]:
    if row.last_seen is not None and (last_seen is None or row.last_seen > last_seen):
        last_seen = row.last_seen
    return {
        "id": row.id,
        "connected": connected,
        "registrationStatus": row.registration_status,
        "bootStatus": row.boot_status,
        "chargePointVendor": row.charge_point_vendor,
        "chargePointModel": row.charge_point_model,
        "chargePointSerialNumber": row.charge_point_serial_number,
        "chargeBoxSerialNumber": row.charge_box_serial_number,
        "firmwareVersion": row.firmware_version,
        "iccid": row.iccid,
        "imsi": row.imsi,
        "meterType": row.meter_type,
        "meterSerialNumber": row.meter_serial_number,
        "lastSeen": format_timestamp(last_seen),
        "lastBoot": format_timestamp(row.last_boot),
        "firmwareStatus": row.firmware_status,
        "diagnosticsStatus": row.diagnostics_status,
        "localListVersion": row.local_list_version,
        "securityProfile": row.security_profile,
        "hasPassword": row.password_hash is not None,
        "lenient": row.lenient,
        "createdAt": format_timestamp(row.created_at),
        "connectors": [connector(c) for c in connectors or []],
    }


def id_tag(row: IdTag) -> dict[str, Any]:
    return {
        "idTag": row.id_tag,
        "status": row.status,
        "expiryDate": format_timestamp(row.expiry_date),
        "parentIdTag": row.parent_id_tag,
        "allowConcurrentTx": row.allow_concurrent_tx,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
    }


def transaction(row: Transaction, meter_values: list[MeterValue] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "transactionId": row.id,
        "chargePointId": row.charge_point_id,
        "connectorId": row.connector_id,
        "idTag": row.id_tag,
        "authorizationStatus": row.authorization_status,
        "reservationId": row.reservation_id,
        "meterStart": row.meter_start,
        "startTimestamp": format_timestamp(row.start_timestamp),
        "meterStop": row.meter_stop,
        "stopTimestamp": format_timestamp(row.stop_timestamp),
        "stopReason": row.stop_reason,
        "stopIdTag": row.stop_id_tag,
        "energyWh": row.meter_stop - row.meter_start if row.meter_stop is not None else None,
        "remoteStartId": row.remote_start_id,
        "active": row.stop_timestamp is None,
    }
    if meter_values is not None:
        body["meterValues"] = [
            {
                "timestamp": format_timestamp(value.timestamp),
                "sampledValue": value.sampled_value,
                "connectorId": value.connector_id,
                "source": value.source,
            }
            for value in meter_values
        ]
    return body


def unmatched_stop(row: UnmatchedStop) -> dict[str, Any]:
    return {
        "id": row.id,
        "chargePointId": row.charge_point_id,
        "transactionId": row.transaction_id,
        "idTag": row.id_tag,
        "meterStop": row.meter_stop,
        "timestamp": format_timestamp(row.timestamp),
        "reason": row.reason,
        "transactionData": row.transaction_data,
        "receivedAt": format_timestamp(row.received_at),
    }


def remote_start(row: RemoteStart) -> dict[str, Any]:
    return {
        "remoteStartId": row.id,
        "chargePointId": row.charge_point_id,
        "connectorId": row.connector_id,
        "idTag": row.id_tag,
        "state": row.state,
        "transactionId": row.transaction_id,
        "requestedAt": format_timestamp(row.requested_at),
        "expiresAt": format_timestamp(row.expires_at),
    }


def reservation(row: Reservation) -> dict[str, Any]:
    return {
        "reservationId": row.reservation_id,
        "chargePointId": row.charge_point_id,
        "connectorId": row.connector_id,
        "idTag": row.id_tag,
        "parentIdTag": row.parent_id_tag,
        "expiryDate": format_timestamp(row.expiry_date),
        "status": row.status,
        "reason": row.reason,
        "transactionId": row.transaction_id,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
    }


def charging_profile(row: InstalledChargingProfile) -> dict[str, Any]:
    return {"connectorId": row.connector_id, "csChargingProfiles": row.profile}


def recorded_profile(row: InstalledChargingProfile) -> dict[str, Any]:
    """A recorded profile as the list shows it, with what the CSMS recorded beside it."""
    return {
        **charging_profile(row),
        # The transaction a TxProfile ends with, also when it was sent without one.
        "transactionId": row.transaction_id,
        "installedAt": format_timestamp(row.installed_at),
    }


def trigger_request(row: TriggerRequest) -> dict[str, Any]:
    arrived: bool | None = None
    if row.arrived_at is not None:
        arrived = True
    elif row.expected_by is not None and row.expected_by <= now():
        arrived = False
    return {
        "triggerId": row.id,
        "chargePointId": row.charge_point_id,
        "requestedMessage": row.requested_message,
        "connectorId": row.connector_id,
        "status": row.status,
        "errorCode": row.error_code,
        "errorDescription": row.error_description,
        "requestedAt": format_timestamp(row.requested_at),
        "answeredAt": format_timestamp(row.answered_at),
        "expectedBy": format_timestamp(row.expected_by),
        "messageArrived": arrived,
        "arrivedAt": format_timestamp(row.arrived_at),
        "arrivals": row.arrivals,
    }


def configuration_key(row: ConfigurationKey) -> dict[str, Any]:
    return {
        "key": row.key,
        "value": row.value,
        "readonly": row.readonly,
        "known": row.known,
        "updatedAt": format_timestamp(row.updated_at),
    }


def charge_point_event(row: ChargePointEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "action": row.action,
        "timestamp": format_timestamp(row.timestamp),
        "payload": row.payload,
        "receivedAt": format_timestamp(row.received_at),
    }


def deviation(row: SchemaDeviation) -> dict[str, Any]:
    return {
        "action": row.action,
        "path": row.path,
        "kind": row.kind,
        "detail": row.detail,
        "count": row.count,
        "firstSeen": format_timestamp(row.first_seen),
        "lastSeen": format_timestamp(row.last_seen),
    }
