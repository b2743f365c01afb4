"""How much strict validation costs per message, and what jsonschema would cost instead.

Every CALL and CALLRESULT of every charge point is validated, so the per-call figure bounds
how many messages a worker can take. Run: `python benchmarks/validation.py`.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable
from typing import Any

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.lenient import normalize_request
from ampyre.ocpp.v16.validation import MessageValidator

NOW = "2024-05-01T12:00:00.123Z"
MEASURANDS = [
    ("Energy.Active.Import.Register", "Wh", None),
    ("Power.Active.Import", "W", None),
    ("Current.Import", "A", "L1"),
    ("Current.Import", "A", "L2"),
    ("Current.Import", "A", "L3"),
    ("Voltage", "V", "L1-N"),
    ("Voltage", "V", "L2-N"),
    ("Voltage", "V", "L3-N"),
    ("SoC", "Percent", None),
    ("Temperature", "Celsius", None),
]


def sampled(measurand: str, unit: str, phase: str | None) -> dict[str, Any]:
    value = {
        "value": "1234.5",
        "context": "Sample.Periodic",
        "format": "Raw",
        "measurand": measurand,
        "location": "Outlet",
        "unit": unit,
    }
    if phase:
        value["phase"] = phase
    return value


METER_VALUES = {
    "connectorId": 1,
    "transactionId": 4711,
    "meterValue": [{"timestamp": NOW, "sampledValue": [sampled(*m) for m in MEASURANDS]}],
}
START = {"connectorId": 1, "idTag": "04A2B3C4D5E6F7", "meterStart": 0, "timestamp": NOW}
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("Heartbeat", "Heartbeat", {}),
    ("StartTransaction", "StartTransaction", START),
    ("MeterValues, 10 sampled values", "MeterValues", METER_VALUES),
    ("StartTransaction, idTag too long", "StartTransaction", {**START, "idTag": "X" * 21}),
]


def per_call(function: Callable[[], object]) -> float:
    """Seconds per call: best of 5 runs of enough calls to take about 0.2 s each."""
    number, _ = timeit.Timer(function).autorange()
    return min(timeit.repeat(function, number=number, repeat=5)) / number


def expect_any(check: Callable[[str, Any], None], action: str, payload: Any) -> Callable[[], None]:
    def run() -> None:
        try:
            check(action, payload)
        except OcppError:
            pass

    return run


def main() -> None:
    started = time.perf_counter()
    validator = MessageValidator()
    compiled = time.perf_counter() - started
    print(f"compiling all {2 * len(validator.actions)} schemas: {compiled * 1000:.0f} ms")
    print()
    print(f"{'message':40} {'fastjsonschema':>16}")
    for label, action, payload in CASES:
        seconds = per_call(expect_any(validator.validate_request, action, payload))
        print(f"{label:40} {seconds * 1e6:13.2f} µs")

    try:
        import jsonschema
    except ImportError:
        print("\njsonschema is not installed: no comparison")
        return
    print()
    print(f"{'message':40} {'jsonschema':>16} {'ratio':>8}")
    for label, action, payload in CASES:
        schema = validator.request_schema(action)
        cls = jsonschema.validators.validator_for(schema)
        checker = cls(schema, format_checker=cls.FORMAT_CHECKER)

        def run(checker: Any = checker, payload: Any = payload) -> None:
            try:
                checker.validate(payload)
            except jsonschema.ValidationError:
                pass

        theirs = per_call(run)
        ours = per_call(expect_any(validator.validate_request, action, payload))
        print(f"{label:40} {theirs * 1e6:13.2f} µs {theirs / ours:7.0f}x")
    print("(jsonschema checks date-time only if rfc3339-validator is installed)")

    broken = {
        "connectorId": "1",
        "meterValue": {"timestamp": "2024-05-01T14:00:00+02:00", "sampledValue": [{"value": "1"}]},
    }
    seconds = per_call(lambda: normalize_request(validator, "MeterValues", broken))
    print(f"\nlenient normalize_request, 2 repairs in MeterValues: {seconds * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
