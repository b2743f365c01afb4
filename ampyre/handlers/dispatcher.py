"""Routes a validated CALL to its handler and keeps the registration rules.

The dispatcher is where payloads become types: the schema-checked JSON object is converted
to the action's request type (`ocpp/v16/messages.py`) for the handler, and the handler's
typed confirmation back to the JSON object the connection checks and sends.
"""

from __future__ import annotations

from typing import Any

from ocpp.v16.enums import RegistrationStatus

from ampyre.handlers import core, firmware, security
from ampyre.handlers.context import Handler, MessageContext
from ampyre.ocpp.v16.csms_messages.remote_trigger import TriggerMessageConf, TriggerMessageReq
from ampyre.ocpp.v16.errors import NotSupportedError, OcppError, SecurityError
from ampyre.ocpp.v16.messages import REQUESTS, parse_confirmation, parse_request, unparse

#: The live event (`GET /api/v1/events`) each handled message makes, with the message
#: and its answer as data.
EVENTS = {
    "BootNotification": "boot",
    "StatusNotification": "status",
    "StartTransaction": "transactionStarted",
    "StopTransaction": "transactionStopped",
    "MeterValues": "meterValues",
    "FirmwareStatusNotification": "firmwareStatus",
    "SignedFirmwareStatusNotification": "firmwareStatus",
    "DiagnosticsStatusNotification": "diagnosticsStatus",
    "LogStatusNotification": "logStatus",
    "SecurityEventNotification": "securityEvent",
}


def default_handlers() -> dict[str, Handler]:
    return {**core.HANDLERS, **firmware.HANDLERS, **security.HANDLERS}


class Dispatcher:
    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self.handlers = handlers if handlers is not None else default_handlers()
        #: Action -> its handler, its request type and whether that names a connector.
        self._routes = {
            action: (
                handler,
                REQUESTS[action],
                "connector_id" in REQUESTS[action].__struct_fields__,
            )
            for action, handler in self.handlers.items()
            if action in REQUESTS
        }

    async def dispatch(
        self, ctx: MessageContext, action: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Handle a schema-checked request payload; the response payload."""
        route = self._routes.get(action)
        if route is None:
            raise NotSupportedError(f"{action} is recognised but not supported by this CSMS")
        handler, request_type, names_connector = route
        request: Any = parse_request(payload, request_type)
        # The connector a connector-specific message is about (TriggerMessage matches it).
        connector_id: int | None = request.connector_id if names_connector else None
        if action != "BootNotification":
            self._check_registration(ctx, action, connector_id)
        response = unparse(await handler(ctx, request))
        # OCPP 1.6, 5.17: a message the CSMS asked for with TriggerMessage has come.
        triggers = ctx.csms.triggers
        if triggers.awaits_messages(ctx.charge_point_id):
            await triggers.note_message(ctx.charge_point_id, action, connector_id)
        events = ctx.csms.events
        if events.listened:
            event = EVENTS.get(action)
            if event is not None:
                events.publish(event, ctx.charge_point_id, message=payload, answer=response)
        return response

    @staticmethod
    def _check_registration(ctx: MessageContext, action: str, connector_id: int | None) -> None:
        """OCPP 1.6, 4.2: a Pending or Rejected charge point sends nothing but its boot.

        While Pending, messages the CSMS asked for with TriggerMessage are still taken.
        """
        status = ctx.session.boot_status
        if status is None or status is RegistrationStatus.accepted:
            return
        if status is RegistrationStatus.pending and ctx.csms.triggers.admits(
            ctx.charge_point_id, action, connector_id
        ):
            return
        raise SecurityError(
            f"Charge point is {status}: only BootNotification is accepted until it is "
            "Accepted (OCPP 1.6, 4.2)"
        )

    @staticmethod
    def on_call_answered(
        ctx: MessageContext, action: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        """Protocol state that follows from the charge point's answer to a CSMS call.

        Runs as the answer is received, before the charge point's next message is handled.
        """
        if action == TriggerMessageReq.action:
            try:
                trigger = parse_request(request, TriggerMessageReq)
                answer = parse_confirmation(response, TriggerMessageConf)
            except OcppError:
                return  # the command refuses such an answer: nothing was triggered
            ctx.csms.triggers.on_answer_received(ctx.charge_point_id, trigger, answer)
