"""Answers to the Firmware Management profile (OCPP 1.6, 5.9 and 5.19) and the security
extension's SignedUpdateFirmware (whitepaper L01).

The files really travel (see `transfer`), and the progress notifications follow the
spec's sequence diagrams, paced by the charge point's `follow_up_delay`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from ocpp.v16.enums import DiagnosticsStatus, FirmwareStatus, UpdateFirmwareStatus

from ampyre.ocpp.v16 import firmware_signature
from ampyre.ocpp.v16.csms_messages.firmware import (
    GetDiagnosticsConf,
    GetDiagnosticsReq,
    UpdateFirmwareConf,
    UpdateFirmwareReq,
)
from ampyre.ocpp.v16.csms_messages.security import (
    GetLogReq,
    SignedUpdateFirmwareConf,
    SignedUpdateFirmwareReq,
)
from ampyre.ocpp.v16.messages import parse_request, unparse
from ampyre.ocpp.v16.timestamps import now, parse_timestamp, timestamp_now
from ampyre.simulator import transfer
from ampyre.simulator.configuration import WRITE_ONLY_KEYS
from ampyre.simulator.responders.base import Answer, Responder

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

T = TypeVar("T")
#: The requests of a transfer with the charge point's retry policy.
Retried = GetDiagnosticsReq | UpdateFirmwareReq | GetLogReq | SignedUpdateFirmwareReq

#: How long to wait between attempts when the CSMS gives retries but no retryInterval.
DEFAULT_RETRY_INTERVAL = 5.0


def retry_policy(request: Retried) -> tuple[int, float]:
    """(attempts, seconds between them) of a transfer the request asks for."""
    retries = request.retries
    interval = request.retry_interval
    return (
        max(1, retries if retries is not None else 1),
        float(interval) if interval is not None else DEFAULT_RETRY_INTERVAL,
    )


async def with_retries(
    cp: SimulatedChargePoint,
    what: str,
    attempts: int,
    retry_interval: float,
    attempt_once: Callable[[], Awaitable[T]],
) -> T | None:
    """Try a download or upload up to `attempts` times; None when every attempt failed."""
    for attempt in range(1, attempts + 1):
        try:
            return await attempt_once()
        except transfer.TransferError as exc:
            cp.emit("warning", f"{what} attempt {attempt}/{attempts}: {exc}")
            if attempt < attempts:
                await asyncio.sleep(retry_interval)
    return None


def update_firmware(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, UpdateFirmwareReq)
    return Answer(
        unparse(UpdateFirmwareConf()),
        _firmware_update(
            cp,
            request.location,
            parse_timestamp(request.retrieve_date),
            retry_policy(request),
            cp.send_firmware_status,
        ),
    )


def signed_update_firmware(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    """Security whitepaper L01: download, verify the signature with the signing
    certificate's key, install only a verified image."""
    request = parse_request(payload, SignedUpdateFirmwareReq)
    firmware = request.firmware
    certificate = firmware.signing_certificate
    try:
        firmware_signature.load_certificate(certificate)
    except firmware_signature.SignatureFormatError:
        return Answer(
            unparse(SignedUpdateFirmwareConf(status=UpdateFirmwareStatus.invalid_certificate))
        )

    async def report(status: FirmwareStatus) -> None:
        await cp.send_signed_firmware_status(status, request.request_id)

    def verified(content: bytes) -> bool:
        try:
            return firmware_signature.verify(certificate, firmware.signature, content)
        except firmware_signature.SignatureFormatError:
            return False

    install = _firmware_update(
        cp,
        firmware.location,
        parse_timestamp(firmware.retrieve_date_time),
        retry_policy(request),
        report,
        verified,
    )
    return Answer(unparse(SignedUpdateFirmwareConf(status=UpdateFirmwareStatus.accepted)), install)


def _firmware_update(
    cp: SimulatedChargePoint,
    location: str,
    retrieve_at: datetime,
    attempts: tuple[int, float],
    report: Callable[[FirmwareStatus], Awaitable[None]],
    verified: Callable[[bytes], bool] | None = None,
) -> Callable[[], Awaitable[None]]:
    """The download and installation both kinds of update go through; `verified` (signed
    updates) judges the image between Downloaded and Installing."""

    async def install_firmware() -> None:
        delay = (retrieve_at - now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        await report(FirmwareStatus.downloading)
        content = await with_retries(
            cp, "firmware download", *attempts, lambda: transfer.download(location)
        )
        if content is None:
            await report(FirmwareStatus.download_failed)
            cp.firmware_status = FirmwareStatus.idle
            return
        cp.emit("info", f"firmware downloaded: {len(content)} bytes from {location}")
        await asyncio.sleep(cp.follow_up_delay)
        await report(FirmwareStatus.downloaded)
        if verified is not None:
            if not verified(content):
                cp.emit("warning", f"firmware from {location}: invalid signature")
                await report(FirmwareStatus.invalid_signature)
                cp.firmware_status = FirmwareStatus.idle
                return
            await report(FirmwareStatus.signature_verified)
        # OCPP 1.6, 5.19: installation waits for running sessions to end.
        await cp.wait_until(lambda: all(c.transaction is None for c in cp.connectors.values()))
        await report(FirmwareStatus.installing)
        await asyncio.sleep(cp.follow_up_delay)
        await report(FirmwareStatus.installed)
        cp.firmware_status = FirmwareStatus.idle

    return install_firmware


def get_diagnostics(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    request = parse_request(payload, GetDiagnosticsReq)
    attempts = retry_policy(request)
    file_name = upload_file_name(cp, "diag")

    async def upload_diagnostics() -> None:
        await cp.send_diagnostics_status(DiagnosticsStatus.uploading)
        content = diagnostics_report(cp, request.start_time, request.stop_time)
        target = await with_retries(
            cp,
            "diagnostics upload",
            *attempts,
            lambda: transfer.upload(request.location, file_name, content),
        )
        if target is None:
            await cp.send_diagnostics_status(DiagnosticsStatus.upload_failed)
            cp.diagnostics_status = DiagnosticsStatus.idle
            return
        cp.emit("info", f"diagnostics uploaded to {target}")
        await asyncio.sleep(cp.follow_up_delay)
        await cp.send_diagnostics_status(DiagnosticsStatus.uploaded)
        cp.diagnostics_status = DiagnosticsStatus.idle

    return Answer(unparse(GetDiagnosticsConf(file_name=file_name)), upload_diagnostics)


def upload_file_name(cp: SimulatedChargePoint, prefix: str) -> str:
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", cp.charge_point_id)
    return f"{prefix}-{safe_id}-{now():%Y%m%dT%H%M%SZ}.log"


def diagnostics_report(cp: SimulatedChargePoint, start: str | None, stop: str | None) -> bytes:
    lines = [
        f"Ampyre simulator diagnostics for {cp.charge_point_id}",
        f"generated: {timestamp_now()}",
        f"period: {start or '-'} .. {stop or '-'}",
        f"vendor: {cp.vendor}, model: {cp.model}, firmware: {cp.firmware_version}",
        f"registration: {cp.registration_status}",
    ]
    for connector in cp.connectors.values():
        transaction = connector.transaction
        lines.append(
            f"connector {connector.connector_id}: {connector.status} {connector.error_code}"
            + (f" transaction {transaction.transaction_id}" if transaction else "")
        )
    lines.extend(
        f"config {key}={entry['value']}"
        for key, entry in cp.configuration.items()
        if key not in WRITE_ONLY_KEYS
    )
    lines.extend(f"received {action}" for action, _ in cp.received[-50:])
    return ("\n".join(lines) + "\n").encode()


RESPONDERS: dict[str, Responder] = {
    "GetDiagnostics": get_diagnostics,
    "UpdateFirmware": update_firmware,
    "SignedUpdateFirmware": signed_update_firmware,
}
