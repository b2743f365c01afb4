"""The OCPP endpoint's session rules: who may connect, and what opening and closing mean.

The WebSocket protocol (`transport/websocket.py`) asks `admit` at the upgrade, so a
refused charge point gets a plain HTTP status (404 unknown, 400 no `ocpp1.6`, 401
credentials) rather than a WebSocket that opens and closes; then `opened` and `closed`
bracket the charge point's connection.
"""

from __future__ import annotations

import logging

from ampyre.handlers.context import ChargePointSession, MessageContext
from ampyre.handlers.dispatcher import Dispatcher
from ampyre.ocpp.v16.validation import MessageValidator
from ampyre.services.central_system import CentralSystem
from ampyre.services.charge_points import ConnectAuthorization, ConnectRefusal
from ampyre.transport.connection import ChargePointConnection, MessageSocket
from ampyre.transport.registry import ConnectionRegistry

log = logging.getLogger("ampyre.connections")

#: The HTTP status of a refused upgrade (the subprotocol check's 400 is the socket's own).
REFUSAL_STATUS = {
    ConnectRefusal.UNKNOWN: 404,
    ConnectRefusal.CREDENTIALS_REQUIRED: 401,
    ConnectRefusal.WRONG_CREDENTIALS: 401,
    ConnectRefusal.TLS_REQUIRED: 401,
    ConnectRefusal.CLIENT_CERTIFICATE_REQUIRED: 401,
}


class OcppEndpoint:
    def __init__(
        self,
        csms: CentralSystem,
        registry: ConnectionRegistry,
        dispatcher: Dispatcher,
        validator: MessageValidator,
        *,
        client_certificates: bool,
    ) -> None:
        self.csms = csms
        self.registry = registry
        self.dispatcher = dispatcher
        self.validator = validator
        self.client_certificates = client_certificates

    async def admit(
        self, charge_point_id: str, password: str | None, *, tls: bool, client_cert_name: str | None
    ) -> ConnectAuthorization:
        return await self.csms.charge_points.authorize_connection(
            charge_point_id,
            password,
            tls=tls,
            client_cert=tls and self.client_certificates and client_cert_name == charge_point_id,
        )

    @staticmethod
    def refusal_status(refusal: ConnectRefusal) -> int:
        """The HTTP status to refuse the upgrade with."""
        return REFUSAL_STATUS[refusal]

    async def opened(
        self, socket: MessageSocket, charge_point_id: str, admitted: ConnectAuthorization
    ) -> ChargePointConnection:
        ctx = MessageContext(self.csms, ChargePointSession(charge_point_id, admitted.boot_status))
        connection = ChargePointConnection(
            socket,
            ctx,
            self.dispatcher,
            self.validator,
            self.registry.answers_for(charge_point_id),
            lenient=admitted.lenient,
        )
        await self.registry.add(connection)
        connection.start()
        log.info("[%s] connected", charge_point_id)
        self.csms.charge_points.touch_later(charge_point_id, connection.last_activity)
        return connection

    async def closed(self, connection: ChargePointConnection) -> None:
        await connection.finish()
        if self.registry.remove(connection):
            log.info("[%s] disconnected", connection.charge_point_id)
        self.csms.charge_points.touch_later(connection.charge_point_id, connection.last_activity)
