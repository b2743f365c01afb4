"""The OCPP WebSocket under uvicorn: an asyncio protocol on websockets' sans-I/O core.

uvicorn parses the HTTP request and hands a WebSocket upgrade to this protocol (it is the
server's `ws` protocol class); everything else stays uvicorn's and the ASGI app's. Frames
go straight from the socket to the charge point's connection and answers straight back to
the transport: no ASGI message dicts, no queue between socket and application, no pause
and resume of reading per message. That path was most of the per-message cost of
serving OCPP through an ASGI WebSocket.

Backpressure (a charge point cannot make the server buffer without bound):
- reading stops while the charge point has more than `MAX_BACKLOG` CALLs waiting (OCPP-J
  allows it one outstanding CALL) or while it does not read its answers (the transport's
  write buffer is over its high-water mark); the kernel's socket buffers then push back
  on the sender;
- a charge point whose backlog does not drain within `BACKLOG_TIMEOUT` is disconnected
  (1008, policy violation).

One module, past 400 lines: handshake, frames, pings, backpressure and closing are the
states and callbacks of one `asyncio.Protocol`; split apart they would share its fields.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import random
import struct
from enum import Enum
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

from ampyre.transport.tls import client_common_name

if TYPE_CHECKING:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from ampyre.transport.connection import ChargePointConnection
    from ampyre.transport.endpoint import OcppEndpoint

log = logging.getLogger("ampyre.connections")

SUBPROTOCOL = "ocpp1.6"
PATH_PREFIX = "/ocpp/"
#: CALLs a charge point may have waiting before the server stops reading from it.
MAX_BACKLOG = 8
#: Seconds a charge point may keep its backlog over the limit before it is disconnected.
BACKLOG_TIMEOUT = 30.0
#: Close code for a charge point that floods the server or never reads (RFC 6455, 7.4.1).
CLOSE_POLICY_VIOLATION = 1008
#: Close code of a server that stops: the charge point reconnects (to another node).
CLOSE_GOING_AWAY = 1001
#: websockets logs every frame at debug level; those lines are not Ampyre's.
_quiet = logging.getLogger("ampyre.websocket.frames")
_quiet.propagate = False


class _State(Enum):
    HANDSHAKE = 1
    OPENING = 2  # upgrade request read, the admission decision pending
    OPEN = 3
    CLOSED = 4


def charge_point_identity(path: str) -> str | None:
    """The identity in `/ocpp/{id}`: exactly one URL-decoded path segment, else None.

    A path with more segments (`/ocpp/x/y/CP-1`) names no charge point: taking its last
    segment would let a proxy path or a crafted URL stand for another identity.
    """
    path = path.split("?", 1)[0]
    if not path.startswith(PATH_PREFIX):
        return None
    segment = path[len(PATH_PREFIX) :]
    if segment.endswith("/"):
        segment = segment[:-1]
    if not segment or "/" in segment:
        return None
    identity = unquote(segment)
    return identity or None


def basic_auth_password(request: Request, identity: str) -> str | None:
    """The password of HTTP Basic credentials whose user name is the identity."""
    header = request.headers.get("Authorization")
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    return password if separator and username == identity else None


def offered_subprotocols(request: Request) -> list[str]:
    offered: list[str] = []
    for header in request.headers.get_all("Sec-WebSocket-Protocol"):
        offered.extend(token.strip() for token in header.split(","))
    return offered


class OcppWebSocketProtocol(asyncio.Protocol):
    """One charge point's socket from the upgrade request to the close."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.config = config
        self.loop = _loop or asyncio.get_event_loop()
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        extensions = []
        if config.ws_per_message_deflate:
            extensions = [
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=12,
                    client_max_window_bits=12,
                    compress_settings={"memLevel": 5},
                )
            ]
        self.ws = ServerProtocol(
            extensions=extensions,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            max_size=config.ws_max_size,
            logger=_quiet,
        )
        self.state = _State.HANDSHAKE
        self.transport: asyncio.Transport | None = None
        self.connection: ChargePointConnection | None = None
        self.endpoint: OcppEndpoint | None = None
        self.identity = ""
        #: Messages that arrived while the admission decision was pending.
        self._early: list[str | bytes] = []
        self._fragments: list[bytes] = []
        self._fragment_text = True
        self._writable = True
        self._backlogged = False
        self._reading = True
        self._backlog_timer: asyncio.TimerHandle | None = None
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._ping_payload: bytes | None = None

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.connections.add(self)  # type: ignore[arg-type]

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._stop_timers()
        was_open = self.state is _State.OPEN
        self.state = _State.CLOSED
        connection, self.connection = self.connection, None
        if was_open and connection is not None and self.endpoint is not None:
            self._track(self.endpoint.closed(connection))

    def pause_writing(self) -> None:
        self._writable = False
        self._update_reading()

    def resume_writing(self) -> None:
        self._writable = True
        self._update_reading()

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        ws.receive_data(data)
        if self.state is _State.HANDSHAKE and ws.handshake_exc is not None:
            # Not a WebSocket request websockets can read: it queued the 4xx to send.
            output = b"".join(ws.data_to_send())
            if not output:
                output = ws.reject(400, "Not a valid WebSocket upgrade request\n").serialize()
            self._write(output)
            self._close_transport()
            return
        for event in ws.events_received():
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                self._upgrade(event)
        self._flush()
        if ws.close_expected() and self.transport is not None:
            self._close_transport()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    # -- handshake ------------------------------------------------------------------------

    def _upgrade(self, request: Request) -> None:
        identity = charge_point_identity(request.path)
        if identity is None:
            self._refuse(404, "no charge point identity in the path (/ocpp/{id})")
            return
        if SUBPROTOCOL not in offered_subprotocols(request):
            self._refuse(400, f"the {SUBPROTOCOL} subprotocol is required")
            return
        app: Any = self.config.app
        endpoint: OcppEndpoint | None = getattr(app.state, "ocpp_endpoint", None)
        if endpoint is None:
            self._refuse(503, "the server is starting")
            return
        self.endpoint = endpoint
        self.identity = identity
        self.state = _State.OPENING
        self._track(self._open(endpoint, request, identity))

    async def _open(self, endpoint: OcppEndpoint, request: Request, identity: str) -> None:
        assert self.transport is not None
        direct_tls = self.transport.get_extra_info("sslcontext") is not None
        cert_name = (
            client_common_name(self.transport.get_extra_info("peercert")) if direct_tls else None
        )
        peer = self.transport.get_extra_info("peername")
        tls = direct_tls or endpoint.proxies.forwarded_tls(request, peer[0] if peer else None)
        try:
            decision = await endpoint.admit(
                identity,
                basic_auth_password(request, identity),
                tls=tls,
                client_cert_name=cert_name,
                address=peer[0] if peer else None,
            )
        except Exception as exc:  # e.g. the database is unreachable: the charge point retries
            log.warning("[%s] admission failed: %s", identity, exc)
            if self.state is _State.OPENING:
                self._refuse(503, "the server cannot check this charge point now; try again")
            return
        if self.state is not _State.OPENING:
            return  # the client went away while the decision was made
        if not decision.allowed:
            log.warning("[%s] connection refused: %s", identity, decision.reason)
            self._refuse(decision.status, decision.reason)
            return
        response = self.ws.accept(request)
        if response.status_code != 101:  # e.g. a malformed Sec-WebSocket-Key
            self.ws.send_response(response)
            self._flush()
            self._close_transport()
            return
        self.ws.send_response(response)
        self._flush()
        self.state = _State.OPEN
        self.connection = await endpoint.opened(self, identity, decision)
        if self.state is not _State.OPEN:
            # Lost during the await: connection_lost ran before the connection existed.
            self._track(endpoint.closed(self.connection))
            self.connection = None
            return
        self._schedule_ping()
        early, self._early = self._early, []
        for message in early:
            self.connection.receive(message)
        self._update_reading()

    def _refuse(self, status: int, reason: str) -> None:
        response = self.ws.reject(status, reason + "\n")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="ampyre"'
        self.ws.send_response(response)
        self._flush()
        self.state = _State.CLOSED
        self._close_transport()

    # -- frames ---------------------------------------------------------------------------

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if not frame.fin:
                self._fragments = [bytes(frame.data)]
                self._fragment_text = opcode is Opcode.TEXT
                return
            self._message(bytes(frame.data), opcode is Opcode.TEXT)
        elif opcode is Opcode.CONT:
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self._message(data, self._fragment_text)
        elif opcode is Opcode.PONG:
            if self._ping_payload is not None and bytes(frame.data) == self._ping_payload:
                self._ping_payload = None
                if self._pong_timer is not None:
                    self._pong_timer.cancel()
                    self._pong_timer = None
                self._schedule_ping()
        # PING is answered and CLOSE echoed by websockets itself (data_to_send).

    def _message(self, data: bytes, text: bool) -> None:
        message: str | bytes = data
        if text:
            try:
                message = data.decode()
            except UnicodeDecodeError:
                self.ws.fail(1007, "invalid UTF-8")
                return
        connection = self.connection
        if connection is None:
            if self.state is _State.OPENING and len(self._early) < MAX_BACKLOG:
                self._early.append(message)
            return
        connection.receive(message)

    # -- backpressure ---------------------------------------------------------------------

    def backlog_changed(self, waiting: int) -> None:
        """Called by the connection as CALLs queue up and get answered."""
        backlogged = waiting > MAX_BACKLOG
        if backlogged != self._backlogged:
            self._backlogged = backlogged
            self._update_reading()

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None or self.state is _State.CLOSED:
            return
        stalled = self._backlogged or not self._writable
        if stalled and self._reading:
            self._reading = False
            transport.pause_reading()
            self._backlog_timer = self.loop.call_later(BACKLOG_TIMEOUT, self._backlog_expired)
        elif not stalled and not self._reading:
            self._reading = True
            if self._backlog_timer is not None:
                self._backlog_timer.cancel()
                self._backlog_timer = None
            transport.resume_reading()

    def _backlog_expired(self) -> None:
        self._backlog_timer = None
        log.warning(
            "[%s] disconnected: it sent CALLs faster than they were answered, or did not "
            "read its answers, for %.0f s",
            self.identity,
            BACKLOG_TIMEOUT,
        )
        self.close_now(CLOSE_POLICY_VIOLATION, "backlog over the limit")

    # -- keepalive ------------------------------------------------------------------------

    def _schedule_ping(self) -> None:
        interval = self.config.ws_ping_interval
        if interval is not None and interval > 0 and self.state is _State.OPEN:
            self._ping_timer = self.loop.call_later(interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.state is not _State.OPEN:
            return
        self._ping_payload = struct.pack("!I", random.getrandbits(32))
        self.ws.send_ping(self._ping_payload)
        self._flush()
        timeout = self.config.ws_ping_timeout
        if timeout is not None and timeout > 0:
            self._pong_timer = self.loop.call_later(timeout, self._pong_missing)
        else:
            self._schedule_ping()

    def _pong_missing(self) -> None:
        self._pong_timer = None
        log.info(
            "[%s] no pong within %s s: connection dropped",
            self.identity,
            self.config.ws_ping_timeout,
        )
        self.ws.fail(1011, "keepalive ping timeout")
        self._flush()
        self._close_transport()

    def _stop_timers(self) -> None:
        for timer in (self._ping_timer, self._pong_timer, self._backlog_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._pong_timer = self._backlog_timer = None

    # -- MessageSocket (what ChargePointConnection writes to) ------------------------------

    def send_text(self, text: str) -> None:
        if self.state is not _State.OPEN or self.transport is None:
            raise ConnectionError("the WebSocket is closed")
        self.ws.send_text(text.encode())
        self._flush()

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.close_now(code, reason or "")

    def close_now(self, code: int, reason: str = "") -> None:
        """Start the closing handshake; the transport closes when the peer answers or
        after a short grace period."""
        if self.transport is None or self.transport.is_closing():
            return
        if self.state is _State.OPEN:
            self.state = _State.CLOSED
            try:
                self.ws.send_close(code, reason)
            except Exception:
                pass
            self._flush()
            # Reading again, so the peer's close frame arrives; then the transport closes.
            if not self._reading:
                self._reading = True
                self.transport.resume_reading()
            self.loop.call_later(2.0, self._close_transport)
        else:
            self._close_transport()

    def shutdown(self) -> None:
        """uvicorn's shutdown: charge points are told the server is going away."""
        self.close_now(CLOSE_GOING_AWAY, "server shutting down")

    # -- plumbing -------------------------------------------------------------------------

    def _flush(self) -> None:
        output = self.ws.data_to_send()
        if output and self.transport is not None and not self.transport.is_closing():
            for chunk in output:
                if chunk:
                    self.transport.write(chunk)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close_transport(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _track(self, coroutine: Any) -> None:
        task = self.loop.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("[%s] connection task failed", self.identity, exc_info=task.exception())
            self._close_transport()
