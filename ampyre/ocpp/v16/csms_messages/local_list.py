"""Local Auth List Management profile (OCPP 1.6, sections 5.10 and 5.15, 6.25/6.26 and
6.43/6.44).

The list's entries (AuthorizationData, 7.2) stay JSON objects: the CSMS stores them
verbatim as the list the charge point holds, and compares them as they were sent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ocpp.v16.enums import UpdateStatus, UpdateType

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, Int32

__all__ = [
    "COMMANDS",
    "GetLocalListVersionConf",
    "GetLocalListVersionReq",
    "SendLocalListConf",
    "SendLocalListReq",
]


class SendLocalListReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "SendLocalList"

    list_version: Int32
    update_type: UpdateType
    local_authorization_list: list[dict[str, Any]] | None = None


class SendLocalListConf(Confirmation, frozen=True):
    status: UpdateStatus


class GetLocalListVersionReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "GetLocalListVersion"


class GetLocalListVersionConf(Confirmation, frozen=True):
    """-1: the charge point has no local list support; 0: it holds no list (5.10)."""

    list_version: Int32


COMMANDS = {
    "GetLocalListVersion": (GetLocalListVersionReq, GetLocalListVersionConf),
    "SendLocalList": (SendLocalListReq, SendLocalListConf),
}
