"""Staying up: the database or Redis goes away under a running node and comes back.

Nothing acknowledged is lost; what needs the database is refused so the charge point
keeps it and retries; the node recovers by itself. The servers here are the test's own
(`tests/own_servers.py`), so they can be stopped.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.conftest import api_client, unique
from tests.ocpp_client import CallErrorReceived, OcppClient
from tests.own_servers import own_postgres, own_redis
from tests.server import Server, wait_for
from tests.test_cluster import _charging_loop, _transactions, cluster, connected_on


def start_request(n: int) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "idTag": f"TAG-{n}",
        "meterStart": n,
        "timestamp": "2026-12-03T12:00:00Z",
    }


async def test_postgresql_outage_refuses_what_must_be_stored_and_recovers(
    tmp_path: Path,
) -> None:
    with own_postgres() as postgres:
        node = Server(postgres.url, tmp_path, ["--auto-register"])
        await asyncio.to_thread(node.start)
        try:
            async with api_client(node) as api:
                cp_id = unique()
                acknowledged: list[int] = []
                async with OcppClient.connect(node.ws_url, cp_id) as client:
                    await client.boot()
                    answer = await client.call("StartTransaction", start_request(1))
                    acknowledged.append(answer["transactionId"])

                    await asyncio.to_thread(postgres.stop)
                    # Heartbeats need no database: still answered.
                    assert "currentTime" in await client.call("Heartbeat", {})
                    # A transaction must be stored before it is acknowledged: refused.
                    try:
                        await client.call("StartTransaction", start_request(2))
                        raise AssertionError("acknowledged without a database")
                    except CallErrorReceived as refused:
                        assert refused.code == "InternalError"
                    # The API says so plainly, and the readiness check fails.
                    response = await api.get("/charge-points")
                    assert response.status_code == 503
                    assert "database" in response.json()["detail"]
                    assert (await api.get(f"{node.http_url}/ready")).status_code == 503
                    assert (await api.get("/health")).status_code == 200  # alive

                    await asyncio.to_thread(postgres.start)

                    async def retried() -> bool:
                        try:
                            answer = await client.call("StartTransaction", start_request(2))
                        except CallErrorReceived:
                            return False
                        acknowledged.append(answer["transactionId"])
                        return True

                    await wait_for(retried, timeout=30, interval=0.5)
                    assert (await api.get(f"{node.http_url}/ready")).json() == {"status": "ready"}
                    assert "currentTime" in await client.call("Heartbeat", {})

                transactions = (await api.get(f"/transactions?chargePointId={cp_id}")).json()
                stored = {item["transactionId"] for item in transactions["items"]}
                assert set(acknowledged) <= stored
        finally:
            await asyncio.to_thread(node.stop)


async def test_redis_outage_keeps_local_charge_points_and_recovers(tmp_path: Path) -> None:
    with own_redis(tmp_path) as redis:
        async with cluster(tmp_path, redis_url=redis.url) as (a, b):
            async with api_client(a) as api_a, api_client(b) as api_b:
                cp_id = unique()
                await api_a.post("/charge-points", json={"id": cp_id})
                async with OcppClient.connect(b.ws_url, cp_id) as client:
                    await client.boot()
                    await wait_for(lambda: connected_on(api_a, cp_id))

                    await asyncio.to_thread(redis.stop)
                    # Node B keeps serving the charge point it holds...
                    answer = await client.call("StartTransaction", start_request(1))
                    assert answer["transactionId"] > 0
                    response = await api_b.post(
                        f"/charge-points/{cp_id}/commands/Reset", json={"type": "Soft"}
                    )
                    assert response.status_code == 200, response.text
                    # ...while node A cannot reach it: a clear 503.
                    response = await api_a.post(
                        f"/charge-points/{cp_id}/commands/Reset", json={"type": "Soft"}
                    )
                    assert response.status_code == 503, response.text
                    assert "Redis" in response.json()["detail"]

                    await asyncio.to_thread(redis.start)

                    async def reached() -> bool:
                        response = await api_a.post(
                            f"/charge-points/{cp_id}/commands/Reset", json={"type": "Hard"}
                        )
                        return response.status_code == 200

                    await wait_for(reached, timeout=30, interval=0.5)
                    assert ("Reset", {"type": "Hard"}) in client.received


async def test_postgresql_outage_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with own_postgres() as postgres:
        node = Server(postgres.url, tmp_path, ["--auto-register"])
        await asyncio.to_thread(node.start)
        try:
            stop = asyncio.Event()
            started: list[int] = []
            stopped: list[int] = []
            ids = [unique("OUT") for _ in range(8)]
            loops = [
                asyncio.create_task(_charging_loop(cp, [node.ws_url], stop, started, stopped))
                for cp in ids
            ]
            await asyncio.sleep(2)
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(3)
            during = len(started)
            await asyncio.to_thread(postgres.start)
            await wait_for(_more_than(started, during + 20), timeout=30, interval=0.2)
            stop.set()
            await asyncio.gather(*loops)
            async with api_client(node) as api:
                stored = await _transactions(api, ids)
            assert set(started) <= stored.keys(), "an acknowledged start was lost"
            assert not [t for t in stopped if stored[t]], "an acknowledged stop was lost"
        finally:
            await asyncio.to_thread(node.stop)


def _more_than(items: list[int], count: int) -> Any:
    async def check() -> bool:
        return len(items) > count

    return check
