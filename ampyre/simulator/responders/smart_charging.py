"""Answers to the Smart Charging profile (OCPP 1.6, 5.5, 5.7 and 5.16)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampyre.ocpp.v16.timestamps import now
from ampyre.simulator.configuration import csl
from ampyre.simulator.responders.base import Answer, Responder

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

_UNIT_NAMES = {"A": "Current", "W": "Power"}


def set_charging_profile(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    connector_id = payload["connectorId"]
    profile = payload["csChargingProfiles"]
    if connector_id not in cp.connectors or not _acceptable(cp, connector_id, profile):
        return Answer({"status": "Rejected"})
    cp.charging_profiles.install(connector_id, profile, now())
    _apply_limits(cp)
    return Answer({"status": "Accepted"})


def _acceptable(cp: SimulatedChargePoint, connector_id: int, profile: dict[str, Any]) -> bool:
    purpose = profile["chargingProfilePurpose"]
    if purpose == "ChargePointMaxProfile" and connector_id != 0:
        return False
    if purpose == "TxProfile":
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
    removed = cp.charging_profiles.clear(
        profile_id=payload.get("id"),
        connector_id=payload.get("connectorId"),
        purpose=payload.get("chargingProfilePurpose"),
        stack_level=payload.get("stackLevel"),
    )
    _apply_limits(cp)
    return Answer({"status": "Accepted" if removed else "Unknown"})


def get_composite_schedule(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    """Without any applicable profile the schedule is the connector's rating."""
    connector_id = payload["connectorId"]
    if connector_id not in cp.connectors:
        return Answer({"status": "Rejected"})
    unit = payload.get("chargingRateUnit", "A")
    start = now().replace(microsecond=0)
    schedule = cp.charging_profiles.composite_schedule(
        connector_id,
        start,
        payload["duration"],
        unit,
        cp.transaction_context(cp.connectors[connector_id]),
        cp.connector_count,
    )
    return Answer(
        {
            "status": "Accepted",
            "connectorId": connector_id,
            "scheduleStart": schedule["startSchedule"],
            "chargingSchedule": schedule,
        }
    )


def _apply_limits(cp: SimulatedChargePoint) -> None:
    for connector in cp.connectors.values():
        cp.apply_charging_limit(connector)


RESPONDERS: dict[str, Responder] = {
    "ClearChargingProfile": clear_charging_profile,
    "GetCompositeSchedule": get_composite_schedule,
    "SetChargingProfile": set_charging_profile,
}
