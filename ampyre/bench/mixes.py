"""What the benchmark's charge points send: OCPP 1.6 payloads, the message mixes, the
minimal checks of the CSMS's answers and the answers to the CSMS's own CALLs.

A mix is a generator per charge point: each `yield (action, payload)` sends one CALL and
receives the CALLRESULT payload back (None after a CALLERROR, an invalid answer or a
timeout). A generator keeps the per-charge-point state (meter register, transaction id)
without a class per mix and costs one `send()` per call. Every payload built here is
valid against the official OCPP 1.6 JSON schemas (tests/test_bench.py checks it), so a
CALLERROR in a benchmark report is the server's doing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]
#: One CALL to send: (action, payload).
Call = tuple[str, Payload]
#: A charge point's message sequence; `send()` it the answer payload or None.
MixGenerator = Generator[Call, Payload | None, None]

MIX_NAMES = ("realistic", "heartbeat", "meter", "connect")

REGISTRATION_STATUSES = frozenset({"Accepted", "Pending", "Rejected"})
AUTHORIZATION_STATUSES = frozenset({"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"})


@dataclass(frozen=True)
class MixSettings:
    """What a mix needs besides its random generator."""

    id_tags: tuple[str, ...]
    meter_values: int = 5
    connector_id: int = 1


_timestamp_cache: list[Any] = [-1, ""]


def now_iso() -> str:
    """The current UTC time as an OCPP timestamp, with whole seconds and cached for a
    second: formatting a datetime per message would cost more than the message."""
    second = int(time.time())
    if second != _timestamp_cache[0]:
        _timestamp_cache[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        _timestamp_cache[0] = second
    return str(_timestamp_cache[1])


def boot_notification(charge_point_id: str) -> Payload:
    """The BootNotification each charge point sends once after connecting."""
    return {
        "chargePointVendor": "Ampyre",
        "chargePointModel": "Bench-1",
        "chargePointSerialNumber": charge_point_id[-25:],
        "firmwareVersion": "1.0.0",
    }


def status_notification(connector_id: int, status: str) -> Payload:
    return {
        "connectorId": connector_id,
        "errorCode": "NoError",
        "status": status,
        "timestamp": now_iso(),
    }


def authorize(id_tag: str) -> Payload:
    return {"idTag": id_tag}


def start_transaction(connector_id: int, id_tag: str, meter_start: int) -> Payload:
    return {
        "connectorId": connector_id,
        "idTag": id_tag,
        "meterStart": meter_start,
        "timestamp": now_iso(),
    }


def stop_transaction(transaction_id: int, id_tag: str, meter_stop: int) -> Payload:
    return {
        "idTag": id_tag,
        "meterStop": meter_stop,
        "timestamp": now_iso(),
        "transactionId": transaction_id,
        "reason": "Local",
    }


def _pool(low: float, high: float, digits: int) -> tuple[str, ...]:
    """128 pre-formatted readings between low and high: picking one costs far less than
    drawing and formatting a float per sampled value."""
    step = (high - low) / (_POOL_SIZE - 1)
    return tuple(f"{low + index * step:.{digits}f}" for index in range(_POOL_SIZE))


_POOL_BITS = 7
_POOL_SIZE = 1 << _POOL_BITS
_ENERGY = None  # the meter register itself, not a pooled reading

# (measurand, unit, phase, location, readings); the first four are always sent, the rest
# depending on how many values a sample has (4-10).
_MEASURANDS: tuple[tuple[str, str, str | None, str, tuple[str, ...] | None], ...] = (
    ("Energy.Active.Import.Register", "Wh", None, "Outlet", _ENERGY),
    ("Power.Active.Import", "W", None, "Outlet", _pool(3000, 11000, 1)),
    ("Current.Import", "A", "L1", "Outlet", _pool(6, 16, 2)),
    ("Current.Import", "A", "L2", "Outlet", _pool(6, 16, 2)),
    ("Current.Import", "A", "L3", "Outlet", _pool(6, 16, 2)),
    ("Voltage", "V", "L1-N", "Outlet", _pool(225, 235, 1)),
    ("Voltage", "V", "L2-N", "Outlet", _pool(225, 235, 1)),
    ("Voltage", "V", "L3-N", "Outlet", _pool(225, 235, 1)),
    ("SoC", "Percent", None, "EV", _pool(5, 99, 0)),
    ("Temperature", "Celsius", None, "Body", _pool(20, 45, 1)),
)
MIN_SAMPLED_VALUES = 4
MAX_SAMPLED_VALUES = len(_MEASURANDS)


def _template(measurand: str, unit: str, phase: str | None, location: str) -> Payload:
    template: Payload = {
        "context": "Sample.Periodic",
        "format": "Raw",
        "measurand": measurand,
        "location": location,
        "unit": unit,
    }
    if phase is not None:
        template["phase"] = phase
    return template


_TEMPLATES = tuple(
    (_template(measurand, unit, phase, location), readings)
    for measurand, unit, phase, location, readings in _MEASURANDS
)


def sampled_values(meter: int, rng: random.Random, count: int) -> list[Payload]:
    """`count` (4-10) sampled values: energy, power, 3 currents, 3 voltages, SoC and
    temperature, in that order."""
    bits = rng.getrandbits
    return [
        {"value": str(meter) if readings is None else readings[bits(_POOL_BITS)], **template}
        for template, readings in _TEMPLATES[:count]
    ]


def meter_values(
    connector_id: int, transaction_id: int | None, meter: int, rng: random.Random
) -> Payload:
    """A MeterValues with one meter value of 4-10 sampled values."""
    span = MAX_SAMPLED_VALUES - MIN_SAMPLED_VALUES + 1
    count = MIN_SAMPLED_VALUES + int(rng.random() * span)
    payload: Payload = {
        "connectorId": connector_id,
        "meterValue": [{"timestamp": now_iso(), "sampledValue": sampled_values(meter, rng, count)}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


def _transaction_id(answer: Payload | None) -> int | None:
    value = answer.get("transactionId") if answer is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def realistic(rng: random.Random, settings: MixSettings) -> MixGenerator:
    """Charging sessions back to back: StatusNotification(Preparing), Authorize,
    StartTransaction, MeterValues x N, StopTransaction with the transaction id the CSMS
    answered, Heartbeat. Without a transaction id (CALLERROR) the MeterValues go without
    one and the StopTransaction is skipped.

    The first session starts at a random step, so that the swarm does not send the same
    action in lock step (it would in open loop, where all charge points run at the same
    pace): a charge point that starts after the StartTransaction sends its first
    MeterValues without a transaction, as an idle charge point does."""
    connector = settings.connector_id
    meter = rng.randint(0, 10_000_000)
    tags = settings.id_tags
    count = settings.meter_values
    skip = rng.randrange(count + 5)  # steps of the first session left out
    while True:
        tag = tags[rng.randrange(len(tags))]
        transaction_id: int | None = None
        if skip <= 0:
            yield "StatusNotification", status_notification(connector, "Preparing")
        if skip <= 1:
            yield "Authorize", authorize(tag)
        if skip <= 2:
            started = yield "StartTransaction", start_transaction(connector, tag, meter)
            transaction_id = _transaction_id(started)
        for step in range(count):
            if skip <= 3 + step:
                meter += 50 + int(rng.random() * 451)
                yield "MeterValues", meter_values(connector, transaction_id, meter, rng)
        if transaction_id is not None:
            yield "StopTransaction", stop_transaction(transaction_id, tag, meter)
        yield "Heartbeat", {}
        skip = 0


def heartbeat(rng: random.Random, settings: MixSettings) -> MixGenerator:
    """Heartbeats only: the cost of the WebSocket and OCPP-J path with the least work."""
    while True:
        yield "Heartbeat", {}


def meter(rng: random.Random, settings: MixSettings) -> MixGenerator:
    """One StartTransaction, then MeterValues only: a telemetry-dominated load."""
    connector = settings.connector_id
    register = rng.randint(0, 10_000_000)
    tag = settings.id_tags[rng.randrange(len(settings.id_tags))]
    started = yield "StartTransaction", start_transaction(connector, tag, register)
    transaction_id = _transaction_id(started)
    while True:
        register += 50 + int(rng.random() * 451)
        yield "MeterValues", meter_values(connector, transaction_id, register, rng)


def connect(rng: random.Random, settings: MixSettings) -> MixGenerator:
    """Nothing after the BootNotification: the connect storm measures connecting and
    booting only."""
    return
    yield  # a generator that ends at once


MIXES: dict[str, Callable[[random.Random, MixSettings], MixGenerator]] = {
    "realistic": realistic,
    "heartbeat": heartbeat,
    "meter": meter,
    "connect": connect,
}


def _id_tag_info_status(payload: Payload) -> str | None:
    info = payload.get("idTagInfo")
    if not isinstance(info, dict) or info.get("status") not in AUTHORIZATION_STATUSES:
        return "idTagInfo.status"
    return None


def check_answer(action: str, payload: Any) -> str | None:
    """A minimal check of a CALLRESULT payload: None when it is plausible, otherwise the
    name of what is wrong. Deliberately far cheaper than schema validation, so the
    generator stays cheap; it catches what would break the charge point's next step."""
    if not isinstance(payload, dict):
        return "payload"
    if action == "BootNotification":
        if payload.get("status") not in REGISTRATION_STATUSES:
            return "status"
        if not isinstance(payload.get("currentTime"), str):
            return "currentTime"
        interval = payload.get("interval")
        if not isinstance(interval, int) or isinstance(interval, bool):
            return "interval"
    elif action == "Heartbeat":
        if not isinstance(payload.get("currentTime"), str):
            return "currentTime"
    elif action == "Authorize":
        return _id_tag_info_status(payload)
    elif action == "StartTransaction":
        problem = _id_tag_info_status(payload)
        if problem is not None:
            return problem
        if _transaction_id(payload) is None:
            return "transactionId"
    elif action == "StopTransaction":
        if "idTagInfo" in payload:
            return _id_tag_info_status(payload)
    return None


#: Minimal valid answers to the CALLs a CSMS may send a charge point. Anything not here
#: is answered with CALLERROR NotImplemented.
SERVER_CALL_ANSWERS: dict[str, Payload] = {
    "GetConfiguration": {"configurationKey": []},
    "ChangeConfiguration": {"status": "Rejected"},
    "TriggerMessage": {"status": "Rejected"},
    "ChangeAvailability": {"status": "Rejected"},
    "ClearCache": {"status": "Rejected"},
    "Reset": {"status": "Rejected"},
    "RemoteStartTransaction": {"status": "Rejected"},
    "RemoteStopTransaction": {"status": "Rejected"},
    "UnlockConnector": {"status": "NotSupported"},
    "GetLocalListVersion": {"listVersion": -1},
    "SendLocalList": {"status": "NotSupported"},
    "DataTransfer": {"status": "UnknownVendorId"},
    "ReserveNow": {"status": "Rejected"},
    "CancelReservation": {"status": "Rejected"},
    "SetChargingProfile": {"status": "NotSupported"},
    "ClearChargingProfile": {"status": "Unknown"},
    "GetCompositeSchedule": {"status": "Rejected"},
}
