"""Answers to the Local Auth List Management profile (OCPP 1.6, 5.10 and 5.15).

Unlike the other profiles, lacking this one is not a CALLERROR: the spec gives these
messages their own way to say so (version -1, status NotSupported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import UpdateStatus

from ampyre.ocpp.v16.csms_messages.local_list import (
    GetLocalListVersionConf,
    SendLocalListConf,
    SendLocalListReq,
)
from ampyre.ocpp.v16.messages import parse_request
from ampyre.simulator.responders.base import Answer, Responder, confirm

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

PROFILE = "LocalAuthListManagement"


def get_local_list_version(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    if not cp.supports(PROFILE):
        return confirm(GetLocalListVersionConf(-1))
    return confirm(GetLocalListVersionConf(cp.local_list.reported_version))


def send_local_list(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    if not cp.supports(PROFILE):
        return confirm(SendLocalListConf(UpdateStatus.not_supported))
    request = parse_request(payload, SendLocalListReq)
    entries = request.local_authorization_list or []
    if len(entries) > cp.config_int("SendLocalListMaxLength"):
        return confirm(SendLocalListConf(UpdateStatus.failed))
    status = cp.local_list.update(
        request.list_version,
        request.update_type,
        entries,
        max_length=cp.config_int("LocalAuthListMaxLength"),
    )
    return confirm(SendLocalListConf(status))


RESPONDERS: dict[str, Responder] = {
    "GetLocalListVersion": get_local_list_version,
    "SendLocalList": send_local_list,
}
