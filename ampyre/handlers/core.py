"""Core profile messages from the charge point (OCPP 1.6, section 4)."""

from __future__ import annotations

import logging
from typing import Any

from ampyre.handlers.context import Handler, MessageContext
from ampyre.services.clock import format_timestamp, now

log = logging.getLogger("ampyre.core")


async def boot_notification(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    answer = await ctx.csms.charge_points.record_boot(ctx.charge_point_id, request)
    ctx.session.boot_status = answer["status"]
    ctx.csms.configuration.after_boot(ctx.charge_point_id, answer["status"])
    log.info(
        "[%s] booted: %s %s firmware %s -> %s",
        ctx.charge_point_id,
        request.get("chargePointVendor"),
        request.get("chargePointModel"),
        request.get("firmwareVersion"),
        answer["status"],
    )
    return {
        "status": answer["status"],
        "currentTime": format_timestamp(answer["currentTime"]),
        "interval": answer["interval"],
    }


async def heartbeat(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    # No database write: the connection keeps the time of every message (lastSeen) and
    # stores it when the charge point disconnects. Heartbeats are most of the traffic.
    return {"currentTime": format_timestamp(now())}


async def authorize(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    info = await ctx.csms.authorization.authorize(ctx.charge_point_id, request["idTag"])
    return {"idTagInfo": info}


async def start_transaction(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    transaction_id, info = await ctx.csms.transactions.start(ctx.charge_point_id, request)
    return {"transactionId": transaction_id, "idTagInfo": info}


async def stop_transaction(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    info = await ctx.csms.transactions.stop(ctx.charge_point_id, request)
    return {"idTagInfo": info} if info is not None else {}


async def meter_values(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    await ctx.csms.transactions.record_meter_values(ctx.charge_point_id, request)
    return {}


async def status_notification(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    await ctx.csms.charge_points.record_status(ctx.charge_point_id, request)
    await ctx.csms.reservations.on_status_notification(ctx.charge_point_id, request)
    return {}


async def data_transfer(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    return await ctx.csms.data_transfer.handle(ctx.charge_point_id, request)


HANDLERS: dict[str, Handler] = {
    "BootNotification": boot_notification,
    "Heartbeat": heartbeat,
    "Authorize": authorize,
    "StartTransaction": start_transaction,
    "StopTransaction": stop_transaction,
    "MeterValues": meter_values,
    "StatusNotification": status_notification,
    "DataTransfer": data_transfer,
}
