"""One charge point's RPC state machine (`transport/connection.py`) without a socket.

The transport depends only on the application protocol of `transport/application.py`,
so a few lines of test double stand in for the whole CSMS here.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ampyre.ocpp.v16.errors import PropertyConstraintViolation
from ampyre.ocpp.v16.validation import get_validator
from ampyre.transport.answer_cache import AnswerCache
from ampyre.transport.connection import ChargePointConnection
from ampyre.transport.errors import CallErrorAnswer, CallTimeout
from ampyre.transport.registry import ConnectionRegistry

NOW = {"currentTime": "2026-12-03T12:00:00.000Z"}


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.closed: tuple[int, str | None] | None = None
        self.backlog = 0

    def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = (code, reason)

    def backlog_changed(self, waiting: int) -> None:
        self.backlog = waiting


class RecordingSession:
    """Answers Heartbeat, refuses a connector 0 StatusNotification, records the rest."""

    def __init__(self) -> None:
        self.handled: list[tuple[str, dict[str, Any]]] = []
        self.deviations: list[Any] = []
        self.answered: list[tuple[str, dict[str, Any]]] = []

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.handled.append((action, payload))
        if action == "StatusNotification" and payload["connectorId"] == 99:
            raise PropertyConstraintViolation("no connector 99")
        return NOW if action == "Heartbeat" else {}

    async def record_deviations(self, deviations: list[Any]) -> None:
        self.deviations.extend(deviations)

    def on_call_answered(
        self, action: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        self.answered.append((action, response))


def connection(*, lenient: bool = False) -> tuple[ChargePointConnection, FakeSocket, Any]:
    socket, session = FakeSocket(), RecordingSession()
    conn = ChargePointConnection(
        socket, "CP-1", session, get_validator(), AnswerCache(), lenient=lenient
    )
    conn.start()
    return conn, socket, session


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_calls_are_answered_in_order_and_errors_become_callerrors() -> None:
    conn, socket, session = connection()
    conn.receive('[2,"1","Heartbeat",{}]')
    conn.receive(
        '[2,"2","StatusNotification",{"connectorId":99,"errorCode":"NoError","status":"Available"}]'
    )
    conn.receive('[2,"3","Heartbeat",{"extra":1}]')
    conn.receive("not a frame")
    await conn.drain()
    # The broken frame is answered at once, ahead of the queued CALLs.
    assert [frame[:3] for frame in socket.sent] == [
        [4, "-1", "FormationViolation"],
        [3, "1", NOW],
        [4, "2", "PropertyConstraintViolation"],
        [4, "3", "FormationViolation"],  # breaks the schema: never reaches the session
    ]
    assert [action for action, _ in session.handled] == ["Heartbeat", "StatusNotification"]
    await conn.finish()


async def test_a_repeated_call_gets_the_same_answer_and_takes_effect_once() -> None:
    conn, socket, session = connection()
    frame = (
        '[2,"7","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]'
    )
    conn.receive(frame)
    conn.receive(frame)
    await conn.drain()
    assert socket.sent == [[3, "7", {}], [3, "7", {}]]
    assert len(session.handled) == 1
    await conn.finish()


async def test_lenient_connection_repairs_and_reports_deviations() -> None:
    conn, socket, session = connection(lenient=True)
    conn.receive(
        '[2,"8","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]'
    )
    await conn.drain()
    assert socket.sent == [[3, "8", {}]]
    assert session.handled == [
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    ]
    assert session.deviations and session.deviations[0][0] == "StatusNotification"
    await conn.finish()


async def test_outgoing_call_resolves_with_the_answer_and_tells_the_session() -> None:
    conn, socket, session = connection()
    pending = asyncio.create_task(conn.call("Reset", {"type": "Soft"}, timeout=5))
    await settle()
    message_type, unique_id, action, payload = socket.sent[0]
    assert (message_type, action, payload) == (2, "Reset", {"type": "Soft"})
    conn.receive(json.dumps([3, unique_id, {"status": "Accepted"}]))
    assert await pending == {"status": "Accepted"}
    assert session.answered == [("Reset", {"status": "Accepted"})]
    await conn.finish()


async def test_outgoing_call_errors_are_transport_errors() -> None:
    conn, socket, _ = connection()
    pending = asyncio.create_task(conn.call("Reset", {"type": "Soft"}, timeout=5))
    await settle()
    conn.receive(json.dumps([4, socket.sent[0][1], "NotSupported", "no", {}]))
    with pytest.raises(CallErrorAnswer) as refused:
        await pending
    assert refused.value.code == "NotSupported"

    pending = asyncio.create_task(conn.call("Reset", {"type": "Soft"}, timeout=5))
    await settle()
    conn.receive(json.dumps([3, socket.sent[1][1], {"status": "Maybe"}]))
    with pytest.raises(CallErrorAnswer):
        await pending  # an answer that breaks the response schema

    with pytest.raises(CallTimeout):
        await conn.call("Reset", {"type": "Soft"}, timeout=0.01)
    await conn.finish()


async def test_registry_keeps_the_newest_connection_and_closes_the_old() -> None:
    registry = ConnectionRegistry()
    old, old_socket, _ = connection()
    new, _, _ = connection()
    await registry.add(old)
    await registry.add(new)
    assert old_socket.closed == (4000, "replaced by a new connection")
    assert registry.get("CP-1") is new
    assert not registry.remove(old)
    assert registry.connected_ids() == {"CP-1"}
    await old.finish()
    await new.finish()


async def test_an_internal_error_is_not_repeated_to_a_retry() -> None:
    conn, socket, session = connection()
    failures = iter([RuntimeError("database gone")])

    async def flaky(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        for failure in failures:
            raise failure
        return {}

    session.handle = flaky
    frame = (
        '[2,"9","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]'
    )
    conn.receive(frame)
    conn.receive(frame)
    await conn.drain()
    assert [answer[0] for answer in socket.sent] == [4, 3]
    assert socket.sent[0][2] == "InternalError"
    await conn.finish()


@pytest.mark.parametrize("depth", [300, 1000])
async def test_a_deeply_nested_call_gets_a_callerror(depth: int) -> None:
    conn, socket, session = connection()
    conn.receive('[2,"d","DataTransfer",{"vendorId":"x","data":' + "[" * depth + "]" * depth + "}]")
    conn.receive('[2,"h","Heartbeat",{}]')
    await conn.drain()
    # The schema check refuses it (data is a string); nothing re-serialises the payload.
    assert [frame[:3] for frame in socket.sent] == [
        [4, "d", "TypeConstraintViolation"],
        [3, "h", NOW],
    ]
    assert [action for action, _ in session.handled] == ["Heartbeat"]
    await conn.finish()
