"""Smart Charging profile (OCPP 1.6, sections 5.5, 5.7 and 5.16, 6.13-6.14, 6.21-6.22 and
6.41-6.42).

A charging profile (7.8) and a composite schedule (7.13) stay JSON objects: the CSMS checks
a profile against the Smart Charging rules, stores it verbatim and hands a schedule to the
operator as the charge point reported it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ocpp.v16.enums import (
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, ConnectorId, Int32

__all__ = [
    "COMMANDS",
    "ClearChargingProfileConf",
    "ClearChargingProfileReq",
    "GetCompositeScheduleConf",
    "GetCompositeScheduleReq",
    "SetChargingProfileConf",
    "SetChargingProfileReq",
]


class SetChargingProfileReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "SetChargingProfile"

    connector_id: ConnectorId
    cs_charging_profiles: dict[str, Any]


class SetChargingProfileConf(Confirmation, frozen=True):
    status: ChargingProfileStatus


class ClearChargingProfileReq(CsmsRequest, frozen=True):
    """6.13: every field narrows what is cleared; none at all clears every profile."""

    action: ClassVar[str] = "ClearChargingProfile"

    id: Int32 | None = None
    connector_id: ConnectorId | None = None
    charging_profile_purpose: ChargingProfilePurposeType | None = None
    stack_level: Int32 | None = None


class ClearChargingProfileConf(Confirmation, frozen=True):
    status: ClearChargingProfileStatus


class GetCompositeScheduleReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "GetCompositeSchedule"

    connector_id: ConnectorId
    duration: Int32
    charging_rate_unit: ChargingRateUnitType | None = None


class GetCompositeScheduleConf(Confirmation, frozen=True):
    status: GetCompositeScheduleStatus
    connector_id: ConnectorId | None = None
    schedule_start: str | None = None
    charging_schedule: dict[str, Any] | None = None


COMMANDS = {
    "ClearChargingProfile": (ClearChargingProfileReq, ClearChargingProfileConf),
    "GetCompositeSchedule": (GetCompositeScheduleReq, GetCompositeScheduleConf),
    "SetChargingProfile": (SetChargingProfileReq, SetChargingProfileConf),
}
