"""What a simulated charge point reports while it runs, for the CLI and for tests.

Events carry the payload rather than a formatted line: formatting JSON for every message
of a load test would cost more than the test measures, and the CLI's load mode drops most
kinds before they are ever formatted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

EventKind = Literal[
    "call",  # a CALL the charge point sent
    "result",  # the CALLRESULT answering it
    "callerror",  # a CALLERROR answering it
    "request",  # a CALL the CSMS sent
    "answer",  # the charge point's CALLRESULT to it
    "answer-error",  # the charge point's CALLERROR to it
    "info",  # connection and lifecycle news
    "warning",  # the CSMS did something questionable; the simulator carried on
    "error",  # something failed
]

MESSAGE_KINDS: frozenset[str] = frozenset(
    {"call", "result", "callerror", "request", "answer", "answer-error"}
)


@dataclass(slots=True)
class Event:
    charge_point_id: str
    kind: EventKind
    text: str = ""
    action: str = ""
    payload: dict[str, Any] | None = field(default=None)
    latency: float | None = None


EventSink = Callable[[Event], None]


_ARROWS = {
    "call": "->",
    "result": "<-",
    "callerror": "<-",
    "request": "<=",
    "answer": "=>",
    "answer-error": "=>",
    "info": "--",
    "warning": "!!",
    "error": "!!",
}


def describe(event: Event) -> str:
    """One line for a human: `CP-1 -> Heartbeat {}`, `CP-1 <= Reset {"type":"Soft"}`...

    `->`/`<-` are the charge point's CALLs and their answers, `<=`/`=>` the CSMS's CALLs
    and the charge point's answers.
    """
    parts = [event.charge_point_id, _ARROWS[event.kind]]
    if event.action:
        suffix = {"result": ".conf", "answer": ".conf"}.get(event.kind, "")
        parts.append(event.action + suffix)
    if event.kind in ("callerror", "answer-error"):
        parts.append("CALLERROR")
    if event.kind == "error":
        parts.append("error:")
    if event.text:
        parts.append(event.text)
    if event.payload is not None and event.kind in MESSAGE_KINDS:
        parts.append(orjson.dumps(event.payload).decode())
    if event.latency is not None:
        parts.append(f"({event.latency * 1000:.1f} ms)")
    return " ".join(parts)
