"""Installed charging profiles (OCPP 1.6, section 3.13) and the composite schedule.

The composite schedule is computed the simple way: the window is cut at every instant
where some profile could change its limit, and at each cut the limit is the minimum of
the charge point's maximum (ChargePointMaxProfile), the transaction's limit (TxProfile,
else TxDefaultProfile of the connector, else of connector 0) and the connector's rating;
within a purpose the highest stack level in force wins. That is enough for a CSMS to see
its profiles reflected, and for the simulated EV to charge at the resulting current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ocpp.v16.enums import ChargingProfilePurposeType

from ampyre.ocpp.v16.timestamps import format_timestamp, parse_timestamp
from ampyre.simulator.meter import MAX_CURRENT, NOMINAL_VOLTAGE, PHASES

RECURRENCE_SECONDS = {"Daily": 86_400, "Weekly": 604_800}

TX_PROFILE = ChargingProfilePurposeType.tx_profile.value


@dataclass(slots=True)
class InstalledProfile:
    connector_id: int
    profile: dict[str, Any]
    installed_at: datetime

    @property
    def profile_id(self) -> int:
        return int(self.profile["chargingProfileId"])

    @property
    def stack_level(self) -> int:
        return int(self.profile["stackLevel"])

    @property
    def purpose(self) -> str:
        return str(self.profile["chargingProfilePurpose"])

    @property
    def transaction_id(self) -> int | None:
        value = self.profile.get("transactionId")
        return None if value is None else int(value)


@dataclass(slots=True)
class TransactionContext:
    """What the limit of a connector depends on besides the profiles themselves."""

    transaction_id: int | None = None
    started_at: datetime | None = None


class ChargingProfileStore:
    def __init__(self) -> None:
        self.profiles: list[InstalledProfile] = []

    def install(self, connector_id: int, profile: dict[str, Any], now: datetime) -> None:
        """Add a profile, replacing one with the same id or the same stack level and purpose
        on the same connector (OCPP 1.6, 5.16.3)."""
        new = InstalledProfile(connector_id, profile, now)
        self.profiles = [
            old
            for old in self.profiles
            if old.profile_id != new.profile_id
            and not (
                old.connector_id == connector_id
                and old.stack_level == new.stack_level
                and old.purpose == new.purpose
            )
        ]
        self.profiles.append(new)

    def would_replace(self, connector_id: int, profile: dict[str, Any]) -> bool:
        return any(
            old.profile_id == profile["chargingProfileId"]
            or (
                old.connector_id == connector_id
                and old.stack_level == profile["stackLevel"]
                and old.purpose == profile["chargingProfilePurpose"]
            )
            for old in self.profiles
        )

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove the matching profiles and say how many there were.

        An id names one profile and the other criteria are then ignored; without one, every
        given criterion must match and an empty request clears everything.
        """

        def matches(installed: InstalledProfile) -> bool:
            if profile_id is not None:
                return installed.profile_id == profile_id
            return (
                (connector_id is None or installed.connector_id == connector_id)
                and (purpose is None or installed.purpose == purpose)
                and (stack_level is None or installed.stack_level == stack_level)
            )

        kept = [installed for installed in self.profiles if not matches(installed)]
        removed = len(self.profiles) - len(kept)
        self.profiles = kept
        return removed

    def end_transaction(self, connector_id: int) -> None:
        """A TxProfile lives only as long as its transaction (OCPP 1.6, 3.13.1)."""
        self.clear(connector_id=connector_id, purpose=TX_PROFILE)

    def limit_at(
        self,
        connector_id: int,
        moment: datetime,
        unit: str,
        transaction: TransactionContext,
        connectors: int,
    ) -> float:
        """The limit in force on a connector at one instant, in `unit` ("A" or "W")."""
        limits = [_rating(connector_id, unit, connectors)]
        relative_origin = transaction.started_at or moment
        top_max = self._top(0, "ChargePointMaxProfile", moment, relative_origin, None)
        if top_max is not None:
            limits.append(top_max.in_unit(unit))
        if connector_id > 0:
            top_tx = None
            if transaction.transaction_id is not None:
                top_tx = self._top(
                    connector_id, TX_PROFILE, moment, relative_origin, transaction.transaction_id
                )
            if top_tx is None:
                top_tx = self._top(
                    connector_id, "TxDefaultProfile", moment, relative_origin, None
                ) or self._top(0, "TxDefaultProfile", moment, relative_origin, None)
            if top_tx is not None:
                limits.append(top_tx.in_unit(unit))
        return min(limits)

    def composite_schedule(
        self,
        connector_id: int,
        start: datetime,
        duration: int,
        unit: str,
        transaction: TransactionContext,
        connectors: int,
    ) -> dict[str, Any]:
        end = start + timedelta(seconds=duration)
        relative_origin = transaction.started_at or start
        offsets = {0}
        for installed in self.profiles:
            for moment in _change_instants(installed, start, end, relative_origin):
                offset = math.ceil((moment - start).total_seconds())
                if 0 < offset < duration:
                    offsets.add(offset)
        periods: list[dict[str, Any]] = []
        for offset in sorted(offsets):
            moment = start + timedelta(seconds=offset)
            limit = round(self.limit_at(connector_id, moment, unit, transaction, connectors), 1)
            if not periods or periods[-1]["limit"] != limit:
                periods.append({"startPeriod": offset, "limit": limit})
        return {
            "duration": duration,
            "startSchedule": format_timestamp(start),
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": periods,
        }

    def _top(
        self,
        connector_id: int,
        purpose: str,
        moment: datetime,
        relative_origin: datetime,
        transaction_id: int | None,
    ) -> _ActivePeriod | None:
        candidates = sorted(
            (
                installed
                for installed in self.profiles
                if installed.connector_id == connector_id
                and installed.purpose == purpose
                and (transaction_id is None or installed.transaction_id in (None, transaction_id))
            ),
            key=lambda installed: installed.stack_level,
            reverse=True,
        )
        for installed in candidates:
            period = _period_at(installed, moment, relative_origin)
            if period is not None:
                return period
        return None


@dataclass(slots=True)
class _ActivePeriod:
    limit: float
    unit: str
    phases: int

    def in_unit(self, unit: str) -> float:
        if unit == self.unit:
            return self.limit
        if unit == "W":
            return self.limit * NOMINAL_VOLTAGE * self.phases
        return self.limit / (NOMINAL_VOLTAGE * self.phases)


def _rating(connector_id: int, unit: str, connectors: int) -> float:
    amps = MAX_CURRENT * (connectors if connector_id == 0 else 1)
    return amps if unit == "A" else amps * NOMINAL_VOLTAGE * PHASES


def _origin(installed: InstalledProfile, relative_origin: datetime) -> datetime:
    profile = installed.profile
    if profile["chargingProfileKind"] == "Relative":
        return relative_origin
    start = profile["chargingSchedule"].get("startSchedule")
    return parse_timestamp(start) if start else installed.installed_at


def _is_valid(installed: InstalledProfile, moment: datetime) -> bool:
    profile = installed.profile
    valid_from = profile.get("validFrom")
    valid_to = profile.get("validTo")
    if valid_from and moment < parse_timestamp(valid_from):
        return False
    return not (valid_to and moment >= parse_timestamp(valid_to))


def _period_at(
    installed: InstalledProfile, moment: datetime, relative_origin: datetime
) -> _ActivePeriod | None:
    if not _is_valid(installed, moment):
        return None
    profile = installed.profile
    schedule = profile["chargingSchedule"]
    offset = (moment - _origin(installed, relative_origin)).total_seconds()
    if profile["chargingProfileKind"] == "Recurring":
        offset %= RECURRENCE_SECONDS.get(profile.get("recurrencyKind", "Daily"), 86_400)
    if offset < 0:
        return None
    duration = schedule.get("duration")
    if duration is not None and offset >= duration:
        return None
    current: dict[str, Any] | None = None
    for period in sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"]):
        if period["startPeriod"] > offset:
            break
        current = period
    if current is None:
        return None
    return _ActivePeriod(
        float(current["limit"]),
        str(schedule["chargingRateUnit"]),
        int(current.get("numberPhases", PHASES)),
    )


def _change_instants(
    installed: InstalledProfile, start: datetime, end: datetime, relative_origin: datetime
) -> list[datetime]:
    profile = installed.profile
    schedule = profile["chargingSchedule"]
    origin = _origin(installed, relative_origin)
    offsets = [float(period["startPeriod"]) for period in schedule["chargingSchedulePeriod"]]
    if schedule.get("duration") is not None:
        offsets.append(float(schedule["duration"]))
    bases = [origin]
    if profile["chargingProfileKind"] == "Recurring":
        length = RECURRENCE_SECONDS.get(profile.get("recurrencyKind", "Daily"), 86_400)
        first = math.floor((start - origin).total_seconds() / length)
        last = math.ceil((end - origin).total_seconds() / length)
        bases = [origin + timedelta(seconds=k * length) for k in range(first, last + 1)]
    instants = [base + timedelta(seconds=offset) for base in bases for offset in offsets]
    for bound in ("validFrom", "validTo"):
        if profile.get(bound):
            instants.append(parse_timestamp(profile[bound]))
    return instants
