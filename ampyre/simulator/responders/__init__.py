"""How the simulated charge point answers each CSMS-initiated OCPP 1.6 message.

One module per feature profile. An action of a profile missing from the charge point's
SupportedFeatureProfiles is answered with a NotSupported CALLERROR, except for the local
list messages, which have their own way to say it; an action not listed here gets
NotImplemented.
"""

from __future__ import annotations

from ampyre.simulator.responders import (
    certificates,
    core,
    firmware,
    local_auth_list,
    remote_trigger,
    reservation,
    security,
    smart_charging,
)
from ampyre.simulator.responders.base import Responder

RESPONDERS: dict[str, Responder] = {
    **certificates.RESPONDERS,
    **core.RESPONDERS,
    **firmware.RESPONDERS,
    **local_auth_list.RESPONDERS,
    **remote_trigger.RESPONDERS,
    **reservation.RESPONDERS,
    **security.RESPONDERS,
    **smart_charging.RESPONDERS,
}

FEATURE_PROFILE_OF: dict[str, str] = {
    **dict.fromkeys(firmware.RESPONDERS, "FirmwareManagement"),
    **dict.fromkeys(remote_trigger.RESPONDERS, "RemoteTrigger"),
    **dict.fromkeys(reservation.RESPONDERS, "Reservation"),
    **dict.fromkeys(smart_charging.RESPONDERS, "SmartCharging"),
}
