"""The composite schedule algorithm against a brute-force reference, and the spec's examples.

The reference unrolls every profile into explicit time intervals (each recurrence one by
one) and asks, at every instant of the window, which profile is in force; the algorithm
under test instead jumps between the instants where something can change. Property tests
generate random profile sets whose times all lie on a grid, so checking every grid point
checks every instant.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ampyre.services.clock import format_timestamp, parse_timestamp
from ampyre.services.smart_charging.composite import composite_schedule

WINDOW_START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TX_ID = 41
OTHER_TX_ID = 42
CYCLES = {"Daily": 86_400, "Weekly": 604_800}


# -- The reference ---------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    begin: datetime
    end: datetime | None
    limit: Fraction
    number_phases: int | None


@dataclass(frozen=True)
class Unrolled:
    """One profile and the intervals its schedule covers, validity not yet applied."""

    connector_id: int
    profile: dict[str, Any]
    intervals: list[Interval]

    def interval_at(self, moment: datetime) -> Interval | None:
        valid_from = self.profile.get("validFrom")
        valid_to = self.profile.get("validTo")
        if valid_from and moment < parse_timestamp(valid_from):
            return None
        if valid_to and moment >= parse_timestamp(valid_to):
            return None
        for interval in self.intervals:
            if interval.begin <= moment and (interval.end is None or moment < interval.end):
                return interval
        return None


def unroll(item: dict[str, Any], relative_origin: datetime, horizon: datetime) -> Unrolled:
    profile = item["csChargingProfiles"]
    schedule = profile["chargingSchedule"]
    kind = profile["chargingProfileKind"]
    base = relative_origin if kind == "Relative" else parse_timestamp(schedule["startSchedule"])
    duration = schedule.get("duration")
    if kind == "Recurring":
        cycle = CYCLES[profile["recurrencyKind"]]
        active = cycle if duration is None else min(duration, cycle)
        runs = []
        run_start = base
        while run_start < horizon:
            runs.append((run_start, run_start + timedelta(seconds=active)))
            run_start += timedelta(seconds=cycle)
    else:
        stop = None if duration is None else base + timedelta(seconds=duration)
        runs = [(base, stop)]
    periods = schedule["chargingSchedulePeriod"]
    intervals = []
    for run_start, run_stop in runs:
        for index, period in enumerate(periods):
            begin = run_start + timedelta(seconds=period["startPeriod"])
            end = (
                run_start + timedelta(seconds=periods[index + 1]["startPeriod"])
                if index + 1 < len(periods)
                else None
            )
            if run_stop is not None:
                if begin >= run_stop:
                    continue
                end = run_stop if end is None else min(end, run_stop)
            intervals.append(
                Interval(begin, end, Fraction(str(period["limit"])), period.get("numberPhases"))
            )
    return Unrolled(item["connectorId"], profile, intervals)


def in_unit(interval: Interval, from_unit: str, to_unit: str) -> Fraction:
    if from_unit == to_unit:
        return interval.limit
    volts = 230 * (interval.number_phases or 3)
    exact = interval.limit * volts if to_unit == "W" else interval.limit / volts
    return Fraction(math.floor(exact * 10), 10)


def highest(
    candidates: list[tuple[tuple[int, int], Unrolled]], moment: datetime, unit: str
) -> tuple[Fraction, int | None] | None:
    in_force = [(rank, unrolled, unrolled.interval_at(moment)) for rank, unrolled in candidates]
    in_force = [entry for entry in in_force if entry[2] is not None]
    if not in_force:
        return None
    _, unrolled, interval = max(in_force, key=lambda entry: entry[0])
    assert interval is not None
    unit_of_profile = unrolled.profile["chargingSchedule"]["chargingRateUnit"]
    return in_unit(interval, unit_of_profile, unit), interval.number_phases


def reference_limit(
    unrolled: list[Unrolled],
    connector_id: int,
    transaction_id: int | None,
    moment: datetime,
    unit: str,
) -> tuple[Fraction, int | None] | None:
    def purpose_of(u: Unrolled) -> str:
        return str(u.profile["chargingProfilePurpose"])

    maximum = [
        ((u.profile["stackLevel"], 0), u)
        for u in unrolled
        if purpose_of(u) == "ChargePointMaxProfile" and u.connector_id == 0
    ]
    cap = highest(maximum, moment, unit)
    if connector_id == 0:
        return cap
    tx = [
        ((u.profile["stackLevel"], 0), u)
        for u in unrolled
        if purpose_of(u) == "TxProfile"
        and u.connector_id == connector_id
        and transaction_id is not None
        and u.profile.get("transactionId") in (None, transaction_id)
    ]
    defaults = [
        ((u.profile["stackLevel"], 1 if u.connector_id == connector_id else 0), u)
        for u in unrolled
        if purpose_of(u) == "TxDefaultProfile" and u.connector_id in (0, connector_id)
    ]
    transaction_side = highest(tx, moment, unit) or highest(defaults, moment, unit)
    if transaction_side is None:
        return cap
    if cap is None or transaction_side[0] <= cap[0]:
        return transaction_side
    return cap


def expected_unit(
    items: list[dict[str, Any]], connector_id: int, transaction_id: int | None
) -> str:
    relevant = []
    for item in items:
        profile = item["csChargingProfiles"]
        purpose = profile["chargingProfilePurpose"]
        if purpose == "ChargePointMaxProfile" and item["connectorId"] == 0:
            relevant.append(profile)
        elif (
            connector_id
            and purpose == "TxDefaultProfile"
            and item["connectorId"]
            in (
                0,
                connector_id,
            )
        ):
            relevant.append(profile)
        elif (
            connector_id
            and purpose == "TxProfile"
            and item["connectorId"] == connector_id
            and transaction_id is not None
            and profile.get("transactionId") in (None, transaction_id)
        ):
            relevant.append(profile)
    units = {p["chargingSchedule"]["chargingRateUnit"] for p in relevant}
    return units.pop() if len(units) == 1 else "A"


def limit_of_period(schedule: dict[str, Any], offset: int) -> tuple[Any, Any]:
    current = None
    for period in schedule["chargingSchedulePeriod"]:
        if period["startPeriod"] > offset:
            break
        current = period
    assert current is not None
    return current["limit"], current.get("numberPhases")


# -- Random profile sets -----------------------------------------------------------------


def at(seconds: int) -> str:
    return format_timestamp(WINDOW_START + timedelta(seconds=seconds)) or ""


@st.composite
def profiles(draw: st.DrawFn, grid: int, span: int, kinds: tuple[str, ...]) -> dict[str, Any]:
    """One installed profile; every instant in it is a multiple of `grid` seconds."""

    def instant() -> int:
        return draw(st.integers(-span, span)) * grid

    purpose = draw(st.sampled_from(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]))
    connector_id = {"ChargePointMaxProfile": 0, "TxProfile": 1}.get(
        purpose, draw(st.sampled_from([0, 1, 2]))
    )
    kind = draw(st.sampled_from(kinds))
    starts = sorted(draw(st.sets(st.integers(1, span), max_size=3)))
    periods = []
    for start in [0, *starts]:
        period: dict[str, Any] = {
            "startPeriod": start * grid,
            "limit": round(draw(st.integers(0, 800)) / 10, 1),
        }
        phases = draw(st.sampled_from([None, 1, 2, 3]))
        if phases is not None:
            period["numberPhases"] = phases
        periods.append(period)
    schedule: dict[str, Any] = {
        "chargingRateUnit": draw(st.sampled_from(["A", "W"])),
        "chargingSchedulePeriod": periods,
    }
    if draw(st.booleans()):
        schedule["duration"] = draw(st.integers(1, 2 * span)) * grid
    if kind != "Relative":
        schedule["startSchedule"] = at(instant())
    profile: dict[str, Any] = {
        "chargingProfileId": draw(st.integers(1, 10_000)),
        "stackLevel": draw(st.integers(0, 3)),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    }
    if kind == "Recurring":
        profile["recurrencyKind"] = draw(st.sampled_from(["Daily", "Weekly"]))
    if purpose == "TxProfile":
        transaction = draw(st.sampled_from([None, TX_ID, OTHER_TX_ID]))
        if transaction is not None:
            profile["transactionId"] = transaction
    bounds = sorted(instant() for _ in range(2))
    if draw(st.booleans()):
        profile["validFrom"] = at(bounds[0])
    if draw(st.booleans()) and bounds[1] > bounds[0]:
        profile["validTo"] = at(bounds[1])
    return {"connectorId": connector_id, "csChargingProfiles": profile}


def installed_sets(grid: int, span: int, kinds: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Profile sets as a charge point can hold them: one per connector, purpose, stack level."""
    return st.lists(
        profiles(grid, span, kinds),
        max_size=6,
        unique_by=lambda item: (
            item["connectorId"],
            item["csChargingProfiles"]["chargingProfilePurpose"],
            item["csChargingProfiles"]["stackLevel"],
        ),
    )


def check_against_reference(
    items: list[dict[str, Any]],
    *,
    grid: int,
    points: int,
    connector_id: int,
    transaction: tuple[int, int] | None,
    unit: str | None,
    default_limit: float | None,
) -> None:
    duration = points * grid
    transaction_id = transaction[0] if transaction else None
    transaction_start = WINDOW_START + timedelta(seconds=transaction[1]) if transaction else None
    result = composite_schedule(
        items,
        connector_id,
        start=WINDOW_START,
        duration=duration,
        charging_rate_unit=unit,
        transaction_id=transaction_id,
        transaction_start=transaction_start,
        default_limit=default_limit,
    )
    resolved_unit = unit or expected_unit(items, connector_id, transaction_id)
    assert result["chargingRateUnit"] == resolved_unit
    assert result["duration"] == duration
    assert result["startSchedule"] == format_timestamp(WINDOW_START)
    periods = result["chargingSchedulePeriod"]
    starts = [p["startPeriod"] for p in periods]
    assert starts[0] == 0 and starts == sorted(set(starts)) and starts[-1] < duration
    assert all(start % grid == 0 for start in starts), "a limit changes between grid points"
    for before, after in itertools.pairwise(periods):
        assert (before["limit"], before.get("numberPhases")) != (
            after["limit"],
            after.get("numberPhases"),
        ), "equal neighbouring periods are not merged"
    horizon = WINDOW_START + timedelta(seconds=duration + grid)
    unrolled = [unroll(item, transaction_start or WINDOW_START, horizon) for item in items]
    for point in range(points):
        offset = point * grid
        moment = WINDOW_START + timedelta(seconds=offset)
        expected = reference_limit(unrolled, connector_id, transaction_id, moment, resolved_unit)
        if expected is None:
            wanted: tuple[Any, Any] = (default_limit, None)
        else:
            wanted = (float(expected[0]), expected[1])
        assert limit_of_period(result, offset) == wanted, f"at +{offset}s"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=installed_sets(grid=1, span=900, kinds=("Absolute", "Relative")),
    connector_id=st.sampled_from([0, 1, 1, 1]),
    transaction=st.one_of(st.none(), st.tuples(st.just(TX_ID), st.integers(-1800, 0))),
    unit=st.sampled_from([None, "A", "W"]),
    default_limit=st.sampled_from([None, 32.0]),
)
def test_every_second_matches_the_reference(
    items: list[dict[str, Any]],
    connector_id: int,
    transaction: tuple[int, int] | None,
    unit: str | None,
    default_limit: float | None,
) -> None:
    check_against_reference(
        items,
        grid=1,
        points=1800,
        connector_id=connector_id,
        transaction=transaction,
        unit=unit,
        default_limit=default_limit,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    items=installed_sets(grid=900, span=4 * 96, kinds=("Absolute", "Relative", "Recurring")),
    transaction=st.one_of(st.none(), st.tuples(st.just(TX_ID), st.integers(-96, 0))),
    unit=st.sampled_from([None, "A", "W"]),
)
def test_recurring_schedules_match_the_reference(
    items: list[dict[str, Any]], transaction: tuple[int, int] | None, unit: str | None
) -> None:
    """Over nine days at a 15-minute grid: Daily and Weekly recurrences, several cycles."""
    check_against_reference(
        items,
        grid=900,
        points=9 * 96,
        connector_id=1,
        transaction=(transaction[0], transaction[1] * 900) if transaction else None,
        unit=unit,
        default_limit=None,
    )


# -- The spec's own examples and the rules one at a time -----------------------------------


def profile(
    purpose: str,
    periods: list[tuple[int, float]],
    *,
    connector_id: int = 1,
    stack_level: int = 0,
    kind: str = "Absolute",
    unit: str = "A",
    start: str | None = "2026-03-02T00:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": s, "limit": limit} for s, limit in periods],
    }
    if start is not None and kind != "Relative":
        schedule["startSchedule"] = start
    schedule.update(extra.pop("schedule", {}))
    return {
        "connectorId": connector_id,
        "csChargingProfiles": {
            "chargingProfileId": extra.pop("profile_id", 1),
            "stackLevel": stack_level,
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind,
            "chargingSchedule": schedule,
            **extra,
        },
    }


def periods_of(result: dict[str, Any]) -> list[tuple[int, Any]]:
    return [(p["startPeriod"], p["limit"]) for p in result["chargingSchedulePeriod"]]


def test_the_daily_example_of_section_3_13_7() -> None:
    """6 kW between 08:00 and 20:00, 11 kW otherwise, every day."""
    daily = profile(
        "TxDefaultProfile",
        [(0, 11000), (28800, 6000), (72000, 11000)],
        connector_id=0,
        kind="Recurring",
        unit="W",
        start="2013-01-01T00:00:00Z",
        recurrencyKind="Daily",
        schedule={"duration": 86400},
    )
    result = composite_schedule(
        [daily], 1, start=datetime(2026, 3, 2, 6, 0, tzinfo=UTC), duration=86400
    )
    assert result["chargingRateUnit"] == "W"
    assert periods_of(result) == [(0, 11000), (2 * 3600, 6000), (14 * 3600, 11000)]


def test_the_highest_stack_level_in_force_wins_and_falls_back_after_its_duration() -> None:
    base = profile("TxDefaultProfile", [(0, 32)], profile_id=1)
    exception = profile(
        "TxDefaultProfile",
        [(0, 10)],
        profile_id=2,
        stack_level=1,
        start="2026-03-02T12:10:00Z",
        schedule={"duration": 600},
    )
    result = composite_schedule([base, exception], 1, start=WINDOW_START, duration=3600)
    assert periods_of(result) == [(0, 32), (600, 10), (1200, 32)]


def test_valid_from_and_valid_to_bound_a_profile() -> None:
    bounded = profile(
        "TxDefaultProfile",
        [(0, 8)],
        stack_level=2,
        validFrom="2026-03-02T12:05:00Z",
        validTo="2026-03-02T12:15:00Z",
    )
    result = composite_schedule(
        [bounded, profile("TxDefaultProfile", [(0, 16)])], 1, start=WINDOW_START, duration=3600
    )
    assert periods_of(result) == [(0, 16), (300, 8), (900, 16)]


def test_a_tx_profile_overrules_the_default_and_the_maximum_caps_both() -> None:
    items = [
        profile("TxDefaultProfile", [(0, 32)], stack_level=5),
        profile("TxProfile", [(0, 20), (600, 6)], kind="Relative", transactionId=TX_ID),
        profile("ChargePointMaxProfile", [(0, 16)], connector_id=0),
    ]
    started = WINDOW_START - timedelta(seconds=300)
    result = composite_schedule(
        items,
        1,
        start=WINDOW_START,
        duration=3600,
        transaction_id=TX_ID,
        transaction_start=started,
    )
    # The TxProfile is relative to the transaction start: its 6 A begins 300 s in.
    assert periods_of(result) == [(0, 16), (300, 6)]
    without_transaction = composite_schedule(items, 1, start=WINDOW_START, duration=3600)
    assert periods_of(without_transaction) == [(0, 16)]
    another_transaction = composite_schedule(
        items, 1, start=WINDOW_START, duration=3600, transaction_id=OTHER_TX_ID
    )
    assert periods_of(another_transaction) == [(0, 16)]


def test_a_connectors_own_default_replaces_connector_zeros_at_the_same_stack_level() -> None:
    items = [
        profile("TxDefaultProfile", [(0, 10)], connector_id=0, profile_id=1),
        profile("TxDefaultProfile", [(0, 20)], connector_id=1, profile_id=2),
        profile("TxDefaultProfile", [(0, 5)], connector_id=0, profile_id=3, stack_level=1),
    ]
    assert periods_of(composite_schedule(items[:2], 1, start=WINDOW_START, duration=60)) == [
        (0, 20)
    ]
    assert periods_of(composite_schedule(items[:2], 2, start=WINDOW_START, duration=60)) == [
        (0, 10)
    ]
    # Stacking still counts across the two: connector 0's higher level wins.
    assert periods_of(composite_schedule(items, 1, start=WINDOW_START, duration=60)) == [(0, 5)]


def test_connector_zero_is_the_charge_point_maximum() -> None:
    items = [
        profile("ChargePointMaxProfile", [(0, 63)], connector_id=0),
        profile("TxDefaultProfile", [(0, 16)], connector_id=0),
    ]
    assert periods_of(composite_schedule(items, 0, start=WINDOW_START, duration=60)) == [(0, 63)]


def test_units_are_converted_with_230_volts_and_the_periods_phases() -> None:
    items = [
        profile("ChargePointMaxProfile", [(0, 11000)], connector_id=0, unit="W"),
        profile("TxDefaultProfile", [(0, 32)]),
    ]
    result = composite_schedule(items, 1, start=WINDOW_START, duration=60)
    # Mixed units without a requested one: amperes. 11000 W / (230 V x 3) = 15.94 A.
    assert result["chargingRateUnit"] == "A"
    assert periods_of(result) == [(0, 15.9)]
    in_watts = composite_schedule(items, 1, start=WINDOW_START, duration=60, charging_rate_unit="W")
    assert periods_of(in_watts) == [(0, 11000)]
    one_phase = profile("TxDefaultProfile", [(0, 16)])
    one_phase["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0][
        "numberPhases"
    ] = 1
    result = composite_schedule(
        [one_phase], 1, start=WINDOW_START, duration=60, charging_rate_unit="W"
    )
    assert result["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 3680.0, "numberPhases": 1}
    ]


def test_recurrence_beyond_its_period_is_not_executed() -> None:
    too_long = profile(
        "TxDefaultProfile",
        [(0, 10), (90_000, 1)],
        kind="Recurring",
        recurrencyKind="Daily",
        start="2026-03-01T12:00:00Z",
    )
    result = composite_schedule([too_long], 1, start=WINDOW_START, duration=86400)
    assert periods_of(result) == [(0, 10)]


def test_no_profile_leaves_the_limit_open_unless_a_default_is_given() -> None:
    later = profile("TxDefaultProfile", [(0, 16)], start="2026-03-02T12:30:00Z")
    assert periods_of(composite_schedule([later], 1, start=WINDOW_START, duration=3600)) == [
        (0, None),
        (1800, 16),
    ]
    assert periods_of(
        composite_schedule([later], 1, start=WINDOW_START, duration=3600, default_limit=32)
    ) == [(0, 32), (1800, 16)]


def test_a_boundary_between_whole_seconds_takes_effect_at_the_next_one() -> None:
    bounded = profile("TxDefaultProfile", [(0, 8)], validFrom="2026-03-02T12:00:10.400Z")
    assert periods_of(composite_schedule([bounded], 1, start=WINDOW_START, duration=60)) == [
        (0, None),
        (11, 8),
    ]


def test_duration_must_be_positive() -> None:
    with pytest.raises(ValueError, match="duration"):
        composite_schedule([], 1, start=WINDOW_START, duration=0)


def test_an_absolute_schedule_without_start_counts_from_the_start_of_charging() -> None:
    """OCPP 1.6, 7.13: without startSchedule a schedule is relative to the start of charging."""
    unanchored = profile("TxDefaultProfile", [(0, 6), (600, 16)], start=None)
    started = WINDOW_START - timedelta(seconds=300)
    result = composite_schedule(
        [unanchored],
        1,
        start=WINDOW_START,
        duration=3600,
        transaction_id=TX_ID,
        transaction_start=started,
    )
    assert periods_of(result) == [(0, 6), (300, 16)]
