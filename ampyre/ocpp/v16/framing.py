"""OCPP-J 1.6 RPC framing (OCPP-J 1.6, section 4): CALL, CALLRESULT and CALLERROR.

A frame is a JSON array whose first element is the message type id. Parsing is strict
about the frame's shape and says precisely what is wrong, so that the peer's CALLERROR
names the problem; the payload itself is checked later against the action's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from ampyre.ocpp.v16.errors import FormationViolation, OcppError, ProtocolError

CALL = 2
CALLRESULT = 3
CALLERROR = 4

#: The unique id used in a CALLERROR answering a frame whose own id cannot be read.
UNKNOWN_UNIQUE_ID = "-1"
#: OCPP-J 1.6, section 4.1.4: a message id is at most 36 characters.
MAX_UNIQUE_ID_LENGTH = 36


@dataclass(slots=True)
class Call:
    unique_id: str
    action: str
    payload: dict[str, Any]

    def encode(self) -> str:
        return dumps([CALL, self.unique_id, self.action, self.payload])


@dataclass(slots=True)
class CallResult:
    unique_id: str
    payload: dict[str, Any]

    def encode(self) -> str:
        return dumps([CALLRESULT, self.unique_id, self.payload])


@dataclass(slots=True)
class CallError:
    unique_id: str
    error_code: str
    error_description: str = ""
    error_details: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        return dumps(
            [CALLERROR, self.unique_id, self.error_code, self.error_description, self.error_details]
        )

    @classmethod
    def from_exception(cls, unique_id: str, error: OcppError) -> CallError:
        return cls(unique_id, error.code, error.description, error.details)


Frame = Call | CallResult | CallError


class FrameError(Exception):
    """A frame that cannot be processed; carries the CALLERROR to answer it with.

    `answerable` is False for broken CALLRESULT/CALLERROR frames: OCPP-J forbids answering
    an answer, so those are only logged.
    """

    def __init__(self, unique_id: str, error: OcppError, answerable: bool = True) -> None:
        super().__init__(error.description)
        self.unique_id = unique_id
        self.error = error
        self.answerable = answerable

    def to_call_error(self) -> CallError:
        return CallError.from_exception(self.unique_id, self.error)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def parse_frame(text: str | bytes) -> Frame:
    """Parse one WebSocket text message into a frame, or raise FrameError."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise FrameError(
            UNKNOWN_UNIQUE_ID, FormationViolation(f"Message is not valid JSON: {exc}")
        ) from None
    if not isinstance(message, list) or len(message) < 3:
        raise FrameError(
            UNKNOWN_UNIQUE_ID,
            ProtocolError(
                "Message must be a JSON array [MessageTypeId, UniqueId, ...] of 3 to 5 elements"
            ),
        )
    message_type, unique_id = message[0], message[1]
    if not isinstance(unique_id, str) or not unique_id:
        raise FrameError(
            UNKNOWN_UNIQUE_ID, ProtocolError("UniqueId (element 2) must be a non-empty string")
        )
    if len(unique_id) > MAX_UNIQUE_ID_LENGTH:
        raise FrameError(
            unique_id[:MAX_UNIQUE_ID_LENGTH],
            ProtocolError(f"UniqueId is longer than {MAX_UNIQUE_ID_LENGTH} characters"),
        )
    if message_type == CALL:
        if len(message) != 4:
            raise FrameError(
                unique_id,
                ProtocolError("CALL must be [2, UniqueId, Action, Payload] (4 elements)"),
            )
        action, payload = message[2], message[3]
        if not isinstance(action, str) or not action:
            raise FrameError(unique_id, ProtocolError("Action (element 3) must be a string"))
        if not isinstance(payload, dict):
            raise FrameError(
                unique_id, FormationViolation("Payload (element 4) must be a JSON object")
            )
        return Call(unique_id, action, payload)
    if message_type == CALLRESULT:
        if len(message) != 3 or not isinstance(message[2], dict):
            raise FrameError(
                unique_id,
                ProtocolError("CALLRESULT must be [3, UniqueId, Payload] with an object payload"),
                answerable=False,
            )
        return CallResult(unique_id, message[2])
    if message_type == CALLERROR:
        if len(message) not in (4, 5) or not isinstance(message[2], str):
            raise FrameError(
                unique_id,
                ProtocolError(
                    "CALLERROR must be [4, UniqueId, ErrorCode, ErrorDescription, ErrorDetails]"
                ),
                answerable=False,
            )
        description = message[3] if isinstance(message[3], str) else str(message[3])
        details = message[4] if len(message) == 5 and isinstance(message[4], dict) else {}
        return CallError(unique_id, message[2], description, details)
    raise FrameError(
        unique_id,
        ProtocolError(f"Unknown MessageTypeId {message_type!r}: expected 2, 3 or 4"),
    )
