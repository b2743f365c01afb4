"""A scriptable OCPP 1.6-J charge point simulator, alone or as a fleet.

It serves demos and integrators' smoke tests (`ampyre simulate`), and is the engine of the
project's end-to-end tests and load benchmark, which drive `SimulatedChargePoint` and
`Fleet` directly.
"""

from __future__ import annotations

from ampyre.simulator.charge_point import SimulatedChargePoint
from ampyre.simulator.errors import (
    CallErrorReceived,
    ConnectError,
    ConnectionLost,
    InvalidResponse,
    ScriptError,
    SimulatorError,
)
from ampyre.simulator.events import Event, describe
from ampyre.simulator.fleet import Fleet, FleetOutcome, LoadProfile, fleet_ids
from ampyre.simulator.responders.base import NO_ANSWER, Answer, CallErrorReply
from ampyre.simulator.script import DEFAULT_SCRIPT, ScriptRunner, load_script, parse_script
from ampyre.simulator.stats import CallStats

__all__ = [
    "DEFAULT_SCRIPT",
    "NO_ANSWER",
    "Answer",
    "CallErrorReceived",
    "CallErrorReply",
    "CallStats",
    "ConnectError",
    "ConnectionLost",
    "Event",
    "Fleet",
    "FleetOutcome",
    "InvalidResponse",
    "LoadProfile",
    "ScriptError",
    "ScriptRunner",
    "SimulatedChargePoint",
    "SimulatorError",
    "describe",
    "fleet_ids",
    "load_script",
    "parse_script",
]
