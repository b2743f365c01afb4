"""`GET /dashboard` end to end: real charge points over WebSocket, every number checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ampyre.ocpp.v16.validation import CSMS_INITIATED
from ampyre.services.clock import format_timestamp
from ampyre.services.dashboard import period_starts
from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import Server, wait_for


async def _transaction(
    client: OcppClient, connector: int, start: datetime, wh: int, stop: datetime | None
) -> int:
    started = await client.call(
        "StartTransaction",
        {
            "connectorId": connector,
            "idTag": "ANY",
            "meterStart": 1000,
            "timestamp": format_timestamp(start),
        },
    )
    transaction_id: int = started["transactionId"]
    if stop is not None:
        await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 1000 + wh,
                "timestamp": format_timestamp(stop),
            },
        )
    return transaction_id


def _status(connector: int, status: str, error: str = "NoError") -> dict[str, Any]:
    return {"connectorId": connector, "status": status, "errorCode": error}


async def test_the_dashboard_counts_the_fleet(server_factory: Any) -> None:
    server: Server = await server_factory()
    busy, quiet, absent = unique(), unique(), unique()
    now = datetime.now(UTC).replace(microsecond=0)
    day_start, month_start = period_starts(now)
    async with api_client(server) as api:
        for cp_id in (busy, quiet, absent):
            assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201
        async with (
            OcppClient.connect(server.ws_url, busy) as one,
            OcppClient.connect(server.ws_url, quiet) as two,
        ):
            await one.boot()
            await two.boot()
            await one.call("StatusNotification", _status(1, "Charging"))
            await one.call("StatusNotification", _status(2, "Faulted", "GroundFailure"))
            await two.call("StatusNotification", _status(0, "Available"))
            await two.call("StatusNotification", _status(1, "Available"))
            await two.call(
                "SecurityEventNotification",
                {
                    "type": "TamperDetectionActivated",
                    "timestamp": format_timestamp(now),
                    "techInfo": "door",
                },
            )
            # Running, stopped today, stopped on the 1st, stopped last month.
            await _transaction(one, 1, now - timedelta(minutes=5), 0, None)
            await _transaction(two, 1, now - timedelta(minutes=30), 2500, now)
            first = month_start + timedelta(seconds=1)
            await _transaction(two, 1, first - timedelta(seconds=1), 1000, first)
            await _transaction(
                two, 1, month_start - timedelta(days=2), 7000, month_start - timedelta(days=1)
            )

            answer = await api.get("/dashboard")
            assert answer.status_code == 200, answer.text
            board = answer.json()

        today_wh = 2500 + (1000 if first >= day_start else 0)
        assert board["chargePoints"] == {"total": 3, "online": 2, "offline": 1, "faulted": 1}
        assert board["connectors"] == {"Charging": 1, "Faulted": 1, "Available": 1}
        assert board["activeTransactions"] == 1
        energy = board["energy"]
        assert (energy["todayWh"], energy["monthWh"]) == (today_wh, 3500)
        assert (energy["todayKwh"], energy["monthKwh"]) == (today_wh / 1000, 3.5)
        assert energy["dayStart"] == format_timestamp(day_start)
        assert energy["monthStart"] == format_timestamp(month_start)
        [fault] = board["recentFaults"]
        assert (fault["chargePointId"], fault["connectorId"], fault["errorCode"]) == (
            busy,
            2,
            "GroundFailure",
        )
        [event] = board["recentSecurityEvents"]
        assert event == {
            "chargePointId": quiet,
            "type": "TamperDetectionActivated",
            "techInfo": "door",
            "timestamp": format_timestamp(now),
        }

        # Disconnected: offline again (under --workers, once the other process heard it:
        # milliseconds).
        async def offline() -> bool:
            board = (await api.get("/dashboard")).json()
            return bool(board["chargePoints"]["online"] == 0)

        await wait_for(offline, timeout=5)


async def test_the_dashboard_needs_a_token(server: Server) -> None:
    async with httpx.AsyncClient(base_url=f"{server.http_url}/api/v1") as anonymous:
        assert (await anonymous.get("/dashboard")).status_code == 401


async def test_the_command_schemas_are_served(api: httpx.AsyncClient) -> None:
    schemas = (await api.get("/commands/schemas")).json()
    assert set(schemas) == set(CSMS_INITIATED)
    assert schemas["Reset"]["properties"]["type"]["enum"] == ["Hard", "Soft"]
    assert schemas["Reset"]["required"] == ["type"]
    one = await api.get("/commands/schemas/RemoteStopTransaction")
    assert one.json()["required"] == ["transactionId"]
    # A charge point's message is not a command: 404 with the reason.
    refused = await api.get("/commands/schemas/BootNotification")
    assert refused.status_code == 404
    assert "BootNotification" in refused.json()["detail"]
