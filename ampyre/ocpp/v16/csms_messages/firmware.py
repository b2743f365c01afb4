"""Firmware Management profile (OCPP 1.6, sections 5.9 and 5.19; 6.29/6.30 and 6.59/6.60).

Timestamps stay strings, as in `messages.py`: the services format and parse them.
"""

from __future__ import annotations

from typing import ClassVar

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import Confirmation, Int32

__all__ = [
    "COMMANDS",
    "GetDiagnosticsConf",
    "GetDiagnosticsReq",
    "UpdateFirmwareConf",
    "UpdateFirmwareReq",
]


class GetDiagnosticsReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "GetDiagnostics"

    location: str
    retries: Int32 | None = None
    retry_interval: Int32 | None = None
    start_time: str | None = None
    stop_time: str | None = None


class GetDiagnosticsConf(Confirmation, frozen=True):
    #: The file the charge point will upload; none means it has nothing to send (5.9).
    file_name: str | None = None


class UpdateFirmwareReq(CsmsRequest, frozen=True):
    action: ClassVar[str] = "UpdateFirmware"

    location: str
    retrieve_date: str
    retries: Int32 | None = None
    retry_interval: Int32 | None = None


class UpdateFirmwareConf(Confirmation, frozen=True):
    """Empty: any CALLRESULT means the charge point took the request."""


COMMANDS = {
    "GetDiagnostics": (GetDiagnosticsReq, GetDiagnosticsConf),
    "UpdateFirmware": (UpdateFirmwareReq, UpdateFirmwareConf),
}
