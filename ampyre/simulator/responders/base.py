"""What a responder returns, and the ways a test can override an answer.

A responder is a plain function `(charge_point, payload) -> Answer`: it decides the
answer synchronously, against the state as it is when the CALL arrives, and returns what
the charge point does next as a follow-up that runs once the answer is on the wire.
It raises an OcppError to answer with a CALLERROR.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.messages import Confirmation, unparse

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

FollowUp = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Answer:
    payload: dict[str, Any]
    follow_up: FollowUp | None = None


def confirm(confirmation: Confirmation, follow_up: FollowUp | None = None) -> Answer:
    """Answer with a typed confirmation (`ocpp.v16.csms_messages`)."""
    return Answer(unparse(confirmation), follow_up)


@dataclass(frozen=True, slots=True)
class CallErrorReply:
    """Answer with a CALLERROR: `sim.responses["Reset"] = CallErrorReply("InternalError")`."""

    code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


class NoAnswer:
    """Stay silent, so the CSMS's timeout handling can be tested."""

    _instance: NoAnswer | None = None

    def __new__(cls) -> NoAnswer:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_ANSWER"


NO_ANSWER = NoAnswer()

#: What a test may put in `sim.responses[action]`: a payload, a CALLERROR, silence, an
#: Answer (payload plus follow-up), or a function of the request payload returning any
#: of those (possibly as a coroutine).
ResponseValue = dict[str, Any] | CallErrorReply | OcppError | NoAnswer | Answer
ResponseOverride = (
    ResponseValue | Callable[[dict[str, Any]], ResponseValue | Awaitable[ResponseValue]]
)

Responder = Callable[["SimulatedChargePoint", dict[str, Any]], Answer]
