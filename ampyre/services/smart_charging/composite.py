"""The composite charging schedule of a connector, computed the way OCPP 1.6 defines it.

Pure: it reads OCPP ChargingProfile dicts and returns an OCPP ChargingSchedule dict, with no
database and no clock of its own, so the algorithm can be checked against a brute-force
reference (tests/test_composite_schedule.py).

The rules, by section of OCPP 1.6 edition 2 and errata v4:

- Within one purpose the profile with the highest stackLevel that is in force wins
  (3.13.2). A profile is in force at an instant when it is valid (validFrom <= t < validTo)
  and its schedule has a period for that instant: not before its start, not after its
  `duration` (5.16.4 notes, errata 3.43: after the duration "fall back" to a lower stack
  level, and to no limit at all when there is none).
- TxDefaultProfiles of the connector and of connector 0 stack together: 3.13.1 says a
  connector's own TxDefaultProfile replaces connector 0's "only for that specific
  connector", so at the same stackLevel the connector's own profile wins.
- A TxProfile of the connector's transaction overrules the TxDefaultProfiles (3.13.1), at
  every instant it is in force.
- The ChargePointMaxProfile (connector 0) caps the result: the composite takes the lower
  limit (3.13.3). For connector 0 itself, the composite is the ChargePointMaxProfile stack.
- Absolute and Recurring schedules start at `startSchedule`; Relative ones at the start of
  the transaction, or at the window start when there is none (7.9, 7.13). A Recurring
  schedule repeats every day or week from `startSchedule` and is not in force before it;
  periods and durations beyond the recurrence length are not executed (errata 3.44).
- Limits in another unit are converted with the nominal voltage and the period's
  numberPhases, 3 when absent (7.12, errata 3.68): W = A x 230 V x phases. Converted limits
  are rounded down to 0.1, the resolution OCPP allows, so a conversion never raises a limit.

Time resolution is one second: the result gives, for every whole second of the window, the
limit in force at that second. A profile boundary between two whole seconds therefore takes
effect at the next whole second.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from ocpp.v16.enums import ChargingProfilePurposeType

from ampyre.services.clock import format_timestamp, parse_timestamp

#: The "set voltage for the area" of OCPP 1.6, 7.12, per phase.
NOMINAL_VOLTAGE = 230
#: OCPP 1.6, 7.12 and 7.14: without numberPhases, 3 phases are assumed.
DEFAULT_PHASES = 3
RECURRENCE_SECONDS = {"Daily": 86_400, "Weekly": 604_800}
#: The unit of a composite schedule whose profiles disagree or that has no profiles.
FALLBACK_UNIT = "A"

CHARGE_POINT_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = ChargingProfilePurposeType.tx_profile.value


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit in force: the value in the composite's unit and the phases it was given for."""

    value: Fraction
    number_phases: int | None


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One installed profile that may take part in the composite, ready to evaluate."""

    profile: Mapping[str, Any]
    stack_level: int
    #: Orders profiles of equal stackLevel: a connector's own TxDefaultProfile first.
    precedence: int
    origin: datetime
    valid_from: datetime | None
    valid_to: datetime | None
    #: Seconds after `origin` the schedule stops; None: it goes on.
    duration: int | None
    #: The recurrence length in seconds; None when the profile does not recur.
    cycle: int | None
    periods: tuple[Mapping[str, Any], ...]

    def period_at(self, moment: datetime) -> Mapping[str, Any] | None:
        """The schedule period in force at `moment`, or None when the profile is not."""
        if self.valid_from is not None and moment < self.valid_from:
            return None
        if self.valid_to is not None and moment >= self.valid_to:
            return None
        offset = (moment - self.origin).total_seconds()
        if offset < 0:
            return None
        if self.cycle is not None:
            # Errata v4 3.44: periods and durations beyond the recurrence period are not
            # executed; each cycle starts over at the first period.
            offset %= self.cycle
        if self.duration is not None and offset >= self.duration:
            return None
        current = None
        for period in self.periods:
            if period["startPeriod"] > offset:
                break
            current = period
        return current

    def change_instants(self, start: datetime, end: datetime) -> Iterable[datetime]:
        """Every instant in [start, end] at which this profile's limit may change."""
        if self.valid_from is not None:
            yield self.valid_from
        if self.valid_to is not None:
            yield self.valid_to
        offsets = [int(period["startPeriod"]) for period in self.periods]
        if self.duration is not None:
            offsets.append(self.duration)
        if self.cycle is None:
            for offset in offsets:
                yield self.origin + timedelta(seconds=offset)
            return
        offsets = [0, *(offset for offset in offsets if offset < self.cycle)]
        first = max(0, math.floor((start - self.origin).total_seconds() / self.cycle))
        last = math.floor((end - self.origin).total_seconds() / self.cycle)
        for cycle in range(first, last + 1):
            cycle_start = self.origin + timedelta(seconds=cycle * self.cycle)
            for offset in offsets:
                yield cycle_start + timedelta(seconds=offset)


def composite_schedule(
    profiles: Iterable[Mapping[str, Any]],
    connector_id: int,
    *,
    start: datetime,
    duration: int,
    charging_rate_unit: str | None = None,
    transaction_id: int | None = None,
    transaction_start: datetime | None = None,
    default_limit: float | None = None,
) -> dict[str, Any]:
    """The composite schedule of `connector_id` from `start` for `duration` seconds.

    `profiles` are the charge point's installed profiles as the REST API lists them:
    `{"connectorId", "csChargingProfiles"}`. TxProfiles count only while `transaction_id`
    is set, and only those naming that transaction or none. Without `charging_rate_unit`
    the composite takes the unit its profiles share, else amperes. Where no profile
    limits the connector, the period's limit is `default_limit` (e.g. the connector's
    rating, in the composite's unit), or None when it is not given: OCPP has no way to
    say "unlimited", and the CSMS does not know the hardware's own limit.
    """
    if duration <= 0:
        raise ValueError("duration must be positive")
    relative_origin = transaction_start or start
    cap, tx_default, tx = _select(profiles, connector_id, transaction_id, relative_origin)
    unit = charging_rate_unit or _shared_unit([*cap, *tx_default, *tx])
    end = start + timedelta(seconds=duration)
    offsets = {0}
    for candidate in (*cap, *tx_default, *tx):
        for instant in candidate.change_instants(start, end):
            offset = math.ceil((instant - start).total_seconds())
            if 0 < offset < duration:
                offsets.add(offset)
    fallback = None if default_limit is None else Limit(_exact(default_limit), None)
    periods: list[dict[str, Any]] = []
    previous: Limit | None = None
    for offset in sorted(offsets):
        moment = start + timedelta(seconds=offset)
        limit = _limit_at(moment, unit, cap, tx_default, tx) or fallback
        if periods and limit == previous:
            continue
        periods.append(_period(offset, limit))
        previous = limit
    return {
        "startSchedule": format_timestamp(start),
        "duration": duration,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods,
    }


def _limit_at(
    moment: datetime,
    unit: str,
    cap: list[_Candidate],
    tx_default: list[_Candidate],
    tx: list[_Candidate],
) -> Limit | None:
    """The composite limit at one instant; None when no profile limits it."""
    transaction_side = _prevailing(tx, moment, unit) or _prevailing(tx_default, moment, unit)
    charge_point_side = _prevailing(cap, moment, unit)
    if transaction_side is None:
        return charge_point_side
    if charge_point_side is None or transaction_side.value <= charge_point_side.value:
        return transaction_side
    return charge_point_side


def convert(limit: Fraction, from_unit: str, to_unit: str, number_phases: int | None) -> Fraction:
    """A limit in another unit (OCPP 1.6, 7.12), rounded down to OCPP's 0.1 resolution."""
    if from_unit == to_unit:
        return limit
    volt_phases = NOMINAL_VOLTAGE * (number_phases or DEFAULT_PHASES)
    exact = limit * volt_phases if to_unit == "W" else limit / volt_phases
    return Fraction(math.floor(exact * 10), 10)


def _select(
    profiles: Iterable[Mapping[str, Any]],
    connector_id: int,
    transaction_id: int | None,
    relative_origin: datetime,
) -> tuple[list[_Candidate], list[_Candidate], list[_Candidate]]:
    cap: list[_Candidate] = []
    tx_default: list[_Candidate] = []
    tx: list[_Candidate] = []
    for item in profiles:
        installed_on = int(item["connectorId"])
        profile = item["csChargingProfiles"]
        purpose = profile["chargingProfilePurpose"]
        if purpose == CHARGE_POINT_MAX and installed_on == 0:
            cap.append(_candidate(profile, relative_origin, precedence=0))
        elif connector_id == 0:
            continue
        elif purpose == TX_DEFAULT and installed_on in (0, connector_id):
            tx_default.append(
                _candidate(profile, relative_origin, precedence=int(installed_on == connector_id))
            )
        elif (
            purpose == TX
            and installed_on == connector_id
            and transaction_id is not None
            and profile.get("transactionId") in (None, transaction_id)
        ):
            tx.append(_candidate(profile, relative_origin, precedence=0))
    for stack in (cap, tx_default, tx):
        stack.sort(key=lambda c: (c.stack_level, c.precedence), reverse=True)
    return cap, tx_default, tx


def _candidate(
    profile: Mapping[str, Any], relative_origin: datetime, *, precedence: int
) -> _Candidate:
    schedule = profile["chargingSchedule"]
    kind = profile["chargingProfileKind"]
    start_schedule = schedule.get("startSchedule")
    # OCPP 1.6, 7.13: without startSchedule a schedule is relative to the start of charging.
    if kind == "Relative" or not start_schedule:
        origin = relative_origin
    else:
        origin = parse_timestamp(start_schedule)
    duration = schedule.get("duration")
    cycle = None
    if kind == "Recurring":
        cycle = RECURRENCE_SECONDS[profile.get("recurrencyKind") or "Daily"]
    valid_from = profile.get("validFrom")
    valid_to = profile.get("validTo")
    return _Candidate(
        profile=profile,
        stack_level=int(profile["stackLevel"]),
        precedence=precedence,
        origin=origin,
        valid_from=parse_timestamp(valid_from) if valid_from else None,
        valid_to=parse_timestamp(valid_to) if valid_to else None,
        duration=None if duration is None else int(duration),
        cycle=cycle,
        periods=tuple(sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"])),
    )


def _prevailing(stack: list[_Candidate], moment: datetime, unit: str) -> Limit | None:
    """The limit of the highest-stacked profile in force (the stack is sorted that way)."""
    for candidate in stack:
        period = candidate.period_at(moment)
        if period is None:
            continue
        phases = period.get("numberPhases")
        value = convert(
            _exact(period["limit"]),
            candidate.profile["chargingSchedule"]["chargingRateUnit"],
            unit,
            phases,
        )
        return Limit(value, phases)
    return None


def _shared_unit(candidates: list[_Candidate]) -> str:
    units = {c.profile["chargingSchedule"]["chargingRateUnit"] for c in candidates}
    return units.pop() if len(units) == 1 else FALLBACK_UNIT


def _exact(value: float | int) -> Fraction:
    """A JSON number as the exact decimal it was written as."""
    return Fraction(str(value))


def _period(offset: int, limit: Limit | None) -> dict[str, Any]:
    period: dict[str, Any] = {
        "startPeriod": offset,
        "limit": None if limit is None else float(limit.value),
    }
    if limit is not None and limit.number_phases is not None:
        period["numberPhases"] = limit.number_phases
    return period
