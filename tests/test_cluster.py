"""Several nodes as one CSMS: `ampyre serve --redis` processes sharing PostgreSQL and Redis.

Runs real nodes on the build machine's PostgreSQL and Redis, found through
AMPYRE_TEST_POSTGRES_URL and AMPYRE_TEST_REDIS_URL (`.ci/run` sets both).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import api_client, unique
from tests.ocpp_client import SILENT, CallErrorReceived, OcppClient
from tests.server import (
    Server,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    wait_for,
)

REDIS_ENV = "AMPYRE_TEST_REDIS_URL"


@contextlib.asynccontextmanager
async def cluster(
    workdir: Path,
    size: int = 2,
    redis_url: str | None = None,
    extra_args: list[str] | None = None,
) -> AsyncIterator[list[Server]]:
    """`size` nodes on a fresh database of the test PostgreSQL server (a cluster shares
    one PostgreSQL database; SQLite is one node's file)."""
    redis_url = redis_url or os.environ.get(REDIS_ENV)
    if not redis_url:
        pytest.skip(f"cluster tests need {REDIS_ENV} (e.g. redis://127.0.0.1:6379/0)")
    if postgres_admin_url() is None:
        pytest.skip("cluster tests need AMPYRE_TEST_POSTGRES_URL")
    database = await create_postgres_database()
    nodes: list[Server] = []
    try:
        for _ in range(size):
            node = Server(database, workdir, ["--redis", redis_url, *(extra_args or [])])
            await asyncio.to_thread(node.start)
            nodes.append(node)
        yield nodes
    finally:
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                await asyncio.to_thread(node.stop)
        await drop_postgres_database(database)


async def connected_on(api: httpx.AsyncClient, cp_id: str) -> bool:
    response = await api.get(f"/charge-points/{cp_id}")
    return bool(response.json()["connected"])


async def test_a_command_through_one_node_reaches_a_charge_point_on_another(
    tmp_path: Path,
) -> None:
    async with cluster(tmp_path) as (a, b):
        async with api_client(a) as api_a, api_client(b) as api_b:
            cp_id = unique()
            assert (await api_a.post("/charge-points", json={"id": cp_id})).status_code == 201
            # Unknown anywhere: 404; not connected anywhere: 409, on both nodes, as on one.
            unknown = await api_b.post(f"/charge-points/{unique()}/commands/ClearCache", json={})
            assert unknown.status_code == 404, unknown.text
            for api in (api_a, api_b):
                response = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
                assert response.status_code == 409, response.text

            async with OcppClient.connect(b.ws_url, cp_id) as client:
                await client.boot()
                await wait_for(lambda: connected_on(api_a, cp_id))

                response = await api_a.post(
                    f"/charge-points/{cp_id}/commands/Reset", json={"type": "Soft"}
                )
                assert response.status_code == 200, response.text
                assert response.json() == {"status": "Accepted"}
                assert client.received == [("Reset", {"type": "Soft"})]

                # A CALLERROR answer: 502 with the code, as on one node.
                client.answers["ClearCache"] = ("NotSupported", "no cache here")
                response = await api_a.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
                assert response.status_code == 502, response.text
                assert response.json()["errorCode"] == "NotSupported"

                # No answer in time: 504.
                client.answers["UnlockConnector"] = SILENT
                response = await api_a.post(
                    f"/charge-points/{cp_id}/commands/UnlockConnector?timeout=1",
                    json={"connectorId": 1},
                )
                assert response.status_code == 504, response.text

                # A schema-breaking request never leaves node A: 422.
                response = await api_a.post(
                    f"/charge-points/{cp_id}/commands/Reset", json={"type": "Hard-ish"}
                )
                assert response.status_code == 422, response.text

                # What the answer means is recorded, wherever the command came in.
                client.answers["ReserveNow"] = {"status": "Accepted"}
                expiry = "2099-01-01T00:00:00Z"
                response = await api_a.post(
                    "/reservations",
                    json={
                        "chargePointId": cp_id,
                        "connectorId": 1,
                        "idTag": "TAG-1",
                        "expiryDate": expiry,
                    },
                )
                assert response.status_code == 201, response.text
                reservation_id = response.json()["reservationId"]
                assert client.received[-1][0] == "ReserveNow"
                stored = await api_b.get(f"/reservations/{reservation_id}")
                assert stored.json()["status"] == "Reserved"

                seen_a = (await api_a.get(f"/charge-points/{cp_id}")).json()["lastSeen"]
                assert seen_a is not None
            await wait_for(lambda: _not(connected_on(api_a, cp_id)))
            assert not await connected_on(api_b, cp_id)


async def _not(check: object) -> bool:
    return not await check  # type: ignore[misc]


async def test_the_newest_connection_wins_across_nodes(tmp_path: Path) -> None:
    async with cluster(tmp_path) as (a, b):
        async with api_client(a) as api_a, api_client(b) as api_b:
            cp_id = unique()
            await api_a.post("/charge-points", json={"id": cp_id})
            async with OcppClient.connect(a.ws_url, cp_id) as old:
                await old.boot()
                async with OcppClient.connect(b.ws_url, cp_id) as new:
                    await new.boot()
                    # Node A closes the old connection with 4000 (replaced).
                    await asyncio.wait_for(old.ws.wait_closed(), 10)
                    assert old.ws.close_code == 4000
                    # ...and its closing leaves the charge point connected (on B).
                    await asyncio.sleep(0.5)
                    for api in (api_a, api_b):
                        assert await connected_on(api, cp_id)
                    response = await api_a.post(
                        f"/charge-points/{cp_id}/commands/Reset", json={"type": "Hard"}
                    )
                    assert response.status_code == 200, response.text
                    assert new.received == [("Reset", {"type": "Hard"})]
            # Gone from both: no node still remembers the replaced connection.
            for api in (api_a, api_b):
                await wait_for(lambda api=api: _not(connected_on(api, cp_id)), timeout=2)


async def test_a_killed_node_releases_its_charge_points(tmp_path: Path) -> None:
    async with cluster(tmp_path) as (a, b):
        async with api_client(a) as api_a:
            cp_id = unique()
            await api_a.post("/charge-points", json={"id": cp_id})
            with contextlib.suppress(websockets.ConnectionClosed):
                async with OcppClient.connect(b.ws_url, cp_id) as client:
                    await client.boot()
                    await wait_for(lambda: connected_on(api_a, cp_id))
                    b.stop(signal.SIGKILL)
                    # The claim of the dead node runs out: offline within seconds.
                    await wait_for(lambda: _not(connected_on(api_a, cp_id)), timeout=20)
                    response = await api_a.post(
                        f"/charge-points/{cp_id}/commands/ClearCache", json={}
                    )
                    assert response.status_code == 409, response.text
            # The charge point reconnects to the live node and carries on.
            async with OcppClient.connect(a.ws_url, cp_id) as client:
                await client.boot()
                response = await client.call(
                    "StartTransaction",
                    {
                        "connectorId": 1,
                        "idTag": "TAG-UNKNOWN",
                        "meterStart": 0,
                        "timestamp": "2026-12-03T12:00:00Z",
                    },
                )
                assert response["transactionId"] > 0


async def _charging_loop(
    cp_id: str,
    urls: list[str],
    stop: asyncio.Event,
    started: list[int],
    stopped: list[int],
) -> None:
    """A charge point that charges again and again, and reconnects (to the next node, as
    through a load balancer) whenever its connection goes; what was answered counts."""
    attempt = 0
    meter = 0
    while not stop.is_set():
        url = urls[attempt % len(urls)]
        attempt += 1
        try:
            async with OcppClient.connect(url, cp_id) as client:
                await client.boot()
                while not stop.is_set():
                    meter += 10
                    answer = await client.call(
                        "StartTransaction",
                        {
                            "connectorId": 1,
                            "idTag": "ROLLING",
                            "meterStart": meter,
                            "timestamp": "2026-12-03T12:00:00Z",
                        },
                        timeout=3,
                    )
                    started.append(answer["transactionId"])
                    meter += 10
                    await client.call(
                        "StopTransaction",
                        {
                            "transactionId": answer["transactionId"],
                            "meterStop": meter,
                            "timestamp": "2026-12-03T12:01:00Z",
                        },
                        timeout=3,
                    )
                    stopped.append(answer["transactionId"])
        except (
            websockets.ConnectionClosed,
            websockets.InvalidHandshake,
            OSError,
            TimeoutError,
            CallErrorReceived,
        ):
            await asyncio.sleep(0.05)


async def test_a_rolling_restart_loses_no_acknowledged_message(tmp_path: Path) -> None:
    async with cluster(tmp_path, extra_args=["--auto-register"]) as nodes:
        urls = [node.ws_url for node in nodes]
        stop = asyncio.Event()
        started: list[int] = []
        stopped: list[int] = []
        ids = [unique("ROLL") for _ in range(10)]
        loops = [
            asyncio.create_task(_charging_loop(cp, urls, stop, started, stopped)) for cp in ids
        ]
        await asyncio.sleep(2)
        for node in nodes:
            before = len(started)
            assert await asyncio.to_thread(node.stop) == 0  # graceful: exit 0
            await asyncio.to_thread(node.start)
            await asyncio.sleep(2)
            assert len(started) > before  # the charge points carried on meanwhile
        stop.set()
        await asyncio.gather(*loops)

        async with api_client(nodes[0]) as api:
            stored = await _transactions(api, ids)
        assert started and set(started) <= stored.keys(), "an acknowledged start was lost"
        assert not [t for t in stopped if stored[t]], "an acknowledged stop was lost"


async def test_a_call_repeated_on_another_node_takes_effect_once(tmp_path: Path) -> None:
    async with cluster(tmp_path) as (a, b):
        async with api_client(a) as api:
            cp_id = unique()
            await api.post("/charge-points", json={"id": cp_id})
            sample = {
                "connectorId": 1,
                "meterValue": [
                    {"timestamp": "2026-12-03T12:00:30Z", "sampledValue": [{"value": "15"}]}
                ],
            }
            async with OcppClient.connect(a.ws_url, cp_id) as client:
                await client.boot()
                started = await client.call(
                    "StartTransaction",
                    {
                        "connectorId": 1,
                        "idTag": "T",
                        "meterStart": 0,
                        "timestamp": "2026-12-03T12:00:00Z",
                    },
                )
                transaction_id = started["transactionId"]
                sample["transactionId"] = transaction_id
                assert await client.call("MeterValues", sample, unique_id="mv-1") == {}
            await asyncio.sleep(0.5)  # the answers reach Redis within a tenth of a second
            # The answer was lost on the way: the charge point sends the CALL again, to B.
            async with OcppClient.connect(b.ws_url, cp_id) as client:
                assert await client.call("MeterValues", sample, unique_id="mv-1") == {}
            body = (await api.get(f"/transactions/{transaction_id}")).json()
            assert len(body["meterValues"]) == 1


async def _transactions(api: httpx.AsyncClient, ids: list[str]) -> dict[int, bool]:
    """Every stored transaction of the charge points: id -> still active."""
    stored: dict[int, bool] = {}
    for cp_id in ids:
        offset = 0
        while True:
            url = f"/transactions?chargePointId={cp_id}&limit=1000&offset={offset}"
            page = (await api.get(url)).json()
            stored.update((item["transactionId"], item["active"]) for item in page["items"])
            offset += 1000
            if offset >= page["total"]:
                break
    return stored
