"""Answers to the Core profile's CSMS-initiated messages (OCPP 1.6, chapter 5)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import (
    AuthorizationStatus,
    AvailabilityStatus,
    ChargePointStatus,
    ChargingProfilePurposeType,
    ClearCacheStatus,
    ConfigurationStatus,
    DataTransferStatus,
    Reason,
    RemoteStartStopStatus,
    ResetStatus,
    UnlockStatus,
)

from ampyre.ocpp.v16.csms_messages.core import (
    ChangeConfigurationConf,
    ChangeConfigurationReq,
    GetConfigurationConf,
    GetConfigurationReq,
    KeyValue,
    RemoteStartTransactionConf,
    RemoteStartTransactionReq,
)
from ampyre.ocpp.v16.messages import parse_request
from ampyre.simulator.configuration import WRITE_ONLY_KEYS, is_acceptable, normalized
from ampyre.simulator.connectors import Connector
from ampyre.simulator.responders import security
from ampyre.simulator.responders.base import Answer, Responder, confirm

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint


def change_availability(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    connector_id = payload["connectorId"]
    if connector_id not in cp.connectors:
        return Answer({"status": AvailabilityStatus.rejected.value})
    operative = payload["type"] == "Operative"
    targets = list(cp.connectors.values()) if connector_id == 0 else [cp.connectors[connector_id]]
    scheduled = False
    changed: list[Connector] = []
    for connector in targets:
        if connector.busy:
            # Applied when the session ends; asking for the current state cancels it.
            connector.scheduled_operative = None if connector.operative == operative else operative
            scheduled = scheduled or connector.scheduled_operative is not None
        elif connector.operative != operative:
            connector.operative = operative
            connector.scheduled_operative = None
            if not operative:
                # OCPP 1.6, 5.13: an unavailable connector loses its reservation.
                cp.drop_reservation(connector)
            changed.append(connector)

    async def report_new_availability() -> None:
        for connector in changed:
            await cp.status(connector.connector_id, connector.idle_status())

    return Answer(
        {
            "status": (
                AvailabilityStatus.scheduled if scheduled else AvailabilityStatus.accepted
            ).value
        },
        report_new_availability if changed else None,
    )


def change_configuration(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, ChangeConfigurationReq)
    key, value = request.key, request.value
    entry = cp.configuration.get(key)
    if entry is None:
        return confirm(ChangeConfigurationConf(ConfigurationStatus.not_supported))
    if entry["readonly"] or not is_acceptable(key, value):
        return confirm(ChangeConfigurationConf(ConfigurationStatus.rejected))
    if key == "SecurityProfile":
        return security.change_security_profile(cp, value)
    entry["value"] = normalized(key, value)
    if key == "HeartbeatInterval":
        cp.restart_heartbeat()
    if key == "AuthorizationKey" and cp.config_int("SecurityProfile") in (1, 2):
        # Whitepaper A01: the new key is the password of the next connection.
        cp.password = value
    return confirm(ChangeConfigurationConf(ConfigurationStatus.accepted))


def get_configuration(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    requested = parse_request(payload, GetConfigurationReq).key or list(cp.configuration)
    known = [
        KeyValue(
            key=key,
            readonly=bool(entry["readonly"]),
            value=None if key in WRITE_ONLY_KEYS else str(entry["value"]),
        )
        for key in requested
        if (entry := cp.configuration.get(key)) is not None
    ]
    unknown = [key for key in requested if key not in cp.configuration]
    return confirm(GetConfigurationConf(known, unknown or None))


def clear_cache(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    cp.auth_cache.clear()
    return Answer({"status": ClearCacheStatus.accepted.value})


def reset(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    reason = Reason.hard_reset if payload["type"] == "Hard" else Reason.soft_reset

    async def restart() -> None:
        await cp.reboot(reason)

    return Answer({"status": ResetStatus.accepted.value}, restart)


def unlock_connector(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    connector_id = payload["connectorId"]
    if connector_id < 1 or connector_id not in cp.connectors:
        return Answer({"status": UnlockStatus.not_supported.value})
    if cp.connectors[connector_id].transaction is None:
        return Answer({"status": UnlockStatus.unlocked.value})

    async def end_session() -> None:
        # OCPP 1.6, 5.18: a running transaction is finished before unlocking.
        await cp.stop_transaction(connector_id, reason=Reason.unlock_command)

    return Answer({"status": UnlockStatus.unlocked.value}, end_session)


def _can_start(cp: SimulatedChargePoint, connector: Connector, id_tag: str) -> bool:
    whole = cp.connectors[0]
    if connector.busy or not connector.operative or not whole.operative:
        return False
    if (
        connector.status in (ChargePointStatus.faulted, ChargePointStatus.unavailable)
        or whole.status == ChargePointStatus.faulted
    ):
        return False
    reservation = connector.reservation
    return reservation is None or id_tag in (reservation.id_tag, reservation.parent_id_tag)


def remote_start_transaction(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, RemoteStartTransactionReq)
    id_tag = request.id_tag
    profile = request.charging_profile
    rejected = confirm(RemoteStartTransactionConf(RemoteStartStopStatus.rejected))
    if (
        profile is not None
        and profile["chargingProfilePurpose"] != ChargingProfilePurposeType.tx_profile
    ):
        return rejected
    requested = request.connector_id
    if requested is None:
        candidates = [c for i, c in cp.connectors.items() if i > 0 and _can_start(cp, c, id_tag)]
        connector = candidates[0] if candidates else None
    else:
        connector = cp.connectors.get(requested) if requested > 0 else None
        if connector is not None and not _can_start(cp, connector, id_tag):
            connector = None
    if connector is None:
        return rejected
    connector.claimed = True
    connector_id = connector.connector_id

    async def start() -> None:
        try:
            if cp.config_bool("AuthorizeRemoteTxRequests"):
                info = await cp.authorize(id_tag)
                if info.status != AuthorizationStatus.accepted:
                    cp.emit("info", f"remote start for {id_tag} not authorized: {info.status}")
                    return
            await cp.start_transaction(connector_id, id_tag, charging_profile=profile)
        finally:
            connector.claimed = False

    return confirm(RemoteStartTransactionConf(RemoteStartStopStatus.accepted), start)


def remote_stop_transaction(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    transaction_id = payload["transactionId"]
    running = [
        connector.connector_id
        for connector in cp.connectors.values()
        if connector.transaction is not None
        and connector.transaction.transaction_id == transaction_id
    ]
    if not running:
        return Answer({"status": RemoteStartStopStatus.rejected.value})

    async def stop() -> None:
        await cp.stop_transaction(running[0], reason=Reason.remote)

    return Answer({"status": RemoteStartStopStatus.accepted.value}, stop)


def data_transfer(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    return Answer({"status": DataTransferStatus.unknown_vendor_id.value})


RESPONDERS: dict[str, Responder] = {
    "ChangeAvailability": change_availability,
    "ChangeConfiguration": change_configuration,
    "ClearCache": clear_cache,
    "DataTransfer": data_transfer,
    "GetConfiguration": get_configuration,
    "RemoteStartTransaction": remote_start_transaction,
    "RemoteStopTransaction": remote_stop_transaction,
    "Reset": reset,
    "UnlockConnector": unlock_connector,
}
