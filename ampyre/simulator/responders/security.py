"""Answers to the security extension (OCPP 1.6 security whitepaper): GetLog (N01) and
the SecurityProfile upgrade (A05). SignedUpdateFirmware is with the firmware responders.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ocpp.v16.enums import ConfigurationStatus, Log, LogStatus, UploadLogStatus

from ampyre.ocpp.v16.csms_messages.security import GetLogConf, GetLogReq
from ampyre.ocpp.v16.messages import parse_request, unparse
from ampyre.ocpp.v16.timestamps import timestamp_now
from ampyre.simulator import transfer
from ampyre.simulator.responders.base import Answer, Responder
from ampyre.simulator.responders.firmware import (
    diagnostics_report,
    retry_policy,
    upload_file_name,
    with_retries,
)

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

#: What a security log holds: the received messages that change the charge point's security.
SECURITY_ACTIONS = frozenset(
    {"ChangeConfiguration", "SignedUpdateFirmware", "InstallCertificate", "DeleteCertificate"}
)


def get_log(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, GetLogReq)
    log_type = request.log_type.value
    request_id = request.request_id
    log = request.log
    location = log.remote_location
    attempts = retry_policy(request)
    file_name = upload_file_name(cp, log_type)
    if request.log_type is Log.security_log:
        content = _security_log(cp)
    else:
        content = diagnostics_report(cp, log.oldest_timestamp, log.latest_timestamp)

    async def upload_log() -> None:
        await cp.send_log_status(UploadLogStatus.uploading, request_id)
        target = await with_retries(
            cp, "log upload", *attempts, lambda: transfer.upload(location, file_name, content)
        )
        if target is None:
            await cp.send_log_status(UploadLogStatus.upload_failure, request_id)
            return
        cp.emit("info", f"{log_type} uploaded to {target}")
        await asyncio.sleep(cp.follow_up_delay)
        await cp.send_log_status(UploadLogStatus.uploaded, request_id)

    return Answer(unparse(GetLogConf(status=LogStatus.accepted, filename=file_name)), upload_log)


def _security_log(cp: SimulatedChargePoint) -> bytes:
    lines = [
        f"Ampyre simulator security log for {cp.charge_point_id}",
        f"generated: {timestamp_now()}",
        f"security profile: {cp.config_value('SecurityProfile')}",
    ]
    # A01.FR.12: the AuthorizationKey itself never appears in a log.
    lines.extend(
        f"received {action} {payload.get('key', '')}".rstrip()
        for action, payload in cp.received
        if action in SECURITY_ACTIONS
    )
    return ("\n".join(lines) + "\n").encode()


def change_security_profile(cp: SimulatedChargePoint, value: str) -> Answer:
    """A05: only upward, only with the prerequisites; then reconnect with the new profile."""
    current = cp.config_int("SecurityProfile")
    new = int(value)
    key = cp.config_value("AuthorizationKey")
    if (
        not current < new <= 3  # A05.FR.01
        or (new in (1, 2) and not key)  # A05.FR.02
        or (new >= 2 and cp.ssl_context is None)  # A05.FR.03/04: no TLS set up
    ):
        return Answer({"status": ConfigurationStatus.rejected.value})
    cp.configuration["SecurityProfile"]["value"] = str(new)

    async def reconnect() -> None:
        await asyncio.sleep(cp.follow_up_delay)
        if new in (1, 2):
            cp.password = key
        cp.emit("info", f"security profile {current} -> {new}: reconnecting")
        await cp.reconnect()

    return Answer({"status": ConfigurationStatus.accepted.value}, reconnect)


RESPONDERS: dict[str, Responder] = {
    "GetLog": get_log,
}
