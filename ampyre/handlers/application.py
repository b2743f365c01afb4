"""The CSMS as the transport's application: admission, sessions and connection hooks.

This is where the transport's protocols (`transport/application.py`) meet the domain:
each connection gets a session that hands its validated CALLs to the dispatcher.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ampyre.handlers.context import ChargePointSession, MessageContext
from ampyre.handlers.dispatcher import Dispatcher
from ampyre.services.central_system import CentralSystem
from ampyre.services.connection_admission import ConnectAuthorization, ConnectRefusal

log = logging.getLogger("ampyre.security")

#: The HTTP status of a refused upgrade (the subprotocol check's 400 is the socket's own).
REFUSAL_STATUS = {
    ConnectRefusal.UNKNOWN: 404,
    ConnectRefusal.CREDENTIALS_REQUIRED: 401,
    ConnectRefusal.WRONG_CREDENTIALS: 401,
    ConnectRefusal.TLS_REQUIRED: 401,
    ConnectRefusal.CLIENT_CERTIFICATE_REQUIRED: 401,
    ConnectRefusal.TOO_MANY_ATTEMPTS: 429,
}
#: Refusals of a connection below the charge point's security profile: security events.
BELOW_PROFILE = frozenset(
    {
        ConnectRefusal.CREDENTIALS_REQUIRED,
        ConnectRefusal.TLS_REQUIRED,
        ConnectRefusal.CLIENT_CERTIFICATE_REQUIRED,
    }
)


@dataclass(frozen=True, slots=True)
class OcppAdmission:
    """The domain's decision on a connection, in the terms the transport refuses by."""

    decision: ConnectAuthorization

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def status(self) -> int:
        refusal = self.decision.refusal
        return 200 if refusal is None else REFUSAL_STATUS[refusal]

    @property
    def reason(self) -> str:
        return self.decision.reason

    @property
    def lenient(self) -> bool:
        return self.decision.lenient


class OcppSession:
    """One connection's session: its message context and the dispatcher."""

    __slots__ = ("ctx", "dispatcher", "handle")

    def __init__(self, ctx: MessageContext, dispatcher: Dispatcher) -> None:
        self.ctx = ctx
        self.dispatcher = dispatcher
        #: `Session.handle`: the dispatcher's coroutine itself, no frame in between (this
        #: runs for every message).
        self.handle: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]] = functools.partial(
            dispatcher.dispatch, ctx
        )

    async def record_deviations(self, deviations: list[tuple[str, str, str, str]]) -> None:
        await self.ctx.csms.charge_points.record_deviations(self.ctx.charge_point_id, deviations)

    def on_call_answered(
        self, action: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        self.dispatcher.on_call_answered(self.ctx, action, request, response)


class OcppApplication:
    def __init__(self, csms: CentralSystem, dispatcher: Dispatcher | None = None) -> None:
        self.csms = csms
        self.dispatcher = dispatcher or Dispatcher()

    async def admit(
        self,
        identity: str,
        password: str | None,
        *,
        tls: bool,
        client_certificate: bool,
        address: str | None,
    ) -> OcppAdmission:
        decision = await self.csms.charge_points.authorize_connection(
            identity, password, tls=tls, client_cert=client_certificate, address=address
        )
        if decision.refusal in BELOW_PROFILE:
            # A charge point (or someone in its name) connecting below its security
            # profile: the operator reads it in the charge point's event log.
            log.warning("[%s] connection refused: %s", identity, decision.reason)
            await self.csms.event_log.record(
                identity,
                "ConnectionRefused",
                {
                    "reason": decision.reason,
                    "tls": tls,
                    "clientCertificate": client_certificate,
                    "address": address,
                },
            )
        return OcppAdmission(decision)

    def open_session(self, identity: str, admission: OcppAdmission) -> OcppSession:
        session = ChargePointSession(identity, admission.decision.boot_status)
        return OcppSession(MessageContext(self.csms, session), self.dispatcher)

    def connected(self, identity: str, at: datetime) -> None:
        self.csms.charge_points.touch_later(identity, at)
        self.csms.events.publish("connected", identity)

    def disconnected(self, identity: str, at: datetime) -> None:
        self.csms.charge_points.touch_later(identity, at)
        self.csms.events.publish("disconnected", identity)
