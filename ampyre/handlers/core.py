"""Core profile messages from the charge point (OCPP 1.6, section 4).

Each handler translates: the typed request into domain arguments for a service, the
service's domain result into the typed confirmation. The decisions are the services'.
"""

from __future__ import annotations

import logging

import msgspec

from ampyre.handlers.context import Handler, MessageContext
from ampyre.ocpp.v16.messages import (
    AuthorizeConf,
    AuthorizeReq,
    BootNotificationConf,
    BootNotificationReq,
    DataTransferConf,
    DataTransferReq,
    HeartbeatConf,
    HeartbeatReq,
    IdTagInfo,
    MeterValue,
    MeterValuesConf,
    MeterValuesReq,
    StartTransactionConf,
    StartTransactionReq,
    StatusNotificationConf,
    StatusNotificationReq,
    StopTransactionConf,
    StopTransactionReq,
)
from ampyre.services.authorization import Authorization
from ampyre.services.charge_points import BootInfo, ConnectorStatus
from ampyre.services.clock import format_timestamp, now, parse_timestamp
from ampyre.services.transactions import MeterReading

log = logging.getLogger("ampyre.core")


def id_tag_info(authorization: Authorization) -> IdTagInfo:
    """OCPP 1.6, 7.25: the idTagInfo of an authorization decision."""
    return IdTagInfo(
        status=authorization.status,
        expiry_date=(
            None
            if authorization.expiry_date is None
            else format_timestamp(authorization.expiry_date)
        ),
        parent_id_tag=authorization.parent_id_tag,
    )


def meter_readings(meter_values: list[MeterValue]) -> list[MeterReading]:
    return [
        MeterReading(parse_timestamp(value.timestamp), value.sampled_value)
        for value in meter_values
    ]


async def boot_notification(
    ctx: MessageContext, request: BootNotificationReq
) -> BootNotificationConf:
    boot = await ctx.csms.charge_points.record_boot(
        ctx.charge_point_id,
        # The domain records what the charge point says of itself, field for field.
        BootInfo(**msgspec.structs.asdict(request)),
    )
    ctx.session.boot_status = boot.status
    ctx.csms.configuration.after_boot(ctx.charge_point_id, boot.status)
    log.info(
        "[%s] booted: %s %s firmware %s -> %s",
        ctx.charge_point_id,
        request.charge_point_vendor,
        request.charge_point_model,
        request.firmware_version,
        boot.status.value,
    )
    return BootNotificationConf(
        status=boot.status,
        current_time=format_timestamp(boot.current_time),
        interval=boot.interval,
    )


async def heartbeat(ctx: MessageContext, request: HeartbeatReq) -> HeartbeatConf:
    # No database write: the connection keeps the time of every message (lastSeen) and
    # stores it when the charge point disconnects. Heartbeats are most of the traffic.
    return HeartbeatConf(current_time=format_timestamp(now()))


async def authorize(ctx: MessageContext, request: AuthorizeReq) -> AuthorizeConf:
    authorization = await ctx.csms.authorization.authorize(ctx.charge_point_id, request.id_tag)
    return AuthorizeConf(id_tag_info=id_tag_info(authorization))


async def start_transaction(
    ctx: MessageContext, request: StartTransactionReq
) -> StartTransactionConf:
    transaction_id, authorization = await ctx.csms.transactions.start(
        ctx.charge_point_id,
        request.connector_id,
        request.id_tag,
        request.meter_start,
        parse_timestamp(request.timestamp),
        request.reservation_id,
    )
    return StartTransactionConf(
        transaction_id=transaction_id, id_tag_info=id_tag_info(authorization)
    )


async def stop_transaction(ctx: MessageContext, request: StopTransactionReq) -> StopTransactionConf:
    authorization = await ctx.csms.transactions.stop(
        ctx.charge_point_id,
        request.transaction_id,
        request.meter_stop,
        parse_timestamp(request.timestamp),
        id_tag=request.id_tag,
        reason=request.reason.value if request.reason is not None else None,
        readings=meter_readings(request.transaction_data) if request.transaction_data else None,
    )
    if authorization is None:
        return StopTransactionConf()
    return StopTransactionConf(id_tag_info=id_tag_info(authorization))


async def meter_values(ctx: MessageContext, request: MeterValuesReq) -> MeterValuesConf:
    await ctx.csms.transactions.record_meter_values(
        ctx.charge_point_id,
        request.connector_id,
        meter_readings(request.meter_value),
        request.transaction_id,
    )
    return MeterValuesConf()


async def status_notification(
    ctx: MessageContext, request: StatusNotificationReq
) -> StatusNotificationConf:
    report = ConnectorStatus(
        connector_id=request.connector_id,
        status=request.status,
        error_code=request.error_code,
        info=request.info,
        vendor_id=request.vendor_id,
        vendor_error_code=request.vendor_error_code,
        timestamp=parse_timestamp(request.timestamp) if request.timestamp else None,
    )
    await ctx.csms.charge_points.record_status(ctx.charge_point_id, report)
    await ctx.csms.reservations.on_status_notification(ctx.charge_point_id, report)
    return StatusNotificationConf()


async def data_transfer(ctx: MessageContext, request: DataTransferReq) -> DataTransferConf:
    reply = await ctx.csms.data_transfer.handle(
        ctx.charge_point_id, request.vendor_id, request.message_id, request.data
    )
    return DataTransferConf(status=reply.status, data=reply.data)


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
