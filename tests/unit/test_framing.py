"""OCPP-J 1.6 RPC framing (section 4): what parses, and the error each broken frame gets."""

from __future__ import annotations

import pytest

from ampyre.ocpp.v16.framing import (
    Call,
    CallError,
    CallResult,
    FrameError,
    parse_frame,
)


def test_call_result_and_error_round_trip() -> None:
    call = Call("1", "Heartbeat", {})
    assert parse_frame(call.encode()) == call
    result = CallResult("2", {"currentTime": "2026-01-01T00:00:00.000Z"})
    assert parse_frame(result.encode()) == result
    error = CallError("3", "NotImplemented", "no", {"a": 1})
    assert parse_frame(error.encode()) == error
    assert parse_frame(b'[2,"4","Heartbeat",{}]') == Call("4", "Heartbeat", {})


@pytest.mark.parametrize(
    ("text", "code", "unique_id", "answerable"),
    [
        ("not json", "FormationViolation", "-1", True),
        ("{}", "ProtocolError", "-1", True),
        ('[2, 5, "Heartbeat", {}]', "ProtocolError", "-1", True),
        ('[2, "' + "x" * 37 + '", "Heartbeat", {}]', "ProtocolError", "x" * 36, True),
        ('[2, "1", "Heartbeat"]', "ProtocolError", "1", True),
        ('[2, "1", 7, {}]', "ProtocolError", "1", True),
        ('[2, "1", "Heartbeat", []]', "FormationViolation", "1", True),
        ('[3, "1", []]', "ProtocolError", "1", False),
        ('[4, "1"]', "ProtocolError", "-1", True),
        ('[4, "1", 5, "x"]', "ProtocolError", "1", False),
        ('[9, "1", "x", {}]', "ProtocolError", "1", True),
    ],
)
def test_broken_frames(text: str, code: str, unique_id: str, answerable: bool) -> None:
    with pytest.raises(FrameError) as info:
        parse_frame(text)
    assert info.value.error.code == code
    assert info.value.unique_id == unique_id
    # OCPP-J forbids answering an answer: broken CALLRESULT/CALLERROR frames are only logged.
    assert info.value.answerable is answerable
