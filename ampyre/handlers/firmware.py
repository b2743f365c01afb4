"""Firmware Management profile messages from the charge point (OCPP 1.6, 4.4 and 4.5).

Each notification sets the charge point's current status (firmwareStatus,
diagnosticsStatus) and is kept in the history of the attempt it reports on.
"""

from __future__ import annotations

from ocpp.v16.enums import FirmwareStatus

from ampyre.handlers.context import Handler, MessageContext
from ampyre.ocpp.v16.messages import (
    DiagnosticsStatusNotificationConf,
    DiagnosticsStatusNotificationReq,
    FirmwareStatusNotificationConf,
    FirmwareStatusNotificationReq,
)


async def firmware_status_notification(
    ctx: MessageContext, request: FirmwareStatusNotificationReq
) -> FirmwareStatusNotificationConf:
    await record_firmware_status(ctx, request.status)
    return FirmwareStatusNotificationConf()


async def record_firmware_status(ctx: MessageContext, status: FirmwareStatus) -> None:
    """The charge point's firmwareStatus, and the progress of its firmware update (and
    rollout): from a FirmwareStatusNotification or a SignedFirmwareStatusNotification."""
    await ctx.csms.charge_points.record_firmware_status(ctx.charge_point_id, status.value)
    await ctx.csms.firmware.record_status(ctx.charge_point_id, status.value)


async def diagnostics_status_notification(
    ctx: MessageContext, request: DiagnosticsStatusNotificationReq
) -> DiagnosticsStatusNotificationConf:
    status = request.status.value
    await ctx.csms.charge_points.record_diagnostics_status(ctx.charge_point_id, status)
    await ctx.csms.diagnostics.record_status(ctx.charge_point_id, status)
    return DiagnosticsStatusNotificationConf()


HANDLERS: dict[str, Handler] = {
    "FirmwareStatusNotification": firmware_status_notification,
    "DiagnosticsStatusNotification": diagnostics_status_notification,
}
