"""The charge point simulator against a tiny CSMS written here, over real sockets.

The tiny CSMS checks every CALL the simulator sends against the OCPP 1.6 schemas and
watches the OCPP-J rule of one outstanding CALL at a time, so each test also checks that
the simulator speaks valid OCPP; it records a timeline of what went over the wire so
that tests can check the order of answers and follow-up messages.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ampyre.simulator import (
    NO_ANSWER,
    CallErrorReceived,
    CallErrorReply,
    ConnectError,
    Fleet,
    LoadProfile,
    ScriptError,
    ScriptRunner,
    SimulatedChargePoint,
    parse_script,
)
from ampyre.simulator.validation import request_problem


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CsmsCallError(Exception):
    pass


class TinyCsms:
    """Just enough of a Central System to drive the simulator."""

    def __init__(self) -> None:
        self.server: Server | None = None
        self.connections: dict[str, ServerConnection] = {}
        self.timeline: list[tuple[str, str, str]] = []  # (cp id, what, action)
        self.received: list[tuple[str, str, dict[str, Any]]] = []  # (cp id, action, payload)
        self.violations: list[str] = []
        self.answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        self.errors: dict[str, tuple[str, str, dict[str, Any]]] = {}  # action -> CALLERROR
        self.silent: set[str] = set()  # actions left unanswered
        self.answer_delay = 0.0
        self.unknown_ids: set[str] = set()
        self.passwords: dict[str, str] = {}
        self.authorization_headers: list[str | None] = []
        self.paths: list[str] = []
        self._pending: dict[str, tuple[str, asyncio.Future[Any]]] = {}
        self._outstanding: dict[str, str | None] = {}
        self._ids = itertools.count(1)
        self._transaction_ids = itertools.count(100)
        self._changed = asyncio.Event()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp"

    async def start(self) -> None:
        self.server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            process_request=self._process_request,
        )

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        self.authorization_headers.append(request.headers.get("Authorization"))
        identity = unquote(request.path.rsplit("/", 1)[-1])
        if identity in self.unknown_ids:
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown charge point\n")
        password = self.passwords.get(identity)
        if password is not None:
            expected = "Basic " + base64.b64encode(f"{identity}:{password}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "Bad credentials\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        identity = unquote(ws.request.path.rsplit("/", 1)[-1]) if ws.request else "?"
        self.connections[identity] = ws
        self._note(identity, "connected", "")
        answering: set[asyncio.Task[None]] = set()
        try:
            async for message in ws:
                frame = json.loads(message)
                if frame[0] == 2:
                    task = asyncio.create_task(self._answer(identity, ws, frame))
                    answering.add(task)
                    task.add_done_callback(answering.discard)
                elif frame[1] in self._pending:
                    action, future = self._pending.pop(frame[1])
                    self._note(identity, "answer" if frame[0] == 3 else "error", action)
                    future.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            self._note(identity, "disconnected", "")

    async def _answer(self, identity: str, ws: ServerConnection, frame: list[Any]) -> None:
        _, unique_id, action, payload = frame
        if self._outstanding.get(identity):
            self.violations.append(
                f"{identity} sent {action} while {self._outstanding[identity]} was unanswered"
            )
        self._outstanding[identity] = action
        problem = request_problem(action, payload)
        if problem is not None:
            self.violations.append(f"{action}: {problem.description}")
        self.received.append((identity, action, payload))
        self._note(identity, "call", action)
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        self._outstanding[identity] = None
        if action in self.silent:
            return
        if action in self.errors:
            await ws.send(json.dumps([4, unique_id, *self.errors[action]]))
            return
        await ws.send(json.dumps([3, unique_id, self._payload(action, payload)]))

    def _payload(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        if action in self.answers:
            return self.answers[action](payload)
        accepted = {"idTagInfo": {"status": "Accepted"}}
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": now_iso(), "interval": 300}
        if action == "Heartbeat":
            return {"currentTime": now_iso()}
        if action == "StartTransaction":
            return {"transactionId": next(self._transaction_ids), **accepted}
        if action in ("Authorize", "StopTransaction"):
            return accepted
        if action == "DataTransfer":
            return {"status": "Accepted"}
        return {}

    def _note(self, identity: str, what: str, action: str) -> None:
        self.timeline.append((identity, what, action))
        self._changed.set()
        self._changed = asyncio.Event()

    async def call(
        self, identity: str, action: str, payload: dict[str, Any], timeout: float = 3.0
    ) -> dict[str, Any]:
        """Send a CALL to a charge point; return the CALLRESULT payload."""
        unique_id = f"csms-{next(self._ids)}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = (action, future)
        self._note(identity, "request", action)
        await self.connections[identity].send(json.dumps([2, unique_id, action, payload]))
        frame = await asyncio.wait_for(future, timeout)
        if frame[0] == 4:
            raise CsmsCallError(frame[2], frame[3])
        result: dict[str, Any] = frame[2]
        return result

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._changed.wait()

    def sent(self, identity: str, action: str) -> list[dict[str, Any]]:
        return [p for i, a, p in self.received if i == identity and a == action]

    async def wait_for(
        self, identity: str, action: str, count: int = 1, timeout: float = 3.0
    ) -> dict[str, Any]:
        await self.wait_until(lambda: len(self.sent(identity, action)) >= count, timeout)
        return self.sent(identity, action)[count - 1]

    def calls_after(self, identity: str, what: str, action: str) -> list[str]:
        """The actions the charge point sent after a given timeline entry."""
        entries = [(w, a) for i, w, a in self.timeline if i == identity]
        start = entries.index((what, action))
        return [a for w, a in entries[start + 1 :] if w == "call"]

    def statuses(self, identity: str) -> list[tuple[int, str]]:
        return [(p["connectorId"], p["status"]) for p in self.sent(identity, "StatusNotification")]


@pytest.fixture
async def csms() -> AsyncIterator[TinyCsms]:
    instance = TinyCsms()
    await instance.start()
    try:
        yield instance
    finally:
        assert instance.violations == []
        await instance.stop()


SimFactory = Callable[..., Awaitable[SimulatedChargePoint]]


@pytest.fixture
async def make_sim(csms: TinyCsms) -> AsyncIterator[SimFactory]:
    created: list[SimulatedChargePoint] = []

    async def make(
        charge_point_id: str = "CP-1", *, connect: bool = True, **options: Any
    ) -> SimulatedChargePoint:
        options.setdefault("follow_up_delay", 0.01)
        options.setdefault("call_timeout", 2.0)
        sim = SimulatedChargePoint(csms.url, charge_point_id, **options)
        created.append(sim)
        if connect:
            await sim.connect()
        return sim

    yield make
    for sim in created:
        await sim.close()
        assert sim.protocol_errors == []
        assert sim.failures == []


async def booted(
    make_sim: SimFactory, charge_point_id: str = "CP-1", **options: Any
) -> SimulatedChargePoint:
    sim = await make_sim(charge_point_id, **options)
    await sim.boot()
    return sim


# ---------------------------------------------------------------- connection


async def test_connects_with_subprotocol_encoded_id_and_basic_auth(
    csms: TinyCsms, make_sim: SimFactory
) -> None:
    csms.passwords["CP/1 é"] = "s3cret"
    sim = await make_sim("CP/1 é", password="s3cret")
    assert csms.paths[-1] == "/ocpp/CP%2F1%20%C3%A9"
    assert csms.connections["CP/1 é"].subprotocol == "ocpp1.6"
    answer = await sim.boot()
    assert answer.status == RegistrationStatus.accepted
    assert sim.registration_status == "Accepted"
    assert sim.configuration["HeartbeatInterval"]["value"] == "300"
    boot = csms.sent("CP/1 é", "BootNotification")[0]
    assert boot["chargePointVendor"] == "Ampyre" and boot["chargePointModel"] == "Simulator"


async def test_refused_upgrades_raise_connect_error(csms: TinyCsms, make_sim: SimFactory) -> None:
    csms.unknown_ids.add("GHOST")
    with pytest.raises(ConnectError) as unknown:
        await make_sim("GHOST")
    assert unknown.value.status_code == 404
    assert "404" in str(unknown.value)
    csms.passwords["LOCKED"] = "right"
    with pytest.raises(ConnectError) as refused:
        await make_sim("LOCKED", password="wrong")
    assert refused.value.status_code == 401
    with pytest.raises(ConnectError, match="cannot reach"):
        await SimulatedChargePoint("ws://127.0.0.1:9/ocpp", "X").connect()


async def test_reconnects_when_dropped(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim, auto_reconnect=True)
    await csms.connections["CP-1"].close()
    await csms.wait_until(lambda: [w for i, w, a in csms.timeline].count("connected") == 2)
    await sim.heartbeat()  # waits for the reconnection if needed
    assert sim.boot_count == 1  # a lost connection is not a reboot


async def test_one_outstanding_call_at_a_time(csms: TinyCsms, make_sim: SimFactory) -> None:
    csms.answer_delay = 0.02
    sim = await booted(make_sim)
    await asyncio.gather(*(sim.heartbeat() for _ in range(5)), sim.status(1, "Available"))
    assert len(csms.sent("CP-1", "Heartbeat")) == 5  # and no violation recorded


async def test_callerror_timeout_and_stray_answers(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim, call_timeout=0.2)
    csms.errors["DataTransfer"] = ("NotSupported", "no", {"x": 1})
    with pytest.raises(CallErrorReceived) as error:
        await sim.call("DataTransfer", {"vendorId": "X"})
    assert (error.value.code, error.value.description, error.value.details) == (
        "NotSupported",
        "no",
        {"x": 1},
    )
    csms.silent.add("Heartbeat")
    with pytest.raises(TimeoutError):
        await sim.heartbeat()
    csms.silent.clear()
    assert (await sim.heartbeat()).current_time  # the queue moves on after a timeout
    await csms.connections["CP-1"].send(json.dumps([3, "nobody-asked", {}]))
    await sim.wait_until(lambda: bool(sim.protocol_errors), timeout=2)
    assert "not outstanding" in sim.protocol_errors[0]
    sim.protocol_errors.clear()


# -------------------------------------------------------- charging session


async def test_charging_session_messages(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    await sim.status(1, "Available")
    assert (await sim.authorize("TAG1")).status == AuthorizationStatus.accepted
    answer = await sim.start_transaction(1, "TAG1")
    assert sim.connectors[1].transaction is not None
    assert sim.connectors[1].transaction.transaction_id == answer.transaction_id
    await asyncio.sleep(0.05)
    await sim.meter_values(1)
    await sim.stop_transaction(1)
    assert csms.calls_after("CP-1", "call", "Authorize") == [
        "StatusNotification",
        "StartTransaction",
        "StatusNotification",
        "MeterValues",
        "StopTransaction",
        "StatusNotification",
        "StatusNotification",
    ]
    assert [s for c, s in csms.statuses("CP-1")] == [
        "Available",
        "Preparing",
        "Charging",
        "Finishing",
        "Available",
    ]
    meter = csms.sent("CP-1", "MeterValues")[0]
    assert meter["transactionId"] == answer.transaction_id
    sampled = meter["meterValue"][0]["sampledValue"]
    measurands = [(v["measurand"], v.get("phase")) for v in sampled]
    assert measurands == [
        ("Energy.Active.Import.Register", None),
        ("Power.Active.Import", None),
        ("Current.Import", "L1"),
        ("Current.Import", "L2"),
        ("Current.Import", "L3"),
    ]
    assert all(v["context"] == "Sample.Periodic" for v in sampled)
    assert float(sampled[1]["value"]) > 0
    stop = csms.sent("CP-1", "StopTransaction")[0]
    start = csms.sent("CP-1", "StartTransaction")[0]
    assert stop["reason"] == "Local" and stop["idTag"] == "TAG1"
    assert stop["meterStop"] >= start["meterStart"]
    contexts = [m["sampledValue"][0]["context"] for m in stop["transactionData"]]
    assert contexts == ["Transaction.Begin", "Transaction.End"]
    assert sim.connectors[1].transaction is None


async def test_rejected_id_tag_ends_the_session(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    csms.answers["StartTransaction"] = lambda p: {
        "transactionId": 7,
        "idTagInfo": {"status": "Invalid"},
    }
    answer = await sim.start_transaction(2, "BAD")
    assert answer.id_tag_info.status == AuthorizationStatus.invalid
    stop = csms.sent("CP-1", "StopTransaction")[0]
    assert stop["transactionId"] == 7 and stop["reason"] == "DeAuthorized"
    assert sim.connectors[2].transaction is None


async def test_heartbeats_follow_the_boot_interval(csms: TinyCsms, make_sim: SimFactory) -> None:
    csms.answers["BootNotification"] = lambda p: {
        "status": "Accepted",
        "currentTime": now_iso(),
        "interval": 1,
    }
    sim = await booted(make_sim)
    assert sim.heartbeat_interval == 1
    await csms.wait_for("CP-1", "Heartbeat", timeout=2.5)


# ------------------------------------------------------ CSMS-initiated: core


async def test_remote_start_answers_before_starting(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    sim.configuration["AuthorizeRemoteTxRequests"]["value"] = "true"
    answer = await csms.call("CP-1", "RemoteStartTransaction", {"idTag": "R1", "connectorId": 2})
    assert answer == {"status": "Accepted"}
    await csms.wait_for("CP-1", "StatusNotification", count=2)
    assert csms.calls_after("CP-1", "answer", "RemoteStartTransaction") == [
        "Authorize",
        "StatusNotification",
        "StartTransaction",
        "StatusNotification",
    ]
    assert csms.sent("CP-1", "StartTransaction")[0]["connectorId"] == 2
    busy = await csms.call("CP-1", "RemoteStartTransaction", {"idTag": "R2", "connectorId": 2})
    assert busy == {"status": "Rejected"}
    # Without a connector id, the free one is chosen.
    assert (await csms.call("CP-1", "RemoteStartTransaction", {"idTag": "R3"}))["status"] == (
        "Accepted"
    )
    await csms.wait_for("CP-1", "StartTransaction", count=2)
    assert csms.sent("CP-1", "StartTransaction")[1]["connectorId"] == 1
    assert (await csms.call("CP-1", "RemoteStartTransaction", {"idTag": "R4"}))["status"] == (
        "Rejected"
    )
    assert sim.received[0] == ("RemoteStartTransaction", {"idTag": "R1", "connectorId": 2})


async def test_remote_start_with_profile_and_remote_stop(
    csms: TinyCsms, make_sim: SimFactory
) -> None:
    sim = await booted(make_sim)
    profile = {
        "chargingProfileId": 5,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
        },
    }
    await csms.call(
        "CP-1",
        "RemoteStartTransaction",
        {"idTag": "R1", "connectorId": 1, "chargingProfile": profile},
    )
    await csms.wait_for("CP-1", "StatusNotification", count=2)
    transaction = sim.connectors[1].transaction
    assert transaction is not None
    assert sim.connectors[1].meter.current_a == 10.0
    assert await csms.call("CP-1", "RemoteStopTransaction", {"transactionId": 999}) == {
        "status": "Rejected"
    }
    answer = await csms.call(
        "CP-1", "RemoteStopTransaction", {"transactionId": transaction.transaction_id}
    )
    assert answer == {"status": "Accepted"}
    stop = await csms.wait_for("CP-1", "StopTransaction")
    assert stop["reason"] == "Remote" and "idTag" not in stop
    await csms.wait_for("CP-1", "StatusNotification", count=4)
    assert csms.statuses("CP-1")[-2:] == [(1, "Finishing"), (1, "Available")]
    assert sim.charging_profiles.profiles == []  # a TxProfile ends with its transaction


async def test_reset_stops_transactions_and_reboots(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    await sim.start_transaction(1, "T1")
    assert await csms.call("CP-1", "Reset", {"type": "Soft"}) == {"status": "Accepted"}
    await csms.wait_for("CP-1", "BootNotification", count=2)
    await csms.wait_for("CP-1", "StatusNotification", count=7)  # 2 + Finishing/Available + 3
    stop = csms.sent("CP-1", "StopTransaction")[0]
    assert stop["reason"] == "SoftReset"
    kinds = [(w, a) for i, w, a in csms.timeline if i == "CP-1"]
    reset_at = kinds.index(("answer", "Reset"))
    assert [k for k in kinds[reset_at + 1 :] if k[0] != "call" or k[1] != "StatusNotification"][
        :4
    ] == [
        ("call", "StopTransaction"),
        ("disconnected", ""),
        ("connected", ""),
        ("call", "BootNotification"),
    ]
    assert csms.statuses("CP-1")[-3:] == [(0, "Available"), (1, "Available"), (2, "Available")]
    assert sim.boot_count == 2 and sim.connected
    await sim.heartbeat()  # the new connection works


async def test_configuration(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim, connectors=3)
    everything = await csms.call("CP-1", "GetConfiguration", {})
    keys = {entry["key"]: entry for entry in everything["configurationKey"]}
    for key in (
        "HeartbeatInterval",
        "MeterValueSampleInterval",
        "MeterValuesSampledData",
        "AuthorizeRemoteTxRequests",
        "NumberOfConnectors",
        "LocalAuthListEnabled",
        "LocalAuthListMaxLength",
        "SendLocalListMaxLength",
        "ChargeProfileMaxStackLevel",
        "ChargingScheduleAllowedChargingRateUnit",
        "MaxChargingProfilesInstalled",
        "SupportedFeatureProfiles",
        "ConnectionTimeOut",
        "ResetRetries",
    ):
        assert key in keys
    assert keys["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "readonly": True,
        "value": "3",
    }
    assert keys["AuthorizeRemoteTxRequests"]["value"] == "false"
    some = await csms.call("CP-1", "GetConfiguration", {"key": ["ResetRetries", "Nope"]})
    assert [e["key"] for e in some["configurationKey"]] == ["ResetRetries"]
    assert some["unknownKey"] == ["Nope"]

    async def change(key: str, value: str) -> str:
        answer = await csms.call("CP-1", "ChangeConfiguration", {"key": key, "value": value})
        return str(answer["status"])

    assert await change("HeartbeatInterval", "60") == "Accepted"
    assert sim.configuration["HeartbeatInterval"]["value"] == "60"
    assert await change("HeartbeatInterval", "soon") == "Rejected"
    assert await change("NumberOfConnectors", "4") == "Rejected"
    assert await change("NoSuchKey", "1") == "NotSupported"
    assert await change("AuthorizeRemoteTxRequests", "TRUE") == "Accepted"
    assert sim.config_bool("AuthorizeRemoteTxRequests")
    assert await change("MeterValuesSampledData", "Energy.Active.Import.Register,SoC") == (
        "Rejected"
    )
    assert await change("MeterValuesSampledData", "Voltage,Current.Offered") == "Accepted"
    assert await csms.call("CP-1", "ClearCache", {}) == {"status": "Accepted"}
    assert await csms.call("CP-1", "DataTransfer", {"vendorId": "acme"}) == {
        "status": "UnknownVendorId"
    }


async def test_change_availability(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    assert await csms.call(
        "CP-1", "ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}
    ) == {"status": "Accepted"}
    await csms.wait_until(lambda: (2, "Unavailable") in csms.statuses("CP-1"))
    await sim.start_transaction(1, "T1")
    answer = await csms.call(
        "CP-1", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}
    )
    assert answer == {"status": "Scheduled"}
    await csms.wait_until(lambda: (0, "Unavailable") in csms.statuses("CP-1"))
    await sim.stop_transaction(1)
    assert csms.statuses("CP-1")[-2:] == [(1, "Finishing"), (1, "Unavailable")]
    assert await csms.call(
        "CP-1", "ChangeAvailability", {"connectorId": 9, "type": "Operative"}
    ) == {"status": "Rejected"}
    assert await csms.call("CP-1", "RemoteStartTransaction", {"idTag": "X"}) == {
        "status": "Rejected"
    }
    await csms.call("CP-1", "ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    await csms.wait_until(
        lambda: csms.statuses("CP-1")[-3:] == [(0, "Available"), (1, "Available"), (2, "Available")]
    )


async def test_unlock_connector(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    assert await csms.call("CP-1", "UnlockConnector", {"connectorId": 3}) == {
        "status": "NotSupported"
    }
    await sim.start_transaction(1, "T1")
    assert await csms.call("CP-1", "UnlockConnector", {"connectorId": 1}) == {"status": "Unlocked"}
    assert (await csms.wait_for("CP-1", "StopTransaction"))["reason"] == "UnlockCommand"


async def test_unknown_and_malformed_requests(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    with pytest.raises(CsmsCallError) as unknown:
        await csms.call("CP-1", "NoSuchAction", {})
    assert unknown.value.args[0] == "NotImplemented"
    with pytest.raises(CsmsCallError) as malformed:
        await csms.call("CP-1", "Reset", {"type": "Gentle"})
    assert malformed.value.args[0] == "PropertyConstraintViolation"
    with pytest.raises(CsmsCallError) as missing:
        await csms.call("CP-1", "RemoteStopTransaction", {})
    assert missing.value.args[0] == "OccurenceConstraintViolation"
    assert len(sim.protocol_errors) == 2
    sim.protocol_errors.clear()
    sim.configuration["SupportedFeatureProfiles"]["value"] = "Core"
    with pytest.raises(CsmsCallError) as unsupported:
        await csms.call("CP-1", "TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert unsupported.value.args[0] == "NotSupported"
    assert await csms.call("CP-1", "GetLocalListVersion", {}) == {"listVersion": -1}


async def test_response_overrides(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    sim.responses["Reset"] = {"status": "Rejected"}
    assert await csms.call("CP-1", "Reset", {"type": "Hard"}) == {"status": "Rejected"}
    sim.responses["ClearCache"] = CallErrorReply("InternalError", "disk full")
    with pytest.raises(CsmsCallError) as error:
        await csms.call("CP-1", "ClearCache", {})
    assert error.value.args == ("InternalError", "disk full")

    async def echo(payload: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted", "data": payload["vendorId"]}

    sim.responses["DataTransfer"] = echo
    assert await csms.call("CP-1", "DataTransfer", {"vendorId": "acme"}) == {
        "status": "Accepted",
        "data": "acme",
    }
    sim.responses["Heartbeat"] = NO_ANSWER  # any action, even one a CSMS never sends
    sim.responses["GetConfiguration"] = NO_ANSWER
    with pytest.raises(TimeoutError):
        await csms.call("CP-1", "GetConfiguration", {}, timeout=0.2)
    assert sim.boot_count == 1  # the rejected reset did not reboot
    assert [action for action, _ in sim.received] == [
        "Reset",
        "ClearCache",
        "DataTransfer",
        "GetConfiguration",
    ]


# --------------------------------------------------------- other profiles


async def test_trigger_message(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    await sim.status(1, "Available")

    async def trigger(payload: dict[str, Any], action: str, count: int) -> dict[str, Any]:
        answer = await csms.call("CP-1", "TriggerMessage", payload)
        assert answer == {"status": "Accepted"}
        return await csms.wait_for("CP-1", action, count=count)

    await trigger({"requestedMessage": "StatusNotification"}, "StatusNotification", 4)
    assert [c for c, s in csms.statuses("CP-1")[1:]] == [0, 1, 2]
    await trigger(
        {"requestedMessage": "StatusNotification", "connectorId": 2}, "StatusNotification", 5
    )
    assert csms.statuses("CP-1")[-1] == (2, "Available")
    await trigger({"requestedMessage": "Heartbeat"}, "Heartbeat", 1)
    await trigger({"requestedMessage": "BootNotification"}, "BootNotification", 2)
    status = await trigger(
        {"requestedMessage": "FirmwareStatusNotification"}, "FirmwareStatusNotification", 1
    )
    assert status == {"status": "Idle"}
    status = await trigger(
        {"requestedMessage": "DiagnosticsStatusNotification"}, "DiagnosticsStatusNotification", 1
    )
    assert status == {"status": "Idle"}
    started = await sim.start_transaction(2, "T1")
    values = await trigger({"requestedMessage": "MeterValues", "connectorId": 2}, "MeterValues", 1)
    assert values["transactionId"] == started.transaction_id
    assert values["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"
    await trigger({"requestedMessage": "MeterValues"}, "MeterValues", 3)
    assert [v["connectorId"] for v in csms.sent("CP-1", "MeterValues")] == [2, 1, 2]
    rejected = await csms.call(
        "CP-1", "TriggerMessage", {"requestedMessage": "Heartbeat", "connectorId": 5}
    )
    assert rejected == {"status": "Rejected"}


async def test_reservations(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)
    expiry = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

    async def reserve(connector_id: int, reservation_id: int, tag: str = "T1") -> str:
        answer = await csms.call(
            "CP-1",
            "ReserveNow",
            {
                "connectorId": connector_id,
                "expiryDate": expiry,
                "idTag": tag,
                "reservationId": reservation_id,
            },
        )
        return str(answer["status"])

    assert await reserve(1, 11) == "Accepted"
    await csms.wait_until(lambda: (1, "Reserved") in csms.statuses("CP-1"))
    assert await reserve(1, 12) == "Occupied"
    assert await reserve(0, 13) == "Rejected"  # ReserveConnectorZeroSupported is false
    assert await reserve(7, 14) == "Rejected"
    await sim.start_transaction(2, "T2")
    assert await reserve(2, 15) == "Occupied"
    await csms.call("CP-1", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    assert await csms.call("CP-1", "CancelReservation", {"reservationId": 11}) == {
        "status": "Rejected"  # an unavailable connector loses its reservation
    }
    await csms.call("CP-1", "ChangeAvailability", {"connectorId": 0, "type": "Operative"})
    await sim.stop_transaction(2)
    assert await reserve(1, 16) == "Accepted"
    assert await csms.call("CP-1", "CancelReservation", {"reservationId": 16}) == {
        "status": "Accepted"
    }
    await csms.wait_until(lambda: csms.statuses("CP-1")[-1] == (1, "Available"))
    # A reservation is used by its idTag's transaction.
    assert await reserve(1, 17, "T9") == "Accepted"
    await sim.start_transaction(1, "T9")
    assert csms.sent("CP-1", "StartTransaction")[-1]["reservationId"] == 17
    assert sim.connectors[1].reservation is None
    short = (datetime.now(UTC) + timedelta(seconds=0.1)).isoformat()
    await csms.call(
        "CP-1",
        "ReserveNow",
        {"connectorId": 2, "expiryDate": short, "idTag": "T3", "reservationId": 18},
    )
    await csms.wait_until(lambda: csms.statuses("CP-1")[-1] == (2, "Available"))
    assert sim.connectors[2].reservation is None


async def test_local_list(csms: TinyCsms, make_sim: SimFactory) -> None:
    await booted(make_sim)

    async def send(version: int, kind: str, entries: list[dict[str, Any]]) -> str:
        payload = {"listVersion": version, "updateType": kind, "localAuthorizationList": entries}
        return str((await csms.call("CP-1", "SendLocalList", payload))["status"])

    async def version() -> int:
        return int((await csms.call("CP-1", "GetLocalListVersion", {}))["listVersion"])

    accepted = {"status": "Accepted"}
    assert await version() == 0
    assert await send(3, "Full", [{"idTag": "A", "idTagInfo": accepted}]) == "Accepted"
    assert await version() == 3
    assert await send(3, "Differential", [{"idTag": "B", "idTagInfo": accepted}]) == (
        "VersionMismatch"
    )
    assert await send(
        4, "Differential", [{"idTag": "A"}, {"idTag": "B", "idTagInfo": accepted}]
    ) == ("Accepted")
    assert await version() == 4
    too_many = [{"idTag": f"T{i}", "idTagInfo": accepted} for i in range(101)]
    assert await send(5, "Full", too_many) == "Failed"
    assert await send(6, "Full", []) == "Accepted"
    assert await version() == 0


async def test_smart_charging(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await booted(make_sim)

    def profile(profile_id: int, purpose: str, limit: float, **extra: Any) -> dict[str, Any]:
        return {
            "chargingProfileId": profile_id,
            "stackLevel": extra.pop("stackLevel", 0),
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "startSchedule": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": limit},
                    {"startPeriod": 120, "limit": limit / 2},
                ],
            },
            **extra,
        }

    async def set_profile(connector_id: int, body: dict[str, Any]) -> str:
        answer = await csms.call(
            "CP-1", "SetChargingProfile", {"connectorId": connector_id, "csChargingProfiles": body}
        )
        return str(answer["status"])

    assert await set_profile(1, profile(1, "TxProfile", 10)) == "Rejected"
    assert await set_profile(1, profile(2, "ChargePointMaxProfile", 10)) == "Rejected"
    assert await set_profile(1, profile(3, "TxDefaultProfile", 16, stackLevel=99)) == "Rejected"
    assert await set_profile(1, profile(4, "TxDefaultProfile", 16)) == "Accepted"
    assert await set_profile(0, profile(5, "ChargePointMaxProfile", 20)) == "Accepted"
    composite = await csms.call(
        "CP-1", "GetCompositeSchedule", {"connectorId": 1, "duration": 300, "chargingRateUnit": "A"}
    )
    assert composite["status"] == "Accepted" and composite["connectorId"] == 1
    periods = composite["chargingSchedule"]["chargingSchedulePeriod"]
    assert [p["limit"] for p in periods] == [16, 8]
    assert 55 <= periods[1]["startPeriod"] <= 62
    watts = await csms.call(
        "CP-1", "GetCompositeSchedule", {"connectorId": 2, "duration": 60, "chargingRateUnit": "W"}
    )
    assert watts["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 13800.0}  # 20 A of the charge point maximum, 3 x 230 V
    ]
    assert (await csms.call("CP-1", "GetCompositeSchedule", {"connectorId": 4, "duration": 60}))[
        "status"
    ] == "Rejected"
    answer = await sim.start_transaction(1, "T1")
    assert await set_profile(
        1, profile(6, "TxProfile", 6, transactionId=answer.transaction_id)
    ) == ("Accepted")
    assert sim.connectors[1].meter.current_a == 6
    clear = await csms.call("CP-1", "ClearChargingProfile", {"chargingProfilePurpose": "TxProfile"})
    assert clear == {"status": "Accepted"}
    assert sim.connectors[1].meter.current_a == 16
    assert await csms.call("CP-1", "ClearChargingProfile", {"id": 6}) == {"status": "Unknown"}
    assert await csms.call("CP-1", "ClearChargingProfile", {}) == {"status": "Accepted"}
    assert sim.charging_profiles.profiles == []


class FileServer:
    """An HTTP server for firmware downloads and diagnostics uploads."""

    def __init__(self) -> None:
        self.uploads: dict[str, bytes] = {}
        uploads = self.uploads

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status = 200 if self.path == "/firmware.bin" else 404
                body = b"\x00" * 1024 if status == 200 else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                uploads[self.path] = self.rfile.read(length)
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer()
    yield server
    server.close()


async def test_firmware_update(
    csms: TinyCsms, make_sim: SimFactory, file_server: FileServer
) -> None:
    await booted(make_sim)
    request = {"location": f"{file_server.url}/firmware.bin", "retrieveDate": now_iso()}
    assert await csms.call("CP-1", "UpdateFirmware", request) == {}
    await csms.wait_for("CP-1", "FirmwareStatusNotification", count=4)
    statuses = [p["status"] for p in csms.sent("CP-1", "FirmwareStatusNotification")]
    assert statuses == ["Downloading", "Downloaded", "Installing", "Installed"]
    missing = {"location": f"{file_server.url}/missing.bin", "retrieveDate": now_iso()}
    await csms.call("CP-1", "UpdateFirmware", missing)
    await csms.wait_for("CP-1", "FirmwareStatusNotification", count=6)
    statuses = [p["status"] for p in csms.sent("CP-1", "FirmwareStatusNotification")]
    assert statuses[4:] == ["Downloading", "DownloadFailed"]


async def test_diagnostics_upload(
    csms: TinyCsms, make_sim: SimFactory, file_server: FileServer
) -> None:
    await booted(make_sim)
    answer = await csms.call("CP-1", "GetDiagnostics", {"location": f"{file_server.url}/diag/"})
    file_name = answer["fileName"]
    assert file_name.startswith("diag-CP-1-") and file_name.endswith(".log")
    await csms.wait_for("CP-1", "DiagnosticsStatusNotification", count=2)
    statuses = [p["status"] for p in csms.sent("CP-1", "DiagnosticsStatusNotification")]
    assert statuses == ["Uploading", "Uploaded"]
    assert b"CP-1" in file_server.uploads[f"/diag/{file_name}"]
    await csms.call("CP-1", "GetDiagnostics", {"location": "gopher://nowhere/"})
    await csms.wait_for("CP-1", "DiagnosticsStatusNotification", count=4)
    statuses = [p["status"] for p in csms.sent("CP-1", "DiagnosticsStatusNotification")]
    assert statuses[2:] == ["Uploading", "UploadFailed"]


# ------------------------------------------------------------- scripts


async def test_script_runner_and_wait_for(csms: TinyCsms, make_sim: SimFactory) -> None:
    sim = await make_sim()
    steps = parse_script(
        [
            {"boot": {}},
            {"status": {"status": "Available", "info": "ready", "vendorErrorCode": "0"}},
            {"start": {"connectorId": 2, "idTag": "S1"}},
            {"repeat": {"times": 2, "steps": [{"meterValues": {"connectorId": 2, "count": 2}}]}},
            {"waitFor": {"action": "ClearCache", "timeout": 2}},
            {"stop": {"connectorId": 2, "reason": "EVDisconnected"}},
            {"call": {"action": "DataTransfer", "payload": {"vendorId": "acme"}}},
            {"sleep": 10},
            {"idle": 10},
        ]
    )
    runner = ScriptRunner(sim, time_scale=0.001)
    task = asyncio.create_task(runner.run(steps))
    await csms.wait_for("CP-1", "MeterValues", count=4)
    await csms.call("CP-1", "ClearCache", {})
    await asyncio.wait_for(task, 2)
    statuses = csms.sent("CP-1", "StatusNotification")
    assert len(statuses) == 3 + 4
    assert {(s["errorCode"], s["info"], s["vendorErrorCode"]) for s in statuses[:3]} == {
        ("NoError", "ready", "0")
    }
    assert csms.sent("CP-1", "StopTransaction")[0]["reason"] == "EVDisconnected"
    assert csms.sent("CP-1", "DataTransfer") == [{"vendorId": "acme"}]

    csms.answers["Authorize"] = lambda p: {"idTagInfo": {"status": "Blocked"}}
    with pytest.raises(ScriptError, match=r"step 1 \(authorize\).*Blocked, expected Accepted"):
        await runner.run(parse_script([{"authorize": {"idTag": "B"}}]))
    await runner.run(parse_script([{"authorize": {"idTag": "B", "expect": "Blocked"}}]))


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ({"boot": {}}, "JSON list"),
        ([{"boot": {}, "stop": {}}], "step 1: a step is an object with exactly one key"),
        ([{"boot": {}}, {"strat": {}}], "step 2: unknown step 'strat'"),
        ([{"start": {"connector": 1}}], r"step 1 \(start\): unknown argument 'connector'"),
        ([{"start": {"connectorId": "1"}}], "connectorId must be of type int"),
        ([{"status": {"connectorId": 1}}], "missing argument 'status'"),
        ([{"sleep": "2"}], r"step 1 \(sleep\): the value is a number of seconds"),
        (
            [{"status": "Charing"}],
            r"step 1 \(status\): status must be one of Available, .*'Charing'",
        ),
        ([{"stop": {"reason": "local"}}], "reason must be one of EmergencyStop, "),
        ([{"boot": {"expect": "Acepted"}}], "expect must be one of Accepted, Pending, Rejected,"),
        ([{"repeat": {"times": 2, "steps": [{"nap": 1}]}}], "step 1.1: unknown step 'nap'"),
    ],
)
def test_script_errors(script: Any, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        parse_script(script)


# ----------------------------------------------------------- fleet and CLI


async def test_fleet_load(csms: TinyCsms) -> None:
    fleet = Fleet(csms.url, ["L-1", "L-2", "L-3"], id_tag="TAG-{n}", follow_up_delay=0.01)
    outcome = await fleet.run_load(LoadProfile(sessions=2, meter_values=1))
    assert outcome.ok
    summary = fleet.stats.summary()
    assert summary["sessions"] == {"completed": 6, "failed": 0}
    # boot + 3 statuses, then per session: Authorize, 2 statuses, Start, MeterValues, Stop,
    # 2 statuses.
    assert summary["calls_sent"] == 3 * (4 + 2 * 8)
    assert summary["errors"] == 0
    assert summary["latency"]["count"] == summary["calls_sent"]
    assert {p["idTag"] for _, a, p in csms.received if a == "Authorize"} == {
        "TAG-1",
        "TAG-2",
        "TAG-3",
    }


def run_cli(args: list[str]) -> Any:
    from ampyre.cli.simulate import simulate

    return CliRunner().invoke(simulate, args, catch_exceptions=False)


async def test_cli_default_script(csms: TinyCsms) -> None:
    result = await asyncio.to_thread(
        run_cli, ["--url", csms.url, "--id", "CLI-1", "--time-scale", "0"]
    )
    assert result.exit_code == 0, result.output
    assert [a for i, a, _ in csms.received if i == "CLI-1"] == [
        "BootNotification",
        "StatusNotification",
        "StatusNotification",
        "StatusNotification",
        "Authorize",
        "StatusNotification",
        "StartTransaction",
        "StatusNotification",
        "MeterValues",
        "MeterValues",
        "MeterValues",
        "StopTransaction",
        "StatusNotification",
        "StatusNotification",
    ]
    assert "CLI-1 -> BootNotification {" in result.output
    assert 'CLI-1 <- BootNotification.conf {"status":"Accepted"' in result.output


async def test_cli_fleet_load_and_stats(csms: TinyCsms, tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.json"
    args = [
        "--url",
        csms.url,
        "--id-prefix",
        "F-",
        "--count",
        "2",
        "--sessions",
        "2",
        "--meter-values",
        "0",
        "--stats-json",
        str(stats_file),
        "--quiet",
    ]
    result = await asyncio.to_thread(run_cli, args)
    assert result.exit_code == 0, result.output
    assert "sessions: 4 completed, 0 failed" in result.output
    assert "CALL round trip: p50" in result.output
    assert json.loads(stats_file.read_text())["sessions"]["completed"] == 4


async def test_cli_errors(csms: TinyCsms, tmp_path: Path) -> None:
    csms.unknown_ids.add("NOPE")
    result = await asyncio.to_thread(run_cli, ["--url", csms.url, "--id", "NOPE"])
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "Traceback" not in result.output
    script = tmp_path / "bad.json"
    script.write_text('[{"boot": {}}, {"charge": {}}]')
    result = await asyncio.to_thread(run_cli, ["--url", csms.url, "--script", str(script)])
    assert result.exit_code == 2
    assert "step 2: unknown step 'charge'" in result.output
    script.write_text('[{"boot": {}}, {"authorize": {"idTag": "X"}}]')
    csms.answers["Authorize"] = lambda p: {"idTagInfo": {"status": "Invalid"}}
    result = await asyncio.to_thread(run_cli, ["--url", csms.url, "--script", str(script), "-q"])
    assert result.exit_code == 1
    assert "step 2 (authorize): the idTag status is Invalid, expected Accepted" in result.output
