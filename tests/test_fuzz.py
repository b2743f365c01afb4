"""Random and mutated OCPP-J frames against a running server (hypothesis, bounded).

Whatever a charge point sends, the server answers each CALL-shaped frame with a valid
CALLRESULT or CALLERROR (or, for what has no id, a CALLERROR with id "-1"), never crashes,
logs no unhandled exception, and goes on serving everyone else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from tests.server import Server

ERROR_CODES = {
    "NotImplemented",
    "NotSupported",
    "InternalError",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "OccurrenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
}
ACTIONS = [
    "BootNotification",
    "Heartbeat",
    "Authorize",
    "StartTransaction",
    "StopTransaction",
    "MeterValues",
    "StatusNotification",
    "DataTransfer",
    "FirmwareStatusNotification",
    "DiagnosticsStatusNotification",
    "SecurityEventNotification",
    "SignCertificate",
]
SENTINEL = "fuzz-sentinel"

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            text | st.sampled_from(["connectorId", "idTag", "status"]), children, max_size=4
        )
    ),
    max_leaves=12,
)
calls = st.tuples(
    st.sampled_from([2, 2, 2, 3, 4, 5, "2", -1]),
    text | st.integers(),
    st.sampled_from(ACTIONS) | text,
    json_values,
).map(list)
VALID = {
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "TAG",
        "meterStart": 0,
        "timestamp": "2026-12-03T12:00:00Z",
    },
    "StopTransaction": {"transactionId": 1, "meterStop": 10, "timestamp": "2026-12-03T12:01:00Z"},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "MeterValues": {
        "connectorId": 1,
        "meterValue": [{"timestamp": "2026-12-03T12:00:30Z", "sampledValue": [{"value": "1"}]}],
    },
    "Authorize": {"idTag": "TAG"},
    "BootNotification": {"chargePointVendor": "V", "chargePointModel": "M"},
}


@st.composite
def mutated_calls(draw: st.DrawFn) -> str:
    """A valid CALL with one field replaced, dropped or added: what buggy firmware sends."""
    action = draw(st.sampled_from(sorted(VALID)))
    payload = dict(VALID[action])
    key = draw(st.sampled_from([*payload, "extra"]))
    if draw(st.booleans()) and key in payload:
        del payload[key]
    else:
        payload[key] = draw(json_values)
    return json.dumps([2, draw(text), action, payload])


frames = st.one_of(
    mutated_calls(),
    mutated_calls(),
    text,
    json_values.map(json.dumps),
    calls.map(json.dumps),
    calls.map(lambda call: json.dumps(call)[: max(1, len(json.dumps(call)) // 2)]),
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("fuzz")
    server = Server(f"sqlite:///{workdir / 'fuzz.db'}", Path(workdir), ["--auto-register"])
    server.start()
    yield server
    assert server.stop() == 0
    log = server.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]


def answers_until_sentinel(ws: Any) -> list[Any]:
    replies = []
    while True:
        message = json.loads(ws.recv(timeout=10))
        if message[1] == SENTINEL:
            assert message[0] == 3
            return replies
        replies.append(message)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(frames, min_size=1, max_size=6))
def test_every_frame_gets_a_valid_answer_or_none(fuzz_server: Server, sent: list[str]) -> None:
    identity = f"FUZZ-{uuid.uuid4().hex[:8]}"
    with connect(f"{fuzz_server.ws_url}/{identity}", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        for frame in sent:
            ws.send(frame)
        ws.send(json.dumps([2, SENTINEL, "Heartbeat", {}]))
        for reply in answers_until_sentinel(ws):
            assert isinstance(reply, list) and reply[0] in (3, 4), reply
            if reply[0] == 3:
                assert len(reply) == 3 and isinstance(reply[2], dict)
            else:
                assert len(reply) == 5 and reply[2] in ERROR_CODES, reply
                assert isinstance(reply[3], str) and isinstance(reply[4], dict)


def test_the_server_still_serves_after_the_fuzzing(fuzz_server: Server) -> None:
    with connect(f"{fuzz_server.ws_url}/AFTER-FUZZ", subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
        boot = {"chargePointVendor": "V", "chargePointModel": "M"}
        ws.send(json.dumps([2, "1", "BootNotification", boot]))
        assert json.loads(ws.recv(timeout=10))[2]["status"] == "Accepted"
        ws.send(json.dumps([2, SENTINEL, "Heartbeat", {}]))
        assert json.loads(ws.recv(timeout=10))[0] == 3
