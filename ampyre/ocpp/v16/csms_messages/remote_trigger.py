"""Remote Trigger profile (OCPP 1.6, section 5.17 and 6.54/6.55)."""

from __future__ import annotations

from typing import ClassVar

from ocpp.v16.enums import MessageTrigger, TriggerMessageStatus

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, ConnectorId

__all__ = ["COMMANDS", "TriggerMessageConf", "TriggerMessageReq"]


class TriggerMessageReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "TriggerMessage"

    requested_message: MessageTrigger
    connector_id: ConnectorId | None = None


class TriggerMessageConf(Confirmation, frozen=True):
    status: TriggerMessageStatus


COMMANDS = {"TriggerMessage": (TriggerMessageReq, TriggerMessageConf)}
