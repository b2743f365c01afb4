"""The OCPP message log as the REST API shows it: one frame, its parts named."""

from __future__ import annotations

from typing import Any

import orjson

from ampyre.services.clock import format_timestamp
from ampyre.storage.models import OcppMessage

MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}


def ocpp_message(row: OcppMessage) -> dict[str, Any]:
    """A frame with its payload: a CALL's or CALLRESULT's object; a CALLERROR's code,
    description and details. A frame that is not JSON, or was cut to the log's bound,
    has no payload: `raw` holds its text (as far as it was kept)."""
    payload = None if row.size > len(row.frame) else _payload(row.message_type, row.frame)
    shown: dict[str, Any] = {
        "id": row.id,
        "time": format_timestamp(row.time),
        "direction": row.direction,
        "messageId": row.unique_id,
        "messageType": MESSAGE_TYPES.get(row.message_type or 0),
        "action": row.action,
        "payload": payload,
        "answerMs": None if row.answer_us is None else round(row.answer_us / 1000, 3),
        "size": row.size,
    }
    if payload is None:
        shown["raw"] = row.frame
        shown["truncated"] = row.size > len(row.frame)
    return shown


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
