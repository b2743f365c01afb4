"""Scenarios: a JSON list of steps that a simulated charge point plays in order.

Each step is an object with a single key, the step's name, e.g.
`[{"boot": {}}, {"start": {"connectorId": 1}}, {"sleep": 5}, {"stop": {"connectorId": 1}}]`.
A script is checked completely before anything is sent, and every problem names its step,
because scripts are written by hand (by integrators, for smoke tests) and a typo found
after ten minutes of charging is a typo found too late.

Steps that check an outcome (boot, authorize, start) fail the script when the CSMS's
status differs from `expect` ("Accepted" unless given), so a script doubles as a test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    Reason,
    RegistrationStatus,
)

from ampyre.simulator.errors import ScriptError, SimulatorError

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

NUMBER = (int, float)

#: step name -> {argument: accepted types}; numbers accept ints and floats alike.
_ARGUMENTS: dict[str, dict[str, tuple[type, ...]]] = {
    "boot": {"expect": (str,), "retry": (bool,), "maxAttempts": (int,)},
    "status": {
        "connectorId": (int,),
        "status": (str,),
        "errorCode": (str,),
        "info": (str,),
        "vendorId": (str,),
        "vendorErrorCode": (str,),
    },
    "heartbeat": {},
    "authorize": {"idTag": (str,), "expect": (str,)},
    "start": {
        "connectorId": (int,),
        "idTag": (str,),
        "meterStart": (int,),
        "reservationId": (int,),
        "expect": (str,),
    },
    "meterValues": {"connectorId": (int,), "count": (int,), "interval": NUMBER},
    "stop": {
        "connectorId": (int,),
        "reason": (str,),
        "idTag": (str,),
        "transactionData": (bool,),
    },
    "call": {"action": (str,), "payload": (dict,)},
    "waitFor": {"action": (str,), "timeout": NUMBER},
    "reconnect": {},
    "repeat": {"times": (int,), "steps": (list,)},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "call": ("action",),
    "waitFor": ("action",),
    "repeat": ("times", "steps"),
}
#: step name -> {argument: the OCPP enumeration its string is a value of}; the runner gets
#: the enumeration's member.
_ENUMERATIONS: dict[str, dict[str, type[Enum]]] = {
    "boot": {"expect": RegistrationStatus},
    "status": {"status": ChargePointStatus, "errorCode": ChargePointErrorCode},
    "authorize": {"expect": AuthorizationStatus},
    "start": {"expect": AuthorizationStatus},
    "stop": {"reason": Reason},
}
#: Steps whose value is a number of seconds rather than an object.
_DURATION_STEPS = ("sleep", "idle")
STEP_NAMES = tuple(sorted((*_ARGUMENTS, *_DURATION_STEPS)))

DEFAULT_SCRIPT: list[dict[str, Any]] = [
    {"boot": {}},
    {"status": {"status": "Available"}},
    {"authorize": {}},
    {"start": {"connectorId": 1}},
    {"meterValues": {"connectorId": 1, "count": 3, "interval": 1}},
    {"stop": {"connectorId": 1, "reason": "Local"}},
]


@dataclass(frozen=True, slots=True)
class Step:
    label: str  # "step 3 (start)", "step 4.2 (meterValues)" inside a repeat
    name: str
    args: Any  # dict for object steps, float | None for sleep and idle
    steps: tuple[Step, ...] = ()  # a repeat's body


def load_script(path: str | Path) -> list[Step]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read script {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScriptError(
            f"script {path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse_script(data)


def parse_script(data: Any, prefix: str = "") -> list[Step]:
    if not isinstance(data, list):
        raise ScriptError('a script is a JSON list of steps, e.g. [{"boot": {}}]')
    return [_parse_step(item, f"{prefix}{number}") for number, item in enumerate(data, 1)]


def _parse_step(item: Any, number: str) -> Step:
    if not isinstance(item, dict) or len(item) != 1:
        raise ScriptError(
            f"step {number}: a step is an object with exactly one key, the step name "
            f"(one of {', '.join(STEP_NAMES)})"
        )
    ((name, args),) = item.items()
    label = f"step {number} ({name})"
    if name in _DURATION_STEPS:
        if name == "idle" and args is None:
            return Step(label, name, None)
        if isinstance(args, bool) or not isinstance(args, NUMBER) or args < 0:
            raise ScriptError(f"{label}: the value is a number of seconds")
        return Step(label, name, float(args))
    if name not in _ARGUMENTS:
        raise ScriptError(
            f"step {number}: unknown step {name!r}; expected one of {', '.join(STEP_NAMES)}"
        )
    if name == "status" and isinstance(args, str):
        args = {"status": args}
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ScriptError(f"{label}: the value must be an object of arguments")
    allowed = _ARGUMENTS[name]
    for key, value in args.items():
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            raise ScriptError(f"{label}: unknown argument {key!r} (arguments: {known})")
        if (isinstance(value, bool) and bool not in allowed[key]) or not isinstance(
            value, allowed[key]
        ):
            kind = "/".join(t.__name__ for t in allowed[key])
            raise ScriptError(f"{label}: {key} must be of type {kind}, not {value!r}")
    for key in _REQUIRED.get(name, ()):
        if key not in args:
            raise ScriptError(f"{label}: missing argument {key!r}")
    for key, enumeration in _ENUMERATIONS.get(name, {}).items():
        if key in args:
            try:
                args = {**args, key: enumeration(args[key])}
            except ValueError:
                values = ", ".join(member.value for member in enumeration)
                raise ScriptError(
                    f"{label}: {key} must be one of {values}, not {args[key]!r}"
                ) from None
    body: tuple[Step, ...] = ()
    if name == "repeat":
        body = tuple(parse_script(args["steps"], prefix=f"{number}."))
    return Step(label, name, args, body)


class ScriptRunner:
    """Plays steps on one connected charge point.

    `time_scale` multiplies every wait the script asks for (sleep, idle, meter value
    intervals), so that a demo scenario can run in a test at 0.
    """

    def __init__(
        self,
        charge_point: SimulatedChargePoint,
        *,
        id_tag: str = "SIMTAG",
        time_scale: float = 1.0,
    ) -> None:
        self.cp = charge_point
        self.id_tag = id_tag
        self.time_scale = time_scale
        self._received_cursor = 0
        self._handlers: dict[str, Callable[[Step], Awaitable[None]]] = {
            "boot": self._boot,
            "status": self._status,
            "heartbeat": self._heartbeat,
            "authorize": self._authorize,
            "start": self._start,
            "meterValues": self._meter_values,
            "stop": self._stop,
            "call": self._call,
            "waitFor": self._wait_for,
            "reconnect": self._reconnect,
            "repeat": self._repeat,
            "sleep": self._sleep,
            "idle": self._idle,
        }

    async def run(self, steps: list[Step]) -> None:
        for step in steps:
            await self.run_step(step)

    async def run_step(self, step: Step) -> None:
        try:
            await self._handlers[step.name](step)
        except ScriptError:
            raise
        except TimeoutError:
            raise ScriptError(f"{step.label}: timed out") from None
        except SimulatorError as exc:
            raise ScriptError(f"{step.label}: {exc}") from None

    async def idle(self, seconds: float | None) -> None:
        """Stay connected answering the CSMS; returns early only if the connection is lost
        for good, which is an error."""
        try:
            await self.cp.wait_until(lambda: self.cp.offline, seconds)
        except TimeoutError:
            return
        raise SimulatorError("the connection was lost")

    def _expect(self, step: Step, what: str, status: Enum, accepted: Enum) -> None:
        expected = step.args.get("expect", accepted)
        if status != expected:
            raise ScriptError(f"{step.label}: {what} is {status}, expected {expected}")

    async def _boot(self, step: Step) -> None:
        accepted = RegistrationStatus.accepted
        if step.args.get("retry", True) and step.args.get("expect", accepted) == accepted:
            answer = await self.cp.boot_until_accepted(step.args.get("maxAttempts"))
        else:
            answer = await self.cp.boot()
        self._expect(step, "the registration status", answer.status, accepted)

    async def _status(self, step: Step) -> None:
        args = step.args
        connector_id = args.get("connectorId")
        targets = list(self.cp.connectors) if connector_id is None else [connector_id]
        for target in targets:
            await self.cp.status(
                target,
                args["status"],
                args.get("errorCode", ChargePointErrorCode.no_error),
                info=args.get("info"),
                vendor_id=args.get("vendorId"),
                vendor_error_code=args.get("vendorErrorCode"),
            )

    async def _heartbeat(self, step: Step) -> None:
        await self.cp.heartbeat()

    async def _authorize(self, step: Step) -> None:
        info = await self.cp.authorize(step.args.get("idTag", self.id_tag))
        self._expect(step, "the idTag status", info.status, AuthorizationStatus.accepted)

    async def _start(self, step: Step) -> None:
        answer = await self.cp.start_transaction(
            step.args.get("connectorId", 1),
            step.args.get("idTag", self.id_tag),
            meter_start=step.args.get("meterStart"),
            reservation_id=step.args.get("reservationId"),
        )
        self._expect(
            step, "the idTag status", answer.id_tag_info.status, AuthorizationStatus.accepted
        )

    async def _meter_values(self, step: Step) -> None:
        connector_id = step.args.get("connectorId", 1)
        interval = float(step.args.get("interval", 0)) * self.time_scale
        for number in range(step.args.get("count", 1)):
            if number:
                await asyncio.sleep(interval)
            await self.cp.meter_values(connector_id)

    async def _stop(self, step: Step) -> None:
        await self.cp.stop_transaction(
            step.args.get("connectorId", 1),
            reason=step.args.get("reason", Reason.local),
            id_tag=step.args.get("idTag"),
            with_transaction_data=step.args.get("transactionData", True),
        )

    async def _call(self, step: Step) -> None:
        await self.cp.call(step.args["action"], step.args.get("payload", {}))

    async def _wait_for(self, step: Step) -> None:
        """Wait for the next CSMS CALL of an action that no earlier waitFor consumed, so
        a CALL that arrived before the step started still counts."""
        action = step.args["action"]
        timeout = float(step.args.get("timeout", 60))

        def arrived() -> bool:
            return any(name == action for name, _ in self.cp.received[self._received_cursor :])

        try:
            await self.cp.wait_until(lambda: arrived() or self.cp.offline, timeout)
        except TimeoutError:
            raise ScriptError(
                f"{step.label}: the CSMS sent no {action} within {timeout:g} s"
            ) from None
        if not arrived():
            raise ScriptError(f"{step.label}: the connection was lost")
        for index in range(self._received_cursor, len(self.cp.received)):
            if self.cp.received[index][0] == action:
                self._received_cursor = index + 1
                break

    async def _reconnect(self, step: Step) -> None:
        await self.cp.reconnect()

    async def _repeat(self, step: Step) -> None:
        for _ in range(step.args["times"]):
            await self.run(list(step.steps))

    async def _sleep(self, step: Step) -> None:
        await asyncio.sleep(step.args * self.time_scale)

    async def _idle(self, step: Step) -> None:
        await self.idle(None if step.args is None else step.args * self.time_scale)
