"""Security extension messages from the charge point (OCPP 1.6 security whitepaper).

The notifications are kept in the charge point's event log as the charge point sent them
(the message's JSON object), for the operator to read.
"""

from __future__ import annotations

import logging

from ocpp.v16.enums import GenericStatus

from ampyre.handlers.context import Handler, MessageContext
from ampyre.handlers.firmware import record_firmware_status
from ampyre.ocpp.v16.messages import (
    LogStatusNotificationConf,
    LogStatusNotificationReq,
    SecurityEventNotificationConf,
    SecurityEventNotificationReq,
    SignCertificateConf,
    SignCertificateReq,
    SignedFirmwareStatusNotificationConf,
    SignedFirmwareStatusNotificationReq,
    unparse,
)
from ampyre.services.clock import parse_timestamp

log = logging.getLogger("ampyre.security")


async def security_event_notification(
    ctx: MessageContext, request: SecurityEventNotificationReq
) -> SecurityEventNotificationConf:
    log.warning(
        "[%s] security event %s: %s",
        ctx.charge_point_id,
        request.type,
        request.tech_info or "",
    )
    await ctx.csms.event_log.record(
        ctx.charge_point_id,
        "SecurityEventNotification",
        unparse(request),
        parse_timestamp(request.timestamp),
    )
    return SecurityEventNotificationConf()


async def log_status_notification(
    ctx: MessageContext, request: LogStatusNotificationReq
) -> LogStatusNotificationConf:
    await ctx.csms.event_log.record(ctx.charge_point_id, "LogStatusNotification", unparse(request))
    await ctx.csms.logs.record_status(ctx.charge_point_id, request.status.value)
    return LogStatusNotificationConf()


async def signed_firmware_status_notification(
    ctx: MessageContext, request: SignedFirmwareStatusNotificationReq
) -> SignedFirmwareStatusNotificationConf:
    # The signed-update statuses extend FirmwareStatus; the latest is the charge point's
    # firmwareStatus as the REST API shows it, and moves its firmware update (and rollout).
    await record_firmware_status(ctx, request.status)
    await ctx.csms.event_log.record(
        ctx.charge_point_id, "SignedFirmwareStatusNotification", unparse(request)
    )
    return SignedFirmwareStatusNotificationConf()


async def sign_certificate(ctx: MessageContext, request: SignCertificateReq) -> SignCertificateConf:
    # A02/A03: Accepted when the CSR can be signed; the chain follows in CertificateSigned.
    accepted = await ctx.csms.certificates.request_signature(ctx.charge_point_id, request.csr)
    return SignCertificateConf(
        status=GenericStatus.accepted if accepted else GenericStatus.rejected
    )


HANDLERS: dict[str, Handler] = {
    "SecurityEventNotification": security_event_notification,
    "LogStatusNotification": log_status_notification,
    "SignedFirmwareStatusNotification": signed_firmware_status_notification,
    "SignCertificate": sign_certificate,
}
