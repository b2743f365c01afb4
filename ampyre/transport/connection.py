"""One charge point's WebSocket connection: the OCPP-J RPC state machine.

Incoming CALLs are handled one after another in arrival order by a worker task, while the
receive loop keeps reading, so answers to the CSMS's own CALLs are never stuck behind a
slow handler. Outgoing CALLs go one at a time (OCPP-J 1.6, 4.1.1): the next waits until
the previous is answered or timed out.

One module, a little past 400 lines: the incoming and the outgoing half share the one
socket, the outstanding CALL (an answer to it arrives in the receive loop) and the frames
the message log is told of; apart, each would reach into the other's state. What stands
alone is elsewhere: the repeated-CALL cache (`answer_cache.py`), the payload check
(`ocpp/v16/checking.py`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from ampyre.ocpp.v16.checking import checked_request, checked_response
from ampyre.ocpp.v16.errors import (
    InternalError,
    NotImplementedError_,
    OcppError,
)
from ampyre.ocpp.v16.framing import (
    CALL,
    CALLERROR,
    CALLRESULT,
    Call,
    CallError,
    CallResult,
    FrameError,
    parse_frame,
)
from ampyre.ocpp.v16.validation import MessageValidator
from ampyre.transport.answer_cache import AnswerCache
from ampyre.transport.application import Deviation, FrameObserver, Session, SharedAnswers
from ampyre.transport.errors import CallErrorAnswer, CallTimeout, ConnectionClosed
from ampyre.transport.stats import MessageStats

log = logging.getLogger("ampyre.ocpp")


class MessageSocket(Protocol):
    """The part of a WebSocket the connection needs (`transport/websocket.py`)."""

    def send_text(self, data: str) -> None:
        """Queue a text message on the socket (non-blocking; raises once it is closed)."""
        ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...

    def backlog_changed(self, waiting: int) -> None:
        """How many received CALLs wait for their answer (the socket stops reading
        from a charge point that floods it)."""
        ...


class ChargePointConnection:
    def __init__(
        self,
        socket: MessageSocket,
        charge_point_id: str,
        session: Session,
        validator: MessageValidator,
        answers: AnswerCache,
        *,
        lenient: bool = False,
        shared: SharedAnswers | None = None,
        stats: MessageStats | None = None,
        frames: FrameObserver | None = None,
    ) -> None:
        self.socket = socket
        self.charge_point_id = charge_point_id
        self.session = session
        self.validator = validator
        self.answers = answers
        #: The answers of every node of a cluster, for repeats after a reconnect.
        self.shared = shared
        self.stats = stats
        #: Whether the cluster's last answer of this charge point is still to be read.
        self._shared_unread = shared is not None
        #: Sees every frame in and out (the message log); None: nobody looks.
        self.frames = frames
        self.lenient = lenient
        self.closed = False
        #: Set on shutdown: CALLs arriving now are left unanswered (the charge point
        #: sends them again after it reconnects), those already taken are finished.
        self.draining = False
        #: When the charge point last sent anything (the REST API's lastSeen).
        self.last_activity = datetime.now(UTC)
        #: Received CALLs with when they came (`time.perf_counter()`), for the message
        #: log's answer times; None is the stop marker.
        #: Received CALLs waiting for the worker: the call, its frame's text, when it came.
        self._incoming: asyncio.Queue[tuple[Call, str | bytes, float] | None] = asyncio.Queue()
        self._call_lock = asyncio.Lock()
        #: The outstanding CALL: unique id, action, request payload, the answer to come.
        self._pending: tuple[str, str, dict[str, Any], asyncio.Future[dict[str, Any]]] | None = None
        #: When the outstanding CALL was sent (`time.perf_counter()`).
        self._call_sent = 0.0
        self._worker: asyncio.Task[None] | None = None
        #: Whether the worker is inside a CALL (else it waits for one).
        self._handling = False

    def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name=f"ocpp-{self.charge_point_id}")

    def receive(self, text: str | bytes) -> None:
        """Take one WebSocket message as the socket reads it."""
        self.last_activity = datetime.now(UTC)
        try:
            frame = parse_frame(text)
        except FrameError as exc:
            log.warning("[%s] bad frame: %s", self.charge_point_id, exc.error.description[:200])
            if self.frames is not None:
                self._observe(True, None, None, None, text, None)
            if exc.answerable:
                try:
                    self._send(exc.to_call_error().encode(), exc.unique_id, None)
                except ConnectionClosed:
                    pass
            return
        if isinstance(frame, Call):
            if self.frames is not None:
                self._observe(True, CALL, frame.unique_id, frame.action, text, None)
            if self.draining:
                return
            self._incoming.put_nowait((frame, text, time.perf_counter()))
            self.socket.backlog_changed(self._incoming.qsize())
        else:
            if self.frames is not None:
                self._observe_answer(frame, text)
            self._resolve(frame)

    async def drain(self) -> None:
        """Finish and answer the CALLs already taken, taking no new ones."""
        self.draining = True
        await self._incoming.join()

    async def finish(self, drain_timeout: float = 10.0) -> None:
        """Stop after the CALLs already received are handled (graceful shutdown).

        An idle worker takes the stop marker and ends by itself: only one with CALLs in
        hand is waited for (most connections end idle, and thousands may end at once).
        """
        self.closed = True
        self._incoming.put_nowait(None)
        if self._worker is not None and (self._handling or self._incoming.qsize() > 1):
            try:
                await asyncio.wait_for(asyncio.shield(self._worker), drain_timeout)
            except TimeoutError:
                self._worker.cancel()
        if self._pending is not None and not self._pending[3].done():
            self._pending[3].set_exception(ConnectionClosed("connection closed", sent=True))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        try:
            await self.socket.close(code, reason)
        except Exception:  # the socket may already be gone
            pass

    # -- incoming CALLs -----------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            item = await self._incoming.get()
            if item is None:
                self._incoming.task_done()
                return
            call, text, received = item
            self._handling = True
            try:
                await self._handle_call(call, text, received)
            except ConnectionClosed:
                log.info(
                    "[%s] %s handled, but the connection closed before the answer",
                    self.charge_point_id,
                    call.action,
                )
            except Exception:  # never let one message end the connection
                log.exception("[%s] failed to answer %s", self.charge_point_id, call.action[:64])
            finally:
                self._handling = False
                self._incoming.task_done()
                self.socket.backlog_changed(self._incoming.qsize())

    async def _handle_call(self, call: Call, text: str | bytes, received: float) -> None:
        if not self.validator.knows(call.action):
            # Changes nothing, so nothing to remember (and its action may be huge).
            self._answered(call, (await self._answer(call))[0], received)
            return
        key = AnswerCache.key(call, text)
        if self._shared_unread:
            await self._read_shared_answer()
        previous = self.answers.get(key)
        if previous is not None:
            log.info(
                "[%s] %s %s repeated: answering as before",
                self.charge_point_id,
                call.action,
                call.unique_id,
            )
            self._answered(call, await asyncio.shield(previous), received)
            return
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.answers.put(key, answer)
        started = time.perf_counter()
        try:
            frame, error_code = await self._answer(call)
        except BaseException:
            self.answers.discard(key)
            answer.cancel()
            raise
        answer.set_result(frame)
        if self.stats is not None:
            self.stats.answered(call.action, time.perf_counter() - started, error_code)
        if error_code == InternalError.code or len(frame) > AnswerCache.MAX_ANSWER:
            # Not kept: a large answer (a bound on memory), or an InternalError (the
            # database may be back when the charge point sends it again).
            self.answers.discard(key)
        elif self.shared is not None:
            self.shared.remember(self.charge_point_id, key, frame)
        self._answered(call, frame, received)

    async def _read_shared_answer(self) -> None:
        """Take the charge point's last answer on another node into this connection's
        answers: a repeat after a reconnect here is then answered as before. Once per
        connection, at its first CALL: a message costs no trip to the cluster after it."""
        assert self.shared is not None
        self._shared_unread = False
        last = await self.shared.last(self.charge_point_id)
        if last is not None:
            key, frame = last
            answered: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            answered.set_result(frame)
            self.answers.put(key, answered)

    async def _answer(self, call: Call) -> tuple[str, str | None]:
        """The answer frame, and its error code when it is a CALLERROR (an InternalError
        is not repeated to a retry: the database may be back by then)."""
        try:
            payload, deviations = self._validated(call)
            if deviations:
                # Recorded before the answer: what the operator reads is up to date.
                await self.session.record_deviations(deviations)
            response = await self.session.handle(call.action, payload)
            try:
                self.validator.validate_response(call.action, response)
            except OcppError as exc:
                raise InternalError(f"CSMS built an invalid answer: {exc.description}") from None
        except OcppError as exc:
            log.info(
                "[%s] %s %s -> CALLERROR %s: %s",
                self.charge_point_id,
                call.action[:64],
                call.unique_id,
                exc.code,
                exc.description[:200],
            )
            return CallError.from_exception(call.unique_id, exc).encode(), exc.code
        except Exception:
            log.exception("[%s] %s handler failed", self.charge_point_id, call.action)
            return CallError(
                call.unique_id, InternalError.code, f"{call.action} could not be processed"
            ).encode(), InternalError.code
        log.debug("[%s] -> CALLRESULT %s %s", self.charge_point_id, call.action, call.unique_id)
        return CallResult(call.unique_id, response).encode(), None

    def _validated(self, call: Call) -> tuple[dict[str, Any], list[Deviation]]:
        if not self.validator.knows(call.action):
            raise NotImplementedError_(f"Unknown action {call.action[:64]!r}")
        payload, deviations = checked_request(
            self.validator, call.action, call.payload, lenient=self.lenient
        )
        if deviations:
            log.info(
                "[%s] %s accepted leniently: %s",
                self.charge_point_id,
                call.action,
                "; ".join(d.detail for d in deviations),
            )
        return payload, [(d.action, d.path, d.kind, d.detail) for d in deviations]

    def _record_deviations(self, deviations: list[Deviation]) -> None:
        task = asyncio.create_task(self.session.record_deviations(deviations))
        task.add_done_callback(_log_task_failure)

    # -- outgoing CALLs -----------------------------------------------------------------

    async def call(self, action: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send a CALL and wait for its answer, one outstanding CALL at a time.

        `timeout` covers the whole wait: the turn behind earlier CALLs and the answer.
        """
        try:
            async with asyncio.timeout(timeout):
                return await self._call(action, payload)
        except TimeoutError:
            raise CallTimeout(
                f"Charge point {self.charge_point_id!r} did not answer {action} "
                f"within {timeout:g} s"
            ) from None

    async def _call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        async with self._call_lock:
            if self.closed:
                raise ConnectionClosed("connection closed")
            unique_id = str(uuid.uuid4())
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._pending = (unique_id, action, payload, future)
            try:
                log.debug("[%s] -> CALL %s %s", self.charge_point_id, action, unique_id)
                self._call_sent = time.perf_counter()
                self._send(Call(unique_id, action, payload).encode(), unique_id, action)
                return await future
            finally:
                self._pending = None

    def _resolve(self, frame: CallResult | CallError) -> None:
        pending = self._pending
        if pending is None or pending[0] != frame.unique_id:
            log.warning(
                "[%s] answer %s matches no outstanding CALL: ignored",
                self.charge_point_id,
                frame.unique_id,
            )
            return
        _, action, request, future = pending
        if future.done():
            return
        if isinstance(frame, CallError):
            log.debug("[%s] <- CALLERROR %s %s", self.charge_point_id, action, frame.error_code)
            future.set_exception(
                CallErrorAnswer(frame.error_code, frame.error_description, frame.error_details)
            )
            return
        log.debug("[%s] <- CALLRESULT %s %s", self.charge_point_id, action, frame.unique_id)
        try:
            payload = self._validated_response(action, frame.payload)
        except OcppError as exc:
            future.set_exception(
                CallErrorAnswer(
                    exc.code,
                    f"The charge point's {action} answer is not valid: {exc.description}",
                    {"payload": frame.payload},
                )
            )
            return
        # Here, in the receive loop, not where the caller resumes: the charge point may send
        # what its answer allows (a triggered message) in the very next frame.
        self.session.on_call_answered(action, request, payload)
        future.set_result(payload)

    def _validated_response(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        repaired, deviations = checked_response(
            self.validator, action, payload, lenient=self.lenient
        )
        if deviations:
            self._record_deviations([(d.action, d.path, d.kind, d.detail) for d in deviations])
        return repaired

    def _answered(self, call: Call, frame: str, received: float) -> None:
        self._send(frame, call.unique_id, call.action, received)

    def _send(
        self, text: str, unique_id: str, action: str | None, received: float | None = None
    ) -> None:
        """Send a frame (`received`: when the CALL it answers came)."""
        try:
            self.socket.send_text(text)
        except Exception as exc:
            raise ConnectionClosed(f"send failed: {exc}") from None
        if self.frames is not None:
            # The frames this module encodes start "[2,", "[3," or "[4,".
            answer_ms = None if received is None else (time.perf_counter() - received) * 1000
            self._observe(False, int(text[1]), unique_id, action, text, answer_ms)

    # -- the message log ----------------------------------------------------------------

    def _observe_answer(self, frame: CallResult | CallError, text: str | bytes) -> None:
        """An answer, with the action and time of the CALL it answers (if it answers the
        outstanding one)."""
        pending = self._pending
        action: str | None = None
        answer_ms: float | None = None
        if pending is not None and pending[0] == frame.unique_id:
            action = pending[1]
            answer_ms = (time.perf_counter() - self._call_sent) * 1000
        kind = CALLRESULT if isinstance(frame, CallResult) else CALLERROR
        self._observe(True, kind, frame.unique_id, action, text, answer_ms)

    def _observe(
        self,
        incoming: bool,
        message_type: int | None,
        unique_id: str | None,
        action: str | None,
        text: str | bytes,
        answer_ms: float | None,
    ) -> None:
        assert self.frames is not None
        if isinstance(text, bytes):  # a binary WebSocket message
            text = text.decode(errors="replace")
        self.frames.frame(
            self.charge_point_id, incoming, message_type, unique_id, action, text, answer_ms
        )


def _log_task_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background task failed", exc_info=task.exception())


__all__ = ["ChargePointConnection", "ConnectionClosed", "MessageSocket"]
