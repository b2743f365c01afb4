"""Answers to the Local Auth List Management profile (OCPP 1.6, 5.10 and 5.15).

Unlike the other profiles, lacking this one is not a CALLERROR: the spec gives these
messages their own way to say so (version -1, status NotSupported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampyre.simulator.responders.base import Answer, Responder

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

PROFILE = "LocalAuthListManagement"


def get_local_list_version(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    if not cp.supports(PROFILE):
        return Answer({"listVersion": -1})
    return Answer({"listVersion": cp.local_list.reported_version})


def send_local_list(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    if not cp.supports(PROFILE):
        return Answer({"status": "NotSupported"})
    entries: list[dict[str, Any]] = payload.get("localAuthorizationList") or []
    if len(entries) > cp.config_int("SendLocalListMaxLength"):
        return Answer({"status": "Failed"})
    status = cp.local_list.update(
        payload["listVersion"],
        payload["updateType"],
        entries,
        max_length=cp.config_int("LocalAuthListMaxLength"),
    )
    return Answer({"status": status})


RESPONDERS: dict[str, Responder] = {
    "GetLocalListVersion": get_local_list_version,
    "SendLocalList": send_local_list,
}
