"""The ChargingProfile rules beyond the schema (OCPP 1.6, 3.13, 5.16, 7.8-7.14), no server."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ampyre.services.errors import InvalidRequest
from ampyre.services.smart_charging.validation import (
    check_profile_shape,
    check_remote_start_profile,
    check_set_charging_profile,
)

_PROFILE: dict[str, Any] = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "startSchedule": "2026-01-01T00:00:00Z",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
    },
}


def profile(**changes: Any) -> dict[str, Any]:
    made = copy.deepcopy(_PROFILE)
    schedule = changes.pop("schedule", {})
    made.update(changes)
    made["chargingSchedule"].update(schedule)
    return {key: value for key, value in made.items() if value is not None}


def refused(connector_id: int, made: dict[str, Any], active: int | None = None) -> str:
    with pytest.raises(InvalidRequest) as caught:
        check_set_charging_profile(connector_id, made, active_transaction_id=active)
    return caught.value.detail


def test_good_profiles_pass() -> None:
    check_set_charging_profile(1, profile(), active_transaction_id=None)
    check_set_charging_profile(
        0, profile(chargingProfilePurpose="ChargePointMaxProfile"), active_transaction_id=None
    )
    check_set_charging_profile(
        2, profile(chargingProfilePurpose="TxProfile", transactionId=7), active_transaction_id=7
    )
    check_set_charging_profile(
        1,
        profile(chargingProfileKind="Recurring", recurrencyKind="Daily"),
        active_transaction_id=None,
    )
    relative = profile(chargingProfileKind="Relative", schedule={"startSchedule": None})
    relative["chargingSchedule"].pop("startSchedule")
    check_set_charging_profile(1, relative, active_transaction_id=None)


@pytest.mark.parametrize(
    ("connector_id", "made", "active", "field"),
    [
        (-1, profile(), None, "connectorId"),
        (1, profile(chargingProfilePurpose="ChargePointMaxProfile"), None, "Purpose"),
        (0, profile(chargingProfilePurpose="TxProfile"), 5, "Purpose"),
        (1, profile(chargingProfilePurpose="TxProfile"), None, "active transaction"),
        (1, profile(chargingProfilePurpose="TxProfile", transactionId=4), 5, "transactionId"),
        (1, profile(transactionId=4), None, "transactionId"),
        (1, profile(stackLevel=-1), None, "stackLevel"),
        (1, profile(chargingProfileKind="Recurring"), None, "recurrencyKind"),
        (1, profile(recurrencyKind="Daily"), None, "recurrencyKind"),
        (
            1,
            profile(
                chargingProfileKind="Recurring",
                recurrencyKind="Weekly",
                schedule={"startSchedule": ""},
            ),
            None,
            "startSchedule",
        ),
        (1, profile(chargingProfileKind="Relative"), None, "startSchedule"),
        (
            1,
            profile(validFrom="2026-02-01T00:00:00Z", validTo="2026-01-01T00:00:00Z"),
            None,
            "validFrom",
        ),
        (1, profile(schedule={"duration": 0}), None, "duration"),
        (1, profile(schedule={"minChargingRate": -0.1}), None, "minChargingRate"),
        (1, profile(schedule={"chargingSchedulePeriod": []}), None, "chargingSchedulePeriod"),
        (
            1,
            profile(schedule={"chargingSchedulePeriod": [{"startPeriod": 5, "limit": 1}]}),
            None,
            "startPeriod",
        ),
        (
            1,
            profile(schedule={"chargingSchedulePeriod": [{"startPeriod": 0, "limit": -1}]}),
            None,
            "limit",
        ),
        (
            1,
            profile(
                schedule={
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1, "numberPhases": 4}]
                }
            ),
            None,
            "numberPhases",
        ),
    ],
)
def test_each_rule_names_its_field(
    connector_id: int, made: dict[str, Any], active: int | None, field: str
) -> None:
    detail = refused(connector_id, made, active)
    assert field in detail
    assert "OCPP 1.6" in detail or field == "connectorId"


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=8))
def test_periods_must_start_at_0_and_ascend(starts: list[int]) -> None:
    """Reference model: accepted exactly when the start periods are 0, then strictly rising."""
    periods = [{"startPeriod": start, "limit": 8} for start in starts]
    expected = starts[0] == 0 and all(a < b for a, b in itertools.pairwise(starts))
    made = profile(schedule={"chargingSchedulePeriod": periods})
    try:
        check_profile_shape("csChargingProfiles", made)
    except InvalidRequest:
        accepted = False
    else:
        accepted = True
    assert accepted == expected


def test_a_remote_start_profile_is_a_tx_profile_without_a_transaction() -> None:
    check_remote_start_profile(profile(chargingProfilePurpose="TxProfile"))
    for made in (
        profile(),
        profile(chargingProfilePurpose="TxProfile", transactionId=1),
        profile(chargingProfilePurpose="TxProfile", stackLevel=-2),
    ):
        with pytest.raises(InvalidRequest) as caught:
            check_remote_start_profile(made)
        assert caught.value.detail.startswith("chargingProfile.")
