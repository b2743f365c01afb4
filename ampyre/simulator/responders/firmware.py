"""Answers to the Firmware Management profile (OCPP 1.6, 5.9 and 5.19).

The files really travel (see `transfer`), and the progress notifications follow the
spec's sequence diagrams, paced by the charge point's `follow_up_delay`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ocpp.v16.enums import DiagnosticsStatus, FirmwareStatus

from ampyre.ocpp.v16.timestamps import now, parse_timestamp, timestamp_now
from ampyre.simulator import transfer
from ampyre.simulator.responders.base import Answer, Responder

if TYPE_CHECKING:
    from ampyre.simulator.charge_point import SimulatedChargePoint

T = TypeVar("T")

#: How long to wait between attempts when the CSMS gives retries but no retryInterval.
DEFAULT_RETRY_INTERVAL = 5.0


def _attempts(payload: dict[str, Any]) -> tuple[int, float]:
    retries = payload.get("retries")
    interval = payload.get("retryInterval")
    return (
        max(1, retries if retries is not None else 1),
        float(interval) if interval is not None else DEFAULT_RETRY_INTERVAL,
    )


async def _transfer(
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
    location: str = payload["location"]
    retrieve_at = parse_timestamp(payload["retrieveDate"])
    attempts, retry_interval = _attempts(payload)

    async def install_firmware() -> None:
        delay = (retrieve_at - now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        await cp.send_firmware_status(FirmwareStatus.downloading)
        size = await _transfer(
            cp, "firmware download", attempts, retry_interval, lambda: transfer.download(location)
        )
        if size is None:
            await cp.send_firmware_status(FirmwareStatus.download_failed)
            cp.firmware_status = FirmwareStatus.idle
            return
        cp.emit("info", f"firmware downloaded: {size} bytes from {location}")
        await asyncio.sleep(cp.follow_up_delay)
        await cp.send_firmware_status(FirmwareStatus.downloaded)
        # OCPP 1.6, 5.19: installation waits for running sessions to end.
        await cp.wait_until(lambda: all(c.transaction is None for c in cp.connectors.values()))
        await cp.send_firmware_status(FirmwareStatus.installing)
        await asyncio.sleep(cp.follow_up_delay)
        await cp.send_firmware_status(FirmwareStatus.installed)
        cp.firmware_status = FirmwareStatus.idle

    return Answer({}, install_firmware)


def get_diagnostics(cp: SimulatedChargePoint, payload: dict[str, Any]) -> Answer:
    location: str = payload["location"]
    attempts, retry_interval = _attempts(payload)
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", cp.charge_point_id)
    file_name = f"diag-{safe_id}-{now():%Y%m%dT%H%M%SZ}.log"

    async def upload_diagnostics() -> None:
        await cp.send_diagnostics_status(DiagnosticsStatus.uploading)
        content = _diagnostics_report(cp, payload).encode()
        target = await _transfer(
            cp,
            "diagnostics upload",
            attempts,
            retry_interval,
            lambda: transfer.upload(location, file_name, content),
        )
        if target is None:
            await cp.send_diagnostics_status(DiagnosticsStatus.upload_failed)
            cp.diagnostics_status = DiagnosticsStatus.idle
            return
        cp.emit("info", f"diagnostics uploaded to {target}")
        await asyncio.sleep(cp.follow_up_delay)
        await cp.send_diagnostics_status(DiagnosticsStatus.uploaded)
        cp.diagnostics_status = DiagnosticsStatus.idle

    return Answer({"fileName": file_name}, upload_diagnostics)


def _diagnostics_report(cp: SimulatedChargePoint, request: dict[str, Any]) -> str:
    lines = [
        f"Ampyre simulator diagnostics for {cp.charge_point_id}",
        f"generated: {timestamp_now()}",
        f"period: {request.get('startTime', '-')} .. {request.get('stopTime', '-')}",
        f"vendor: {cp.vendor}, model: {cp.model}, firmware: {cp.firmware_version}",
        f"registration: {cp.registration_status}",
    ]
    for connector in cp.connectors.values():
        transaction = connector.transaction
        lines.append(
            f"connector {connector.connector_id}: {connector.status} {connector.error_code}"
            + (f" transaction {transaction.transaction_id}" if transaction else "")
        )
    lines.extend(f"config {key}={entry['value']}" for key, entry in cp.configuration.items())
    lines.extend(f"received {action}" for action, _ in cp.received[-50:])
    return "\n".join(lines) + "\n"


RESPONDERS: dict[str, Responder] = {
    "GetDiagnostics": get_diagnostics,
    "UpdateFirmware": update_firmware,
}
