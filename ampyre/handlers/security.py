"""Security extension messages from the charge point (OCPP 1.6 security whitepaper)."""

from __future__ import annotations

import logging
from typing import Any

from ampyre.handlers.context import Handler, MessageContext
from ampyre.services.clock import parse_timestamp

log = logging.getLogger("ampyre.security")


async def security_event_notification(
    ctx: MessageContext, request: dict[str, Any]
) -> dict[str, Any]:
    log.warning(
        "[%s] security event %s: %s",
        ctx.charge_point_id,
        request["type"],
        request.get("techInfo", ""),
    )
    await ctx.csms.event_log.record(
        ctx.charge_point_id,
        "SecurityEventNotification",
        request,
        parse_timestamp(request["timestamp"]),
    )
    return {}


async def log_status_notification(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    await ctx.csms.event_log.record(ctx.charge_point_id, "LogStatusNotification", request)
    return {}


async def signed_firmware_status_notification(
    ctx: MessageContext, request: dict[str, Any]
) -> dict[str, Any]:
    # The signed-update statuses extend FirmwareStatus; the latest is the charge point's
    # firmwareStatus as the REST API shows it.
    await ctx.csms.charge_points.record_firmware_status(ctx.charge_point_id, request["status"])
    await ctx.csms.event_log.record(
        ctx.charge_point_id, "SignedFirmwareStatusNotification", request
    )
    return {}


async def sign_certificate(ctx: MessageContext, request: dict[str, Any]) -> dict[str, Any]:
    # Signing charge point certificates needs a CSMS certificate authority, which Ampyre
    # does not run yet: the request is kept and refused, as whitepaper A02 allows.
    log.warning("[%s] SignCertificate refused: no certificate authority", ctx.charge_point_id)
    await ctx.csms.event_log.record(ctx.charge_point_id, "SignCertificate", request)
    return {"status": "Rejected"}


HANDLERS: dict[str, Handler] = {
    "SecurityEventNotification": security_event_notification,
    "LogStatusNotification": log_status_notification,
    "SignedFirmwareStatusNotification": signed_firmware_status_notification,
    "SignCertificate": sign_certificate,
}
