"""Answers to the Remote Trigger profile (OCPP 1.6, 5.17).

A trigger without a connector id, for a message that is about a connector, means every
connector: StatusNotification then covers connector 0 too, MeterValues only the real ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import MessageTrigger, TriggerMessageStatus

from ampyre.ocpp.v16.csms_messages.remote_trigger import TriggerMessageConf, TriggerMessageReq
from ampyre.ocpp.v16.messages import parse_request
from ampyre.simulator.responders.base import Answer, FollowUp, Responder, confirm

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint


def trigger_message(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, TriggerMessageReq)
    connector_id = request.connector_id
    if connector_id is not None and connector_id not in cp.connectors:
        return confirm(TriggerMessageConf(TriggerMessageStatus.rejected))
    follow_up = _sender(cp, request.requested_message, connector_id)
    if follow_up is None:
        return confirm(TriggerMessageConf(TriggerMessageStatus.not_implemented))
    return confirm(TriggerMessageConf(TriggerMessageStatus.accepted), follow_up)


def _sender(
    cp: SimulatedChargePoint, requested: MessageTrigger, connector_id: int | None
) -> FollowUp | None:
    async def boot() -> None:
        await cp.boot()

    async def heartbeat() -> None:
        await cp.heartbeat()

    async def firmware_status() -> None:
        await cp.send_firmware_status(cp.firmware_status)

    async def diagnostics_status() -> None:
        await cp.send_diagnostics_status(cp.diagnostics_status)

    async def meter_values() -> None:
        targets = [connector_id] if connector_id is not None else range(1, len(cp.connectors))
        for target in targets:
            await cp.meter_values(target, context="Trigger")

    async def status_notification() -> None:
        targets = [connector_id] if connector_id is not None else list(cp.connectors)
        for target in targets:
            connector = cp.connectors[target]
            await cp.status(target, connector.status, connector.error_code)

    senders: dict[MessageTrigger, FollowUp] = {
        MessageTrigger.boot_notification: boot,
        MessageTrigger.diagnostics_status_notification: diagnostics_status,
        MessageTrigger.firmware_status_notification: firmware_status,
        MessageTrigger.heartbeat: heartbeat,
        MessageTrigger.meter_values: meter_values,
        MessageTrigger.status_notification: status_notification,
    }
    return senders.get(requested)


RESPONDERS: dict[str, Responder] = {"TriggerMessage": trigger_message}
