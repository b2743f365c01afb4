"""Core profile (OCPP 1.6, chapter 5): the CSMS-initiated messages a service sends or
reads (GetConfiguration, ChangeConfiguration, RemoteStartTransaction); the others
(Reset, UnlockConnector, ...) go out untyped through the generic commands endpoint."""

from __future__ import annotations

from typing import Any, ClassVar

from ocpp.v16.enums import ConfigurationStatus, RemoteStartStopStatus

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, ConnectorId, Message

__all__ = [
    "COMMANDS",
    "ChangeConfigurationConf",
    "ChangeConfigurationReq",
    "GetConfigurationConf",
    "GetConfigurationReq",
    "KeyValue",
    "RemoteStartTransactionConf",
    "RemoteStartTransactionReq",
]


class GetConfigurationReq(CsmsRequest, frozen=True):
    """6.23; without `key`, every key the charge point has."""

    action: ClassVar[str] = "GetConfiguration"

    key: list[str] | None = None


class KeyValue(Message, frozen=True):
    """7.28: one configuration key as the charge point reports it."""

    key: str
    readonly: bool
    value: str | None = None


class GetConfigurationConf(Confirmation, frozen=True):
    configuration_key: list[KeyValue] | None = None
    unknown_key: list[str] | None = None


class ChangeConfigurationReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "ChangeConfiguration"

    key: str
    value: str


class ChangeConfigurationConf(Confirmation, frozen=True):
    status: ConfigurationStatus


class RemoteStartTransactionReq(CsmsRequest, frozen=True):
    """6.33. The chargingProfile stays a JSON object: it is checked by the Smart Charging
    rules and held verbatim until the transaction it starts exists."""

    action: ClassVar[str] = "RemoteStartTransaction"

    id_tag: str
    connector_id: ConnectorId | None = None
    charging_profile: dict[str, Any] | None = None


class RemoteStartTransactionConf(Confirmation, frozen=True):
    status: RemoteStartStopStatus


COMMANDS = {
    "ChangeConfiguration": (ChangeConfigurationReq, ChangeConfigurationConf),
    "GetConfiguration": (GetConfigurationReq, GetConfigurationConf),
    "RemoteStartTransaction": (RemoteStartTransactionReq, RemoteStartTransactionConf),
}
