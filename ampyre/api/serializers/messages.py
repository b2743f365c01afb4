"""The OCPP message log as the REST API shows it: one frame, its parts named."""

from __future__ import annotations

from typing import Any

import orjson

from ampyre.api.serializers.base import ApiModel, Timestamp
from ampyre.services.clock import format_timestamp
from ampyre.storage.models import OcppMessage

MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


class LoggedMessage(ApiModel):
    """One OCPP-J frame as it went over the wire."""

    id: int
    time: Timestamp
    #: in: sent by the charge point; out: sent by the CSMS.
    direction: str
    message_id: str | None
    message_type: str | None
    #: A CALL's action; for an answer, the action of the CALL it answers.
    action: str | None
    payload: dict[str, Any] | None
    #: For an answer: milliseconds since its CALL was received or sent.
    answer_ms: float | None
    #: Characters of the whole frame.
    size: int
    #: Only for a frame without a payload (not JSON, or cut): its text, as far as kept.
    raw: str | None = None
    truncated: bool | None = None


def ocpp_message(row: OcppMessage) -> LoggedMessage:
    """A frame with its payload: a CALL's or CALLRESULT's object; a CALLERROR's code,
    description and details. A frame that is not JSON, or was cut to the log's bound,
    has no payload: `raw` holds its text (as far as it was kept)."""
    payload = None if row.size > len(row.frame) else _payload(row.message_type, row.frame)
    return LoggedMessage(
        id=row.id,
        time=format_timestamp(row.time),
        direction=row.direction,
        message_id=row.unique_id,
        message_type=MESSAGE_TYPES.get(row.message_type or 0),
        action=row.action,
        payload=payload,
        answer_ms=None if row.answer_us is None else round(row.answer_us / 1000, 3),
        size=row.size,
        raw=row.frame if payload is None else None,
        truncated=(row.size > len(row.frame)) if payload is None else None,
    )


def _payload(message_type: int | None, text: str) -> dict[str, Any] | None:
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(frame, list):
        return None
    if message_type == 2 and len(frame) == 4 and isinstance(frame[3], dict):
        return frame[3]
    if message_type == 3 and len(frame) == 3 and isinstance(frame[2], dict):
        return frame[2]
    if message_type == 4 and len(frame) in (4, 5):
        return {
            "errorCode": frame[2],
            "errorDescription": frame[3],
            "errorDetails": frame[4] if len(frame) == 5 else {},
        }
    return None
