"""`GET /api/v1/events`: server-sent events, filtered, resumable, across nodes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import Server
from tests.test_cluster import cluster

START = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-12-03T12:00:00Z"}


@contextlib.asynccontextmanager
async def event_stream(
    api: httpx.AsyncClient, *, last_event_id: int | None = None, **params: Any
) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """The events of a stream as they come, in a queue."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    opened = asyncio.Event()

    async def read() -> None:
        async with api.stream("GET", "/events", params=params, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            opened.set()
            event: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    event["id"] = int(line[4:])
                elif line.startswith("event: "):
                    event["event"] = line[7:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif not line and event:
                    await received.put(event)
                    event = {}

    reader = asyncio.create_task(read())
    await asyncio.wait_for(opened.wait(), 10)
    try:
        yield received
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await reader


async def next_events(queue: asyncio.Queue[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(queue.get(), 10) for _ in range(count)]


async def test_events_of_a_charge_point_as_they_happen_and_after_a_reconnect(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with event_stream(api, chargePointId=cp_id) as events:
        async with OcppClient.connect(server.ws_url, cp_id) as client:
            await client.boot()
            started = await client.call("StartTransaction", START)
            first = await next_events(events, 3)
            assert [e["event"] for e in first] == ["connected", "boot", "transactionStarted"]
            assert all(e["data"]["chargePointId"] == cp_id for e in first)
            assert first[2]["data"]["answer"]["transactionId"] == started["transactionId"]
            assert first[0]["id"] < first[1]["id"] < first[2]["id"]
    last_seen = first[-1]["id"]
    # While no stream is open: these are missed, then replayed on resume.
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.call(
            "StopTransaction",
            {
                "transactionId": started["transactionId"],
                "meterStop": 5,
                "timestamp": START["timestamp"],
            },
        )
    async with event_stream(api, last_event_id=last_seen, chargePointId=cp_id) as events:
        resumed = await next_events(events, 4)
    assert [e["event"] for e in resumed] == [
        "disconnected",
        "connected",
        "transactionStopped",
        "disconnected",
    ]


async def test_type_filter_and_commands(server: Server, cp_id: str, api: httpx.AsyncClient) -> None:
    async with event_stream(api, chargePointId=cp_id, type=["commandAnswered"]) as events:
        async with OcppClient.connect(server.ws_url, cp_id) as client:
            await client.boot()
            response = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
            assert response.status_code == 200
            (event,) = await next_events(events, 1)
    assert event["event"] == "commandAnswered"
    assert event["data"]["action"] == "ClearCache"
    assert event["data"]["answer"] == {"status": "Accepted"}


async def test_a_node_streams_the_events_of_charge_points_on_another(tmp_path: Path) -> None:
    async with cluster(tmp_path) as (a, b):
        async with api_client(a) as api_a:
            cp_id = unique()
            await api_a.post("/charge-points", json={"id": cp_id})
            async with event_stream(api_a, chargePointId=cp_id) as events:
                # The other nodes learn within a second that A has a listener.
                await asyncio.sleep(2)
                async with OcppClient.connect(b.ws_url, cp_id) as client:
                    await client.boot()
                    received = await next_events(events, 2)
    assert [e["event"] for e in received] == ["connected", "boot"]
