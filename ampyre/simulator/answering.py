"""How a simulated charge point answers the CSMS's CALLs: the test's override if one is
set, else the responder of the action (`responders`), after checking the request against
the schemas and the feature profiles the charge point supports."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from ampyre.ocpp.v16.errors import NotImplementedError_, NotSupportedError, OcppError
from ampyre.ocpp.v16.framing import Call, CallError, CallResult
from ampyre.simulator import responders, validation
from ampyre.simulator.connection import Reply
from ampyre.simulator.responders.base import (
    Answer,
    CallErrorReply,
    NoAnswer,
    ResponseOverride,
    ResponseValue,
)

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint


async def answer_call(cp: SimulatedChargePoint, call: Call) -> Reply:
    cp.received.append((call.action, call.payload))
    cp._notify()
    if call.action in cp.responses:
        return await _overridden(call, cp.responses[call.action])
    responder = responders.RESPONDERS.get(call.action)
    if responder is None:
        return Reply(
            CallError.from_exception(
                call.unique_id,
                NotImplementedError_(f"{call.action} is not implemented by the simulator"),
            )
        )
    problem = validation.request_problem(call.action, call.payload)
    if problem is not None:
        cp._report_problem(f"{call.action} request: {problem.description}")
        return Reply(CallError.from_exception(call.unique_id, problem))
    profile = responders.FEATURE_PROFILE_OF.get(call.action)
    try:
        if profile is not None and not cp.supports(profile):
            raise NotSupportedError(f"the {profile} feature profile is not supported")
        answer = responder(cp, call.payload)
    except OcppError as exc:
        return Reply(CallError.from_exception(call.unique_id, exc))
    return Reply(CallResult(call.unique_id, answer.payload), answer.follow_up)


async def _overridden(call: Call, override: ResponseOverride) -> Reply:
    value: Any = override
    if callable(value) and not isinstance(
        value, dict | CallErrorReply | OcppError | NoAnswer | Answer
    ):
        value = value(call.payload)
        if inspect.isawaitable(value):
            value = await value
    return _reply_for(call, value)


def _reply_for(call: Call, value: ResponseValue) -> Reply:
    if isinstance(value, NoAnswer):
        return Reply(None)
    if isinstance(value, CallErrorReply):
        return Reply(CallError(call.unique_id, value.code, value.description, dict(value.details)))
    if isinstance(value, OcppError):
        return Reply(CallError.from_exception(call.unique_id, value))
    if isinstance(value, Answer):
        return Reply(CallResult(call.unique_id, value.payload), value.follow_up)
    if isinstance(value, dict):
        return Reply(CallResult(call.unique_id, value))
    raise TypeError(f"unusable response override for {call.action}: {value!r}")
