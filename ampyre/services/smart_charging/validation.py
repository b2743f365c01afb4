"""The rules a ChargingProfile must keep beyond its JSON schema, checked before it is sent.

The schema lets through profiles a charge point must refuse or cannot execute (a TxProfile
without a transaction, periods out of order, a recurrence without its kind). Each rule
raises InvalidRequest whose detail names the field, the rule and its section of OCPP 1.6
(edition 2, errata v4), so an operator learns what to change.

Pure: what the CSMS knows about the connector (its active transaction) is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpp.v16.enums import ChargingProfilePurposeType

from ampyre.services.clock import parse_timestamp
from ampyre.services.errors import InvalidRequest

CHARGE_POINT_MAX = "ChargePointMaxProfile"
TX_PROFILE = ChargingProfilePurposeType.tx_profile.value


def check_set_charging_profile(
    connector_id: int, profile: Mapping[str, Any], *, active_transaction_id: int | None
) -> None:
    """Check a SetChargingProfile.req's profile for `connector_id`.

    `active_transaction_id` is the transaction the CSMS records as running on the
    connector, None when there is none.
    """
    field = "csChargingProfiles"
    if connector_id < 0:
        raise InvalidRequest("connectorId: must be 0 (the charge point) or a connector (> 0)")
    purpose = profile["chargingProfilePurpose"]
    if purpose == CHARGE_POINT_MAX and connector_id != 0:
        raise InvalidRequest(
            f"{field}.chargingProfilePurpose: a ChargePointMaxProfile can only be set on "
            f"connectorId 0, not {connector_id} (OCPP 1.6, 3.13.1)"
        )
    if purpose == TX_PROFILE:
        _check_tx_profile_placement(field, connector_id, profile, active_transaction_id)
    elif profile.get("transactionId") is not None:
        raise InvalidRequest(
            f"{field}.transactionId: only a TxProfile names a transaction, not a {purpose} "
            "(OCPP 1.6, 7.8)"
        )
    check_profile_shape(field, profile)


def check_remote_start_profile(profile: Mapping[str, Any]) -> None:
    """Check the chargingProfile of a RemoteStartTransaction.req."""
    field = "chargingProfile"
    if profile["chargingProfilePurpose"] != TX_PROFILE:
        raise InvalidRequest(
            f"{field}.chargingProfilePurpose: the profile of a RemoteStartTransaction must be "
            f"a TxProfile, not {profile['chargingProfilePurpose']} (OCPP 1.6, 5.11 and 5.16.2)"
        )
    if profile.get("transactionId") is not None:
        raise InvalidRequest(
            f"{field}.transactionId: must not be set in a RemoteStartTransaction, the "
            "transaction does not exist yet (OCPP 1.6, 5.16.2, errata v4 3.41)"
        )
    check_profile_shape(field, profile)


def check_profile_shape(field: str, profile: Mapping[str, Any]) -> None:
    """The rules of a profile on its own: stack level, kind, validity and schedule."""
    if profile["stackLevel"] < 0:
        raise InvalidRequest(
            f"{field}.stackLevel: must be 0 or more, not {profile['stackLevel']} (OCPP 1.6, 7.8)"
        )
    _check_kind(field, profile)
    valid_from = profile.get("validFrom")
    valid_to = profile.get("validTo")
    if valid_from and valid_to and parse_timestamp(valid_from) >= parse_timestamp(valid_to):
        raise InvalidRequest(
            f"{field}.validFrom: must be before validTo ({valid_from} is not before "
            f"{valid_to}) (OCPP 1.6, 7.8)"
        )
    _check_schedule(f"{field}.chargingSchedule", profile["chargingSchedule"])


def _check_tx_profile_placement(
    field: str,
    connector_id: int,
    profile: Mapping[str, Any],
    active_transaction_id: int | None,
) -> None:
    if connector_id == 0:
        raise InvalidRequest(
            f"{field}.chargingProfilePurpose: a TxProfile can only be set on a connector "
            "(connectorId > 0), not on connectorId 0 (OCPP 1.6, 3.13.1)"
        )
    if active_transaction_id is None:
        raise InvalidRequest(
            f"{field}.chargingProfilePurpose: a TxProfile needs an active transaction on "
            f"connector {connector_id}, and the CSMS records none (OCPP 1.6, 3.13.1 and 5.16.4)"
        )
    named = profile.get("transactionId")
    if named is not None and named != active_transaction_id:
        raise InvalidRequest(
            f"{field}.transactionId: {named} is not the active transaction on connector "
            f"{connector_id}, which is {active_transaction_id} (OCPP 1.6, 5.16)"
        )


def _check_kind(field: str, profile: Mapping[str, Any]) -> None:
    kind = profile["chargingProfileKind"]
    start_schedule = profile["chargingSchedule"].get("startSchedule")
    if kind == "Recurring" and not profile.get("recurrencyKind"):
        raise InvalidRequest(
            f"{field}.recurrencyKind: a Recurring profile needs recurrencyKind Daily or Weekly "
            "(OCPP 1.6, 7.8)"
        )
    if kind != "Recurring" and profile.get("recurrencyKind"):
        raise InvalidRequest(
            f"{field}.recurrencyKind: only a Recurring profile has one, not a {kind} profile "
            "(OCPP 1.6 errata v4, 3.56)"
        )
    # An Absolute profile may leave startSchedule out: 7.13 says the schedule then counts
    # from the start of charging. A recurrence has no such fallback: 7.9 has it restart
    # "periodically", and without startSchedule nothing says from which instant (OCPP
    # 2.0.1, K01.FR.40 later wrote this rule down).
    if kind == "Recurring" and not start_schedule:
        raise InvalidRequest(
            f"{field}.chargingSchedule.startSchedule: a Recurring profile needs "
            "startSchedule, the instant it repeats from (OCPP 1.6, 7.9 and 7.13)"
        )
    if kind == "Relative" and start_schedule:
        # 7.13: a schedule without startSchedule is the one relative to the start of
        # charging; a Relative profile with one contradicts itself.
        raise InvalidRequest(
            f"{field}.chargingSchedule.startSchedule: a Relative profile starts with the "
            "transaction and must not have startSchedule (OCPP 1.6, 7.9 and 7.13)"
        )


def _check_schedule(field: str, schedule: Mapping[str, Any]) -> None:
    duration = schedule.get("duration")
    if duration is not None and duration <= 0:
        raise InvalidRequest(
            f"{field}.duration: must be a positive number of seconds, not {duration} "
            "(OCPP 1.6, 7.13)"
        )
    min_rate = schedule.get("minChargingRate")
    if min_rate is not None and min_rate < 0:
        raise InvalidRequest(f"{field}.minChargingRate: must not be negative (OCPP 1.6, 7.13)")
    periods = schedule["chargingSchedulePeriod"]
    if not periods:
        raise InvalidRequest(
            f"{field}.chargingSchedulePeriod: needs at least one period (OCPP 1.6, 7.13)"
        )
    if periods[0]["startPeriod"] != 0:
        raise InvalidRequest(
            f"{field}.chargingSchedulePeriod[0].startPeriod: the first period must start at "
            f"0, not {periods[0]['startPeriod']} (OCPP 1.6, 7.13; errata v4 3.45)"
        )
    for index, period in enumerate(periods):
        where = f"{field}.chargingSchedulePeriod[{index}]"
        if index and period["startPeriod"] <= periods[index - 1]["startPeriod"]:
            raise InvalidRequest(
                f"{where}.startPeriod: periods must be in ascending order of startPeriod "
                f"({period['startPeriod']} does not come after "
                f"{periods[index - 1]['startPeriod']}) (OCPP 1.6, 7.14)"
            )
        if period["limit"] < 0:
            raise InvalidRequest(
                f"{where}.limit: must not be negative, not {period['limit']} (OCPP 1.6, 7.14)"
            )
        phases = period.get("numberPhases")
        if phases is not None and not 1 <= phases <= 3:
            raise InvalidRequest(
                f"{where}.numberPhases: must be 1, 2 or 3, not {phases} (OCPP 1.6, 7.14)"
            )
