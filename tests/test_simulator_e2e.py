"""The simulator against a real Ampyre server: Core flows end to end, from the outside."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from ampyre.simulator import SimulatedChargePoint
from tests.conftest import unique
from tests.server import TOKEN, Server, wait_for


@pytest.fixture
async def simulator(server: Server, cp_id: str) -> AsyncIterator[SimulatedChargePoint]:
    charge_point = SimulatedChargePoint(server.ws_url, cp_id, follow_up_delay=0.01)
    await charge_point.connect()
    try:
        yield charge_point
    finally:
        await charge_point.close()
    assert charge_point.protocol_errors == [], "the server broke the protocol"


async def test_default_script_through_the_cli(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    tag = unique("S")[:20]
    await api.post("/id-tags", json={"idTag": tag})
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "ampyre",
            "simulate",
            "--url",
            server.ws_url,
            "--id",
            cp_id,
            "--id-tag",
            tag,
            "--time-scale",
            "0.01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    transactions = (await api.get("/transactions", params={"chargePointId": cp_id})).json()
    assert transactions["total"] == 1
    record = transactions["items"][0]
    assert record["idTag"] == tag and record["stopTimestamp"] is not None
    detail = (await api.get(f"/transactions/{record['transactionId']}")).json()
    assert detail["meterValues"], "the session's meter values were stored"


async def test_unknown_identity_makes_the_cli_fail_cleanly(server: Server) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "ampyre",
            "simulate",
            "--url",
            server.ws_url,
            "--id",
            unique("NOPE"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "404" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


async def test_remote_start_and_stop_with_the_simulator(
    simulator: SimulatedChargePoint, cp_id: str, api: httpx.AsyncClient
) -> None:
    tag = unique("R")[:20]
    await api.post("/id-tags", json={"idTag": tag})
    await simulator.boot()
    await simulator.send_all_statuses()
    started = await api.post(
        f"/charge-points/{cp_id}/commands/RemoteStartTransaction",
        json={"idTag": tag, "connectorId": 1},
    )
    assert started.json() == {"status": "Accepted"}
    remote_start_id = started.headers["X-Remote-Start-Id"]

    async def transaction_id() -> int | None:
        remote = (await api.get(f"/remote-starts/{remote_start_id}")).json()
        return remote["transactionId"]  # type: ignore[no-any-return]

    transaction = await wait_for(transaction_id)
    stopped = await api.post(
        f"/charge-points/{cp_id}/commands/RemoteStopTransaction",
        json={"transactionId": transaction},
    )
    assert stopped.json() == {"status": "Accepted"}

    async def stop_reason() -> str | None:
        record = (await api.get(f"/transactions/{transaction}")).json()
        return record["stopReason"]  # type: ignore[no-any-return]

    assert await wait_for(stop_reason) == "Remote"


async def test_reset_reboots_and_boots_again(
    simulator: SimulatedChargePoint, cp_id: str, api: httpx.AsyncClient
) -> None:
    await simulator.boot()
    answer = await api.post(f"/charge-points/{cp_id}/commands/Reset", json={"type": "Soft"})
    assert answer.json() == {"status": "Accepted"}
    await simulator.wait_for_sent("BootNotification", count=2, timeout=15)

    async def connected() -> bool:
        return bool((await api.get(f"/charge-points/{cp_id}")).json()["connected"])

    await wait_for(connected)


async def test_trigger_message_brings_the_message(
    simulator: SimulatedChargePoint, cp_id: str, api: httpx.AsyncClient
) -> None:
    await simulator.boot()
    answer = await api.post(
        f"/charge-points/{cp_id}/commands/TriggerMessage",
        json={"requestedMessage": "StatusNotification", "connectorId": 2},
    )
    assert answer.json() == {"status": "Accepted"}

    async def connector_two() -> bool:
        connectors = (await api.get(f"/charge-points/{cp_id}")).json()["connectors"]
        return any(c["connectorId"] == 2 for c in connectors)

    await wait_for(connector_two)


async def test_get_configuration_and_change_configuration(
    simulator: SimulatedChargePoint, cp_id: str, api: httpx.AsyncClient
) -> None:
    await simulator.boot()
    changed = await api.post(
        f"/charge-points/{cp_id}/commands/ChangeConfiguration",
        json={"key": "MeterValueSampleInterval", "value": "15"},
    )
    assert changed.json()["status"] == "Accepted"
    got = await api.post(
        f"/charge-points/{cp_id}/commands/GetConfiguration",
        json={"key": ["MeterValueSampleInterval", "NoSuchKey"]},
    )
    body = got.json()
    assert body["configurationKey"][0]["value"] == "15"
    assert body["unknownKey"] == ["NoSuchKey"]
    assert TOKEN
