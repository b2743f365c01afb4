"""A connector's energy meter, driven by the charging current the simulated EV draws.

Energy is integrated over real (monotonic) time, so that successive MeterValues and the
meterStop of a session are consistent with each other and with the reported power, which
is what a CSMS's energy accounting gets checked against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

SUPPORTED_MEASURANDS = frozenset(
    {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Power.Offered",
        "Current.Import",
        "Current.Offered",
        "Voltage",
        "Temperature",
    }
)

PHASE_NAMES = ("L1", "L2", "L3")
NOMINAL_VOLTAGE = 230.0
#: The rating of each simulated connector: 32 A on three phases, 22 kW.
MAX_CURRENT = 32.0
PHASES = 3


@dataclass(slots=True)
class Reading:
    energy_wh: float
    current_a: float
    offered_a: float
    phases: int = PHASES
    voltage: float = NOMINAL_VOLTAGE

    @property
    def power_w(self) -> float:
        return self.current_a * self.voltage * self.phases

    @property
    def offered_w(self) -> float:
        return self.offered_a * self.voltage * self.phases


class Meter:
    def __init__(self, energy_wh: float = 0.0) -> None:
        self.energy_wh = energy_wh
        self.current_a = 0.0
        self.offered_a = MAX_CURRENT
        self._last = time.monotonic()

    def advance(self) -> None:
        now = time.monotonic()
        power_w = self.current_a * NOMINAL_VOLTAGE * PHASES
        self.energy_wh += power_w * (now - self._last) / 3600.0
        self._last = now

    def set_current(self, amps: float) -> None:
        self.advance()
        self.current_a = max(0.0, amps)

    def set_register(self, energy_wh: float) -> None:
        self.advance()
        self.energy_wh = energy_wh

    def reading(self) -> Reading:
        self.advance()
        return Reading(self.energy_wh, self.current_a, self.offered_a)


def combined(readings: list[Reading]) -> Reading:
    """Connector 0's meter: the whole charge point, i.e. the sum of its connectors."""
    return Reading(
        energy_wh=sum(reading.energy_wh for reading in readings),
        current_a=sum(reading.current_a for reading in readings),
        offered_a=sum(reading.offered_a for reading in readings),
    )


def sampled_values(reading: Reading, measurands: list[str], context: str) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []

    def add(measurand: str, value: float, unit: str, digits: int, **extra: str) -> None:
        text = str(int(value)) if digits == 0 else f"{value:.{digits}f}"
        values.append(
            {"value": text, "context": context, "measurand": measurand, "unit": unit, **extra}
        )

    for measurand in measurands:
        if measurand == "Energy.Active.Import.Register":
            add(measurand, reading.energy_wh, "Wh", 0, location="Outlet")
        elif measurand == "Power.Active.Import":
            add(measurand, reading.power_w, "W", 0, location="Outlet")
        elif measurand == "Power.Offered":
            add(measurand, reading.offered_w, "W", 0, location="Outlet")
        elif measurand == "Current.Offered":
            add(measurand, reading.offered_a, "A", 1, location="Outlet")
        elif measurand == "Current.Import":
            for phase in PHASE_NAMES[: reading.phases]:
                add(measurand, reading.current_a, "A", 1, phase=phase, location="Outlet")
        elif measurand == "Voltage":
            for phase in PHASE_NAMES[: reading.phases]:
                add(measurand, reading.voltage, "V", 1, phase=f"{phase}-N", location="Outlet")
        elif measurand == "Temperature":
            add(measurand, 25.0, "Celsius", 1, location="Body")
    return values
