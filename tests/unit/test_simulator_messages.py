"""The simulator speaks the server's messages: every CALL it sends of its own accord, built
through its own code paths (boot, sessions, notifications), passes the schema check the
server applies, and every answer is read into the server's confirmation types.

No socket: the charge point's `call`, where `send` hands over `unparse(request)`, is
replaced by a wire that checks the payload as the server would and answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    GenericStatus,
    Reason,
    RegistrationStatus,
)

from ampyre.ocpp.v16.messages import (
    CONFIRMATIONS,
    AuthorizeConf,
    BootNotificationConf,
    Confirmation,
    HeartbeatConf,
    IdTagInfo,
    SignCertificateConf,
    StartTransactionConf,
    StopTransactionConf,
    unparse,
)
from ampyre.ocpp.v16.validation import CP_INITIATED, get_validator
from ampyre.simulator import InvalidResponse, SimulatedChargePoint
from ampyre.simulator.responders.certificates import request_certificate

T0 = "2024-05-01T10:00:00Z"
ACCEPTED = IdTagInfo(AuthorizationStatus.accepted)

#: What the wire answers; the other actions get their confirmation without fields.
ANSWERS: dict[str, Confirmation] = {
    "BootNotification": BootNotificationConf(RegistrationStatus.accepted, T0, 0),
    "Heartbeat": HeartbeatConf(T0),
    "Authorize": AuthorizeConf(ACCEPTED),
    "StartTransaction": StartTransactionConf(42, ACCEPTED),
    "StopTransaction": StopTransactionConf(ACCEPTED),
    "SignCertificate": SignCertificateConf(GenericStatus.accepted),
}

#: What the simulator sends only as the raw payloads of a `call` (a script's call step).
NEVER_SENT = {
    "DataTransfer",
    "LogStatusNotification",
    "SecurityEventNotification",
    "SignedFirmwareStatusNotification",
}


class Wire:
    """Stands for the connection and the server's schema check."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.answers: dict[str, dict[str, Any]] = {}

    async def call(
        self, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        get_validator().validate_request(action, payload)
        self.sent.append((action, payload))
        if action in self.answers:
            return self.answers[action]
        answer = unparse(ANSWERS[action] if action in ANSWERS else CONFIRMATIONS[action]())
        get_validator().validate_response(action, answer)
        return answer

    def payloads(self, action: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.sent if name == action]


@pytest.fixture
async def wire() -> Wire:
    return Wire()


@pytest.fixture
async def sim(wire: Wire) -> AsyncIterator[SimulatedChargePoint]:
    charge_point = SimulatedChargePoint("ws://unused/ocpp", "CP-1", serial_number="SN-1")
    charge_point.configuration["MeterValueSampleInterval"]["value"] = "0"
    charge_point.call = wire.call  # type: ignore[method-assign]
    try:
        yield charge_point
    finally:
        await charge_point.close()


async def test_every_message_the_simulator_sends_passes_the_server_schemas(
    sim: SimulatedChargePoint, wire: Wire
) -> None:
    assert (await sim.boot_until_accepted()).status == RegistrationStatus.accepted
    assert (await sim.heartbeat()).current_time == T0
    await sim.send_all_statuses()
    await sim.status(
        2,
        ChargePointStatus.faulted,
        ChargePointErrorCode.ground_failure,
        info="earth leak",
        vendor_id="acme",
        vendor_error_code="E7",
    )
    assert (await sim.authorize("TAG")).status == AuthorizationStatus.accepted
    started = await sim.start_transaction(1, "TAG", meter_start=1000, reservation_id=3)
    assert sim.connectors[1].transaction is not None
    assert sim.connectors[1].transaction.transaction_id == started.transaction_id == 42
    await sim.meter_values(1)
    await sim.meter_values(0)
    await sim.meter_values(1, [{"value": "5", "measurand": "Temperature", "unit": "Celsius"}])
    await sim.meter_values(1, [{"timestamp": T0, "sampledValue": [{"value": "1200"}]}])
    stopped = await sim.stop_transaction(1)
    assert stopped.id_tag_info == ACCEPTED
    await sim.start_transaction(1, "TAG")
    await sim.stop_transaction(1, reason=None, with_transaction_data=False)
    await sim.start_transaction(1, "TAG")
    await sim.stop_transaction(1, reason=Reason.remote)
    for firmware in ("Downloading", "DownloadFailed", "Downloaded", "Installing", "Installed"):
        await sim.send_firmware_status(FirmwareStatus(firmware))
    for diagnostics in ("Idle", "Uploading", "UploadFailed", "Uploaded"):
        await sim.send_diagnostics_status(DiagnosticsStatus(diagnostics))
    await request_certificate(sim)

    assert {action for action, _ in wire.sent} == CP_INITIATED - NEVER_SENT
    boot = wire.payloads("BootNotification")[0]
    assert boot["chargePointSerialNumber"] == "SN-1" and boot["meterType"] == "Simulated"
    faulted = wire.payloads("StatusNotification")[3]
    assert faulted["vendorErrorCode"] == "E7" and faulted["errorCode"] == "GroundFailure"
    start = wire.payloads("StartTransaction")[0]
    assert (start["meterStart"], start["reservationId"]) == (1000, 3)
    assert [p.get("transactionId") for p in wire.payloads("MeterValues")] == [42, None, 42, 42]
    stops = wire.payloads("StopTransaction")
    assert [stop.get("reason") for stop in stops] == ["Local", None, "Remote"]
    assert [stop.get("idTag") for stop in stops] == ["TAG", None, None]
    contexts = [m["sampledValue"][0]["context"] for m in stops[0]["transactionData"]]
    assert contexts == ["Transaction.Begin", "Transaction.End"]
    assert "transactionData" not in stops[1]


async def test_an_answer_that_breaks_the_confirmation_type_is_an_invalid_response(
    sim: SimulatedChargePoint, wire: Wire
) -> None:
    """Even with the schema check off, the answer is read into its type, or refused."""
    wire.answers["BootNotification"] = {"status": "Maybe", "currentTime": T0, "interval": 10}
    with pytest.raises(InvalidResponse, match=r"BootNotification\.conf .*Maybe"):
        await sim.boot()
    assert sim.registration_status is None and sim.boot_count == 0
    assert len(sim.protocol_errors) == 1
    wire.answers["Authorize"] = {"idTagInfo": {}}
    with pytest.raises(InvalidResponse, match="status"):
        await sim.authorize("TAG")
