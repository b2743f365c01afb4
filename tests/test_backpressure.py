"""A charge point that floods the server and never reads its answers cannot grow the
server's memory without bound, and the other charge points are still served."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx
import websockets

from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import Server


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def register(server: Server, *ids: str) -> None:
    async with api_client(server) as api:
        for identity in ids:
            response = await api.post("/charge-points", json={"id": identity})
            assert response.status_code == 201, response.text


async def flood(server: Server, identity: str, seconds: float) -> int:
    """Send compressed CALLs as fast as the server takes them, never reading an answer."""
    sent = 0
    huge_action = "A" * 400_000
    big_data = "x" * 900_000  # compresses to about 1 KB
    async with websockets.connect(
        f"{server.ws_url}/{identity}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        compression="deflate",
        max_queue=1,  # the client's own reading stops at once: answers pile up server-side
        max_size=None,
    ) as websocket:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if sent < 40:
                frame = [2, f"a{sent}", huge_action, {}]
            else:
                frame = [2, f"d{sent}", "DataTransfer", {"vendorId": "x", "data": big_data}]
            try:
                await asyncio.wait_for(websocket.send(json.dumps(frame)), 1.0)
            except TimeoutError:
                continue  # the server stopped reading: backpressure reached us
            except websockets.ConnectionClosed:
                break
            sent += 1
    return sent


async def test_a_flooding_connection_is_bounded_and_others_are_served(
    server_factory: object,
) -> None:
    server: Server = await server_factory()  # type: ignore[operator]
    assert server.process is not None
    attacker, victim = unique("FLOOD"), unique("CP")
    await register(server, attacker, victim)
    before = rss_mib(server.process.pid)

    flooding = asyncio.create_task(flood(server, attacker, seconds=8.0))
    peak = before
    answered = 0
    async with OcppClient.connect(server.ws_url, victim) as client:
        while not flooding.done():
            answer = await client.call("Heartbeat", {}, timeout=10)
            assert "currentTime" in answer
            answered += 1
            peak = max(peak, rss_mib(server.process.pid))
            await asyncio.sleep(0.2)
    sent = await flooding
    peak = max(peak, rss_mib(server.process.pid))

    print(f"flood: sent {sent}, answered {answered}, rss {before:.0f} -> {peak:.0f} MiB")
    assert sent >= 40, "the flood never got going"
    assert answered >= 10, "the other charge point was not served during the flood"
    # Unbounded, the same flood took the server from 100 MB to 1.5 GB in 9 s.
    assert peak - before < 150, f"server grew from {before:.0f} to {peak:.0f} MiB"
    # And the server is still healthy after it.
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{server.http_url}/api/v1/health")).status_code == 200
    with contextlib.suppress(Exception):
        flooding.cancel()
