"""Answers to the Smart Charging profile (OCPP 1.6, 5.5, 5.7 and 5.16)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import (
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)

from ampyre.ocpp.v16.csms_messages.smart_charging import (
    ClearChargingProfileConf,
    ClearChargingProfileReq,
    GetCompositeScheduleConf,
    GetCompositeScheduleReq,
    SetChargingProfileConf,
    SetChargingProfileReq,
)
from ampyre.ocpp.v16.messages import parse_request
from ampyre.ocpp.v16.timestamps import now
from ampyre.simulator.configuration import csl
from ampyre.simulator.responders.base import Answer, Responder, confirm

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

_UNIT_NAMES = {"A": "Current", "W": "Power"}


def set_charging_profile(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, SetChargingProfileReq)
    connector_id = request.connector_id
    profile = request.cs_charging_profiles
    if connector_id not in cp.connectors or not _acceptable(cp, connector_id, profile):
        return confirm(SetChargingProfileConf(ChargingProfileStatus.rejected))
    cp.charging_profiles.install(connector_id, profile, now())
    _apply_limits(cp)
    return confirm(SetChargingProfileConf(ChargingProfileStatus.accepted))


def _acceptable(cp: SimulatedChargePoint, connector_id: int, profile: dict[str, Any]) -> bool:
    purpose = profile["chargingProfilePurpose"]
    if purpose == ChargingProfilePurposeType.charge_point_max_profile and connector_id != 0:
        return False
    if purpose == ChargingProfilePurposeType.tx_profile:
        # OCPP 1.6, 5.16.4: no TxProfile without a running transaction on the connector.
        transaction = cp.connectors[connector_id].transaction if connector_id > 0 else None
        if transaction is None:
            return False
        wanted = profile.get("transactionId")
        if wanted is not None and wanted != transaction.transaction_id:
            return False
    schedule = profile["chargingSchedule"]
    allowed_units = csl(cp.config_value("ChargingScheduleAllowedChargingRateUnit"))
    if _UNIT_NAMES.get(schedule["chargingRateUnit"]) not in allowed_units:
        return False
    if profile["stackLevel"] > cp.config_int("ChargeProfileMaxStackLevel"):
        return False
    if len(schedule["chargingSchedulePeriod"]) > cp.config_int("ChargingScheduleMaxPeriods"):
        return False
    installed = len(cp.charging_profiles.profiles)
    return cp.charging_profiles.would_replace(connector_id, profile) or installed < (
        cp.config_int("MaxChargingProfilesInstalled")
    )


def clear_charging_profile(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, ClearChargingProfileReq)
    purpose = request.charging_profile_purpose
    removed = cp.charging_profiles.clear(
        profile_id=request.id,
        connector_id=request.connector_id,
        purpose=purpose.value if purpose is not None else None,
        stack_level=request.stack_level,
    )
    _apply_limits(cp)
    status = ClearChargingProfileStatus.accepted if removed else ClearChargingProfileStatus.unknown
    return confirm(ClearChargingProfileConf(status))


def get_composite_schedule(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    """Without any applicable profile the schedule is the connector's rating."""
    request = parse_request(payload, GetCompositeScheduleReq)
    connector_id = request.connector_id
    if connector_id not in cp.connectors:
        return confirm(GetCompositeScheduleConf(GetCompositeScheduleStatus.rejected))
    unit = request.charging_rate_unit or ChargingRateUnitType.amps
    start = now().replace(microsecond=0)
    schedule = cp.charging_profiles.composite_schedule(
        connector_id,
        start,
        request.duration,
        unit.value,
        cp.transaction_context(cp.connectors[connector_id]),
        cp.connector_count,
    )
    return confirm(
        GetCompositeScheduleConf(
            GetCompositeScheduleStatus.accepted,
            connector_id=connector_id,
            schedule_start=schedule["startSchedule"],
            charging_schedule=schedule,
        )
    )


def _apply_limits(cp: SimulatedChargePoint) -> None:
    for connector in cp.connectors.values():
        cp.apply_charging_limit(connector)


RESPONDERS: dict[str, Responder] = {
    "ClearChargingProfile": clear_charging_profile,
    "GetCompositeSchedule": get_composite_schedule,
    "SetChargingProfile": set_charging_profile,
}
