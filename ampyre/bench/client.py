"""One benchmark charge point: a picows WebSocket listener that answers, checks and sends
from its frame callback (see `swarm` for why), never with two CALLs outstanding."""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING, Any

import orjson
from picows import WSFrame, WSListener, WSMsgType, WSTransport

from ampyre.bench.mixes import MIXES, SERVER_CALL_ANSWERS, MixGenerator, Payload, check_answer

if TYPE_CHECKING:
    from ampyre.bench.swarm import Swarm

clock = time.monotonic
SUBPROTOCOL = "ocpp1.6"
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_CONTINUATION = WSMsgType.CONTINUATION
_CLOSE = WSMsgType.CLOSE
_dumps = orjson.dumps
_loads = orjson.loads


class ChargePoint(WSListener):
    """One simulated charge point: a picows listener that is also its own state machine."""

    def __init__(self, swarm: Swarm, index: int) -> None:
        self.swarm = swarm
        self.cp_id = swarm.config.charge_point_id(index)
        self.rng = random.Random(swarm.config.seed * 1_000_003 + index)
        self.transport: WSTransport | None = None
        self.mix: MixGenerator | None = None
        self.action = ""
        self.payload: Payload = {}
        self.seq = 0
        self.message_id = ""
        self.sent_at = 0.0  # 0.0: no CALL outstanding
        self.scheduled_at = 0.0  # open loop: when the outstanding CALL was due
        self.next_at = 0.0  # open loop: when the next CALL is due
        self.boot_waiter: asyncio.Future[Payload | None] | None = None
        self.fragments: bytearray | None = None
        self.closing = False
        self.dropped = False
        self.gone = False

    # -- picows callbacks

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is _TEXT or kind is _BINARY:
            if frame.fin:
                self.on_message(frame.get_payload_as_bytes())
            else:
                self.fragments = bytearray(frame.get_payload_as_bytes())
        elif kind is _CONTINUATION:
            if self.fragments is not None:
                self.fragments += frame.get_payload_as_bytes()
                if frame.fin:
                    data = bytes(self.fragments)
                    self.fragments = None
                    self.on_message(data)
        elif kind is _CLOSE:
            if not self.closing:
                self.swarm.errors[f"server_closed:{frame.get_close_code()}"] += 1
            self.closing = True
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        swarm = self.swarm
        self.gone = True
        if not self.closing and not self.dropped:
            swarm.disconnected += 1
            swarm.errors["disconnected"] += 1
        if self.sent_at:
            self.sent_at = 0.0
            swarm.call_finished()
        self._end_boot(None)

    # -- messages

    def on_message(self, data: bytes) -> None:
        swarm = self.swarm
        try:
            message = _loads(data)
            kind = message[0]
            if kind == 2:
                self.answer_server_call(message)
            elif (kind == 3 or kind == 4) and message[1] == self.message_id and self.sent_at:
                self.on_answer(kind, message)
            else:
                swarm.stray_frames += 1
                swarm.errors["stray_frame"] += 1
        except orjson.JSONDecodeError:
            swarm.errors["frame:not_json"] += 1
        except Exception as error:  # a malformed frame must not kill the charge point
            swarm.errors[f"frame:{type(error).__name__}"] += 1

    def answer_server_call(self, message: list[Any]) -> None:
        action = message[2]
        self.swarm.server_calls[action] += 1
        answer = SERVER_CALL_ANSWERS.get(action)
        if answer is None:
            frame = [4, message[1], "NotImplemented", f"{action} is not simulated", {}]
        else:
            frame = [3, message[1], answer]
        self.send_raw(_dumps(frame))

    def send_raw(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not self.gone:
            transport.send(_TEXT, data)

    def send_call(self, action: str, payload: Payload, scheduled_at: float) -> None:
        swarm = self.swarm
        self.seq += 1
        self.message_id = message_id = str(self.seq)
        self.action = action
        data = _dumps([2, message_id, action, payload])
        now = clock()
        self.sent_at = now
        self.scheduled_at = scheduled_at
        swarm.in_flight += 1
        if swarm.measuring:
            swarm.stats(action).sent += 1
            if scheduled_at:
                swarm.send_lag.record(int((now - scheduled_at) * 1_000_000.0))
        self.send_raw(data)

    def on_answer(self, kind: int, message: list[Any]) -> None:
        swarm = self.swarm
        now = clock()
        action = self.action
        sent_at = self.sent_at
        self.sent_at = 0.0
        swarm.call_finished()
        swarm.answered += 1
        result: Payload | None = None
        problem: str | None = None
        if kind == 3:
            payload = message[2]
            problem = check_answer(action, payload)
            if problem is None:
                result = payload
        if self.boot_waiter is not None:  # the connect phase
            swarm.boot_latency.record(int((now - sent_at) * 1_000_000.0))
            if kind == 4:
                swarm.errors[f"callerror:{action}:{message[2]}"] += 1
            elif problem is not None:
                swarm.errors[f"invalid:{action}:{problem}"] += 1
            self._end_boot(result)
            return
        if swarm.measuring:
            stats = swarm.stats(action)
            start = self.scheduled_at or sent_at
            stats.latency.record(int((now - start) * 1_000_000.0))
            if self.scheduled_at:
                swarm.service_latency.record(int((now - sent_at) * 1_000_000.0))
            swarm.completed_in_window += 1
            if kind == 4:
                stats.callerrors += 1
            elif problem is not None:
                stats.invalid += 1
            else:
                stats.results += 1
        if kind == 4:
            swarm.errors[f"callerror:{action}:{message[2]}"] += 1
            swarm.error_count += 1
        elif problem is not None:
            swarm.errors[f"invalid:{action}:{problem}"] += 1
            swarm.error_count += 1
        elif action == "Authorize" or action == "StartTransaction":
            info = result.get("idTagInfo") if result is not None else None
            if isinstance(info, dict) and info.get("status") != "Accepted":
                swarm.auth_not_accepted += 1
        self.advance(result, now)

    # -- the load phase

    def begin(self) -> None:
        """Start this charge point's mix (at its first scheduled time in open loop)."""
        if self.gone or self.swarm.stopping:
            return
        self.mix = MIXES[self.swarm.config.mix](self.rng, self.swarm.mix_settings)
        try:
            self.action, self.payload = next(self.mix)
        except StopIteration:
            self.mix = None
            return
        self.fire()

    def fire(self) -> None:
        """Send the pending CALL now (open loop: the one due at `next_at`)."""
        if self.gone or self.swarm.stopping:
            return
        interval = self.swarm.interval
        if interval:
            scheduled = self.next_at
            self.next_at = scheduled + interval
            self.send_call(self.action, self.payload, scheduled)
        else:
            self.send_call(self.action, self.payload, 0.0)

    def advance(self, result: Payload | None, now: float) -> None:
        swarm = self.swarm
        if swarm.stopping or self.gone or self.mix is None:
            return
        try:
            self.action, self.payload = self.mix.send(result)
        except StopIteration:
            self.mix = None
            return
        if swarm.interval:
            delay = self.next_at - now
            if delay > 0:
                swarm.loop.call_later(delay, self.fire)
                return
        self.fire()  # closed loop, or late: at once

    # -- connect phase

    def _end_boot(self, result: Payload | None) -> None:
        waiter = self.boot_waiter
        if waiter is not None:
            self.boot_waiter = None
            if not waiter.done():
                waiter.set_result(result)

    def drop(self, reason: str) -> None:
        """Abort the connection (watchdog): the outstanding CALL counts as `reason`."""
        swarm = self.swarm
        self.dropped = True
        swarm.errors[f"{reason}:{self.action}"] += 1
        if self.sent_at:
            self.sent_at = 0.0
            swarm.call_finished()
        self._end_boot(None)
        if self.transport is not None and not self.gone:
            self.transport.disconnect(graceful=False)


def describe_error(error: BaseException) -> str:
    """A short name for a connect failure, e.g. `http404` or `ConnectionRefusedError`."""
    response = getattr(error, "response", None)
    status = getattr(response, "status", None)
    if status is not None:
        return f"http{int(status)}"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    return type(error).__name__
