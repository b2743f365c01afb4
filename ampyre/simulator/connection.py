"""OCPP-J RPC over one WebSocket, seen from the charge point's side.

Two rules of OCPP-J shape this module. A peer has at most one CALL of its own waiting for
an answer, so outgoing CALLs queue behind a lock, and a CALL whose caller is cancelled
still holds its turn until the answer (or the timeout) comes: letting the next CALL go out
early would break the rule on the wire. And CALLs from the CSMS are answered on their own
task, so a handler that itself sends CALLs cannot deadlock the reader.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.typing import Subprotocol

from ampyre.ocpp.v16.framing import (
    Call,
    CallError,
    CallResult,
    FrameError,
    parse_frame,
)
from ampyre.simulator import validation
from ampyre.simulator.errors import (
    CallErrorReceived,
    ConnectError,
    ConnectionLost,
    InvalidResponse,
)
from ampyre.simulator.events import Event, EventKind, EventSink
from ampyre.simulator.stats import CallOutcome, CallStats

SUBPROTOCOL = "ocpp1.6"
MAX_MESSAGE_SIZE = 4 * 1024 * 1024

#: Why a refused upgrade was probably refused, to make the CLI's message actionable.
_REFUSAL_HINTS = {
    400: "the server rejected the handshake",
    401: "wrong or missing password for this charge point",
    403: "this charge point is not allowed to connect",
    404: "unknown charge point id, or wrong URL path",
}

FollowUp = Callable[[], Awaitable[None]]


def charge_point_url(base_url: str, charge_point_id: str) -> str:
    """The URL a charge point connects to: the base with its URL-encoded id appended.

    A base containing `{id}` gets the id substituted instead, for servers whose path puts
    the id somewhere other than at the end.
    """
    quoted = quote(charge_point_id, safe="")
    if "{id}" in base_url:
        return base_url.replace("{id}", quoted)
    return f"{base_url.rstrip('/')}/{quoted}"


@dataclass(slots=True)
class Reply:
    """How to answer one CSMS CALL: a frame (None = stay silent) and what to do next.

    The follow-up runs only after the frame has been sent, which is what OCPP requires of
    e.g. the StartTransaction that follows an accepted RemoteStartTransaction.
    """

    frame: CallResult | CallError | None
    follow_up: FollowUp | None = None


CallHandler = Callable[[Call], Awaitable[Reply]]


class Connection:
    def __init__(
        self,
        url: str,
        *,
        charge_point_id: str,
        password: str | None,
        ssl_context: ssl.SSLContext | None,
        call_timeout: float,
        connect_timeout: float,
        handle_call: CallHandler,
        spawn: Callable[[FollowUp], None],
        on_closed: Callable[[Connection], None],
        report_problem: Callable[[str], None],
        sink: EventSink | None,
        stats: CallStats | None,
        validate_responses: bool,
    ) -> None:
        self.url = url
        self.charge_point_id = charge_point_id
        self._password = password
        self._ssl_context = ssl_context
        self.call_timeout = call_timeout
        self._connect_timeout = connect_timeout
        self._handle_call = handle_call
        self._spawn = spawn
        self._on_closed = on_closed
        self._report_problem = report_problem
        self._sink = sink
        self._stats = stats
        self._validate_responses = validate_responses
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._serving: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._pending_id: str | None = None
        self._pending: asyncio.Future[CallResult | CallError] | None = None
        self._abandoned: deque[str] = deque(maxlen=64)
        self._closing = False
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason: str = ""

    @property
    def is_open(self) -> bool:
        return self._ws is not None and not self.closed.is_set()

    @property
    def closed_by_peer(self) -> bool:
        return self.closed.is_set() and not self._closing

    async def open(self) -> None:
        headers: dict[str, str] = {}
        if self._password is not None:
            credentials = f"{self.charge_point_id}:{self._password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        options: dict[str, Any] = {}
        if self._ssl_context is not None:
            options["ssl"] = self._ssl_context
        try:
            self._ws = await connect(
                self.url,
                subprotocols=[Subprotocol(SUBPROTOCOL)],
                additional_headers=headers,
                open_timeout=self._connect_timeout,
                # Charge points rarely negotiate compression; not doing so keeps the load
                # mode's CPU cost (and thus its latency figures) close to the real thing.
                compression=None,
                proxy=None,
                max_size=MAX_MESSAGE_SIZE,
                **options,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            reason = exc.response.reason_phrase
            hint = _REFUSAL_HINTS.get(status)
            raise ConnectError(
                f"{self.url}: the server refused the WebSocket upgrade with HTTP {status} "
                f"{reason}" + (f" ({hint})" if hint else ""),
                status_code=status,
            ) from None
        except InvalidURI as exc:
            raise ConnectError(f"{self.url}: not a valid ws:// or wss:// URL ({exc})") from None
        except ssl.SSLError as exc:
            raise ConnectError(f"{self.url}: TLS handshake failed: {exc}") from None
        except TimeoutError:
            raise ConnectError(
                f"{self.url}: no WebSocket handshake within {self._connect_timeout:g} s"
            ) from None
        except OSError as exc:
            raise ConnectError(f"cannot reach {self.url}: {exc.strerror or exc}") from None
        except InvalidHandshake as exc:
            raise ConnectError(f"{self.url}: WebSocket handshake failed: {exc}") from None
        if self._ws.subprotocol != SUBPROTOCOL:
            await self._ws.close()
            raise ConnectError(
                f"{self.url}: the server did not agree to the {SUBPROTOCOL} subprotocol "
                f"(it answered {self._ws.subprotocol!r})"
            )
        self._reader = asyncio.create_task(self._read_loop())

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                self._reader.cancel()
        for task in list(self._serving):
            if task is not asyncio.current_task():
                task.cancel()
        self.closed.set()

    async def call(
        self, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Send a CALL and return its CALLRESULT payload; see the module doc on ordering."""
        task = asyncio.ensure_future(self._exclusive_call(action, payload, timeout))
        task.add_done_callback(_retrieve_exception)
        return await asyncio.shield(task)

    async def _exclusive_call(
        self, action: str, payload: dict[str, Any], timeout: float | None
    ) -> dict[str, Any]:
        async with self._lock:
            ws = self._ws
            if ws is None or self.closed.is_set():
                self._record(action, None, "closed")
                raise ConnectionLost(f"{self.charge_point_id} is not connected")
            unique_id = str(uuid.uuid4())
            future: asyncio.Future[CallResult | CallError] = (
                asyncio.get_running_loop().create_future()
            )
            self._pending_id, self._pending = unique_id, future
            self._emit("call", action=action, payload=payload)
            limit = self.call_timeout if timeout is None else timeout
            started = time.perf_counter()
            try:
                await ws.send(Call(unique_id, action, payload).encode())
                async with asyncio.timeout(limit):
                    reply = await future
            except TimeoutError:
                self._abandoned.append(unique_id)
                self._record(action, None, "timeout")
                self._emit("error", f"{action}: no answer within {limit:g} s", action=action)
                raise
            except (ConnectionClosed, ConnectionLost):
                self._record(action, None, "closed")
                raise ConnectionLost(
                    f"{self.charge_point_id}: connection closed while waiting for the answer "
                    f"to {action}"
                ) from None
            finally:
                self._pending_id, self._pending = None, None
        latency = time.perf_counter() - started
        if isinstance(reply, CallError):
            self._record(action, latency, "callerror")
            self._emit(
                "callerror",
                f"{reply.error_code} {reply.error_description}".strip(),
                action=action,
                payload=reply.error_details,
                latency=latency,
            )
            raise CallErrorReceived(
                reply.error_code, reply.error_description, reply.error_details, action
            )
        if self._validate_responses:
            problem = validation.response_problem(action, reply.payload)
            if problem is not None:
                self._record(action, latency, "invalid")
                error = InvalidResponse(action, problem.description, reply.payload)
                self._report_problem(str(error))
                raise error
        self._record(action, latency, "ok")
        self._emit("result", action=action, payload=reply.payload, latency=latency)
        return reply.payload

    async def _read_loop(self) -> None:
        ws = self._ws
        assert ws is not None
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    self._report_problem("the CSMS sent a binary frame; OCPP-J uses text frames")
                await self._dispatch(message)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            self.close_reason = ws.close_reason or ""
            self.closed.set()
            if self._pending is not None and not self._pending.done():
                self._pending.set_exception(ConnectionLost("connection closed"))
            self._on_closed(self)

    async def _dispatch(self, message: str | bytes) -> None:
        try:
            frame = parse_frame(message)
        except FrameError as exc:
            self._report_problem(f"malformed frame from the CSMS: {exc.error.description}")
            if exc.answerable:
                await self._send(exc.to_call_error().encode())
            return
        if isinstance(frame, Call):
            task = asyncio.create_task(self._serve(frame))
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)
            return
        if frame.unique_id == self._pending_id and self._pending is not None:
            if not self._pending.done():
                self._pending.set_result(frame)
        elif frame.unique_id in self._abandoned:
            self._emit("warning", f"late answer to a CALL that timed out ({frame.unique_id})")
        else:
            self._report_problem(
                f"the CSMS answered a CALL that is not outstanding (unique id {frame.unique_id!r})"
            )

    async def _serve(self, call: Call) -> None:
        self._emit("request", action=call.action, payload=call.payload)
        try:
            reply = await self._handle_call(call)
        except Exception as exc:
            reply = Reply(CallError(call.unique_id, "InternalError", f"simulator bug: {exc!r}"))
        frame = reply.frame
        if frame is not None:
            if not await self._send(frame.encode()):
                return
            if self._stats is not None:
                self._stats.record_answer()
            if isinstance(frame, CallResult):
                self._emit("answer", action=call.action, payload=frame.payload)
            else:
                self._emit(
                    "answer-error",
                    f"{frame.error_code} {frame.error_description}".strip(),
                    action=call.action,
                )
        else:
            self._emit("info", "left unanswered on purpose", action=call.action)
        if reply.follow_up is not None:
            self._spawn(reply.follow_up)

    async def _send(self, text: str) -> bool:
        if self._ws is None:
            return False
        try:
            await self._ws.send(text)
        except ConnectionClosed:
            return False
        return True

    def _record(self, action: str, latency: float | None, outcome: CallOutcome) -> None:
        if self._stats is not None:
            self._stats.record_call(action, latency, outcome)

    def _emit(
        self,
        kind: EventKind,
        text: str = "",
        *,
        action: str = "",
        payload: dict[str, Any] | None = None,
        latency: float | None = None,
    ) -> None:
        if self._sink is not None:
            self._sink(Event(self.charge_point_id, kind, text, action, payload, latency))


def _retrieve_exception(task: asyncio.Task[Any]) -> None:
    """Mark the exception of a call whose caller went away as seen (no asyncio warning)."""
    if not task.cancelled():
        task.exception()
