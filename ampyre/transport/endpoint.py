"""The OCPP WebSocket endpoint: `/ocpp/{chargePointId}` with subprotocol `ocpp1.6`.

Identity, subprotocol and credentials are checked at the HTTP upgrade, so a refused
charge point gets a plain HTTP status (404 unknown, 400 no `ocpp1.6`, 401 credentials)
rather than a WebSocket that opens and closes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket

from ampyre.handlers.context import ChargePointSession, MessageContext
from ampyre.handlers.dispatcher import Dispatcher
from ampyre.services.central_system import CentralSystem
from ampyre.transport.connection import ChargePointConnection
from ampyre.transport.registry import ConnectionRegistry
from ampyre.transport.validation import MessageValidator

log = logging.getLogger("ampyre.connections")

SUBPROTOCOL = "ocpp1.6"


def charge_point_identity(websocket: WebSocket) -> str:
    """The last path segment, URL-decoded (so `%2F` may be part of an identity)."""
    raw_path = websocket.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else websocket.scope["path"]
    path = path.split("?", 1)[0].rstrip("/")
    return unquote(path.rsplit("/", 1)[-1])


def basic_auth(websocket: WebSocket) -> tuple[str, str] | None:
    header = websocket.headers.get("authorization")
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    return (username, password) if separator else None


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

    async def __call__(self, websocket: WebSocket) -> None:
        charge_point_id = charge_point_identity(websocket)
        if not charge_point_id:
            await self._refuse(websocket, 404, "no charge point identity in the path")
            return
        if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
            await self._refuse(websocket, 400, f"the {SUBPROTOCOL} subprotocol is required")
            return
        credentials = basic_auth(websocket)
        password = None
        if credentials is not None and credentials[0] == charge_point_id:
            password = credentials[1]
        tls = websocket.url.scheme == "wss"
        tls_info = websocket.scope.get("extensions", {}).get("tls") or {}
        decision = await self.csms.charge_points.authorize_connection(
            charge_point_id,
            password,
            tls=tls,
            client_cert=tls
            and self.client_certificates
            and tls_info.get("client_cert_name") == charge_point_id,
        )
        if not decision.allowed:
            log.warning("[%s] connection refused: %s", charge_point_id, decision.reason)
            await self._refuse(websocket, decision.status, decision.reason)
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        boot_status = await self.csms.charge_points.boot_status(charge_point_id)
        ctx = MessageContext(self.csms, ChargePointSession(charge_point_id, boot_status))
        connection = ChargePointConnection(
            websocket,
            ctx,
            self.dispatcher,
            self.validator,
            self.registry.answers_for(charge_point_id),
            lenient=decision.lenient,
        )
        await self.registry.add(connection)
        connection.start()
        client = websocket.client
        log.info(
            "[%s] connected from %s",
            charge_point_id,
            f"{client.host}:{client.port}" if client else "?",
        )
        await self.csms.charge_points.touch(charge_point_id)
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                await connection.receive(data)
        finally:
            await connection.finish()
            if self.registry.remove(connection):
                log.info("[%s] disconnected", charge_point_id)
            await self.csms.charge_points.touch(charge_point_id, connection.last_activity)

    @staticmethod
    async def _refuse(websocket: WebSocket, status: int, reason: str) -> None:
        headers = {"WWW-Authenticate": 'Basic realm="ampyre"'} if status == 401 else None
        await websocket.send_denial_response(
            PlainTextResponse(reason, status_code=status, headers=headers)
        )
