"""The OCPP endpoint's session rules: who may connect, and what opening and closing mean.

The WebSocket protocol (`transport/websocket.py`) asks `admit` at the upgrade, so a
refused charge point gets a plain HTTP status (404 unknown, 400 no `ocpp1.6`, 401
credentials) rather than a WebSocket that opens and closes; then `opened` and `closed`
bracket the charge point's connection. The decisions themselves are the application's
(`transport/application.py`).
"""

from __future__ import annotations

import logging
from typing import Any

from ampyre.ocpp.v16.validation import MessageValidator
from ampyre.transport.application import Admission, Application, FrameObserver, SharedAnswers
from ampyre.transport.connection import ChargePointConnection, MessageSocket
from ampyre.transport.proxies import TrustedProxies
from ampyre.transport.registry import ConnectionRegistry
from ampyre.transport.stats import MessageStats

log = logging.getLogger("ampyre.connections")


class OcppEndpoint:
    def __init__(
        self,
        application: Application[Any],
        registry: ConnectionRegistry,
        validator: MessageValidator,
        *,
        client_certificates: bool,
        shared_answers: SharedAnswers | None = None,
        proxies: TrustedProxies | None = None,
        stats: MessageStats | None = None,
        frames: FrameObserver | None = None,
    ) -> None:
        self.application = application
        #: Sees every frame of every connection (the message log), if given.
        self.frames = frames
        self.shared_answers = shared_answers
        self.proxies = proxies or TrustedProxies()
        self.stats = stats
        self.registry = registry
        self.validator = validator
        self.client_certificates = client_certificates

    async def admit(
        self,
        charge_point_id: str,
        password: str | None,
        *,
        tls: bool,
        client_cert_name: str | None,
        address: str | None = None,
    ) -> Admission:
        return await self.application.admit(
            charge_point_id,
            password,
            tls=tls,
            client_certificate=tls
            and self.client_certificates
            and client_cert_name == charge_point_id,
            address=address,
        )

    async def opened(
        self, socket: MessageSocket, charge_point_id: str, admitted: Admission
    ) -> ChargePointConnection:
        connection = ChargePointConnection(
            socket,
            charge_point_id,
            self.application.open_session(charge_point_id, admitted),
            self.validator,
            self.registry.answers_for(charge_point_id),
            lenient=admitted.lenient,
            shared=self.shared_answers,
            stats=self.stats,
            frames=self.frames,
        )
        await self.registry.add(connection)
        connection.start()
        log.info("[%s] connected", charge_point_id)
        self.application.connected(charge_point_id, connection.last_activity)
        return connection

    async def closed(self, connection: ChargePointConnection) -> None:
        await connection.finish()
        if self.registry.remove(connection):
            # Not for a connection a newer one replaced: the charge point is still there.
            log.info("[%s] disconnected", connection.charge_point_id)
            self.application.disconnected(connection.charge_point_id, connection.last_activity)
