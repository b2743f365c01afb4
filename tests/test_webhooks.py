"""Webhooks end to end: a real HTTP receiver (uvicorn on a free port, in the test) gets a
charge point's events, signed; a receiver that is down and then answers 500 gets them by
retry; the REST API and the CLI manage the subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ampyre.services.webhooks.rules import verify
from tests.conftest import api_client, run_cli, unique
from tests.ocpp_client import OcppClient
from tests.server import Server, free_port, wait_for
from tests.test_cluster import cluster
from tests.test_events import event_stream

SECRET = "a-test-secret-of-some-length"
START = {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-12-03T12:00:00Z"}


@dataclass
class Receiver:
    """What the receiver was sent, and what it answers next (200 once the list is empty)."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@contextlib.asynccontextmanager
async def receiver(port: int | None = None) -> AsyncIterator[Receiver]:
    port = port or free_port()
    state = Receiver(f"http://127.0.0.1:{port}/hook")

    async def hook(request: Request) -> Response:
        state.received.append((dict(request.headers), await request.body()))
        return Response(status_code=state.answers.pop(0) if state.answers else 200)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: _true(server.started))
    try:
        yield state
    finally:
        server.should_exit = True
        await task


async def _true(value: bool) -> bool:
    return value


async def other_workers_see_it() -> None:
    """Under --workers, the other processes reread the subscriptions within 2 s."""
    if os.environ.get("AMPYRE_TEST_WORKERS"):
        await asyncio.sleep(2.5)


async def process_metrics(instance: Server) -> str | None:
    """`/metrics` of the server's one process; None under --workers (a scrape reaches one
    worker, and the deliveries may have been another's)."""
    if os.environ.get("AMPYRE_TEST_WORKERS"):
        return None
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{instance.http_url}/metrics")).text


async def test_a_charge_points_session_arrives_signed_and_in_order(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with receiver() as hooked:
        created = await api.post(
            "/webhooks",
            json={"url": hooked.url, "chargePointId": cp_id, "secret": SECRET},
        )
        assert created.status_code == 201, created.text
        webhook = created.json()
        assert webhook["secret"] == SECRET
        assert webhook["eventTypes"] == []
        try:
            await other_workers_see_it()
            async with OcppClient.connect(server.ws_url, cp_id) as client:
                await client.boot()
                status = {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
                await client.call("StatusNotification", status)
                started = await client.call("StartTransaction", START)
                transaction_id = started["transactionId"]
                sample = {"timestamp": START["timestamp"], "sampledValue": [{"value": "42"}]}
                await client.call(
                    "MeterValues",
                    {"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]},
                )
                stop = {"transactionId": transaction_id, "meterStop": 42}
                await client.call("StopTransaction", {**stop, "timestamp": START["timestamp"]})
            await wait_for(lambda: _true(len(hooked.received) >= 7))
            events = hooked.events()
            assert [e["type"] for e in events] == [
                "connected",
                "boot",
                "status",
                "transactionStarted",
                "meterValues",
                "transactionStopped",
                "disconnected",
            ]
            assert all(e["chargePointId"] == cp_id for e in events)
            assert [e["id"] for e in events] == sorted(e["id"] for e in events)
            assert events[3]["answer"]["transactionId"] == transaction_id
            assert events[4]["message"]["meterValue"][0]["sampledValue"] == [{"value": "42"}]
            for headers, body in hooked.received:
                assert verify(SECRET, body, headers["x-ampyre-signature"])
                assert headers["x-ampyre-signature"].startswith("sha256=")
                assert headers["x-ampyre-event-id"] == str(json.loads(body)["id"])
                assert headers["x-ampyre-event-type"] == json.loads(body)["type"]
                assert headers["x-ampyre-attempt"] == "1"
                assert headers["x-ampyre-timestamp"].isdigit()
                assert headers["content-type"] == "application/json"

            # The secret is never shown again.
            shown = (await api.get(f"/webhooks/{webhook['id']}")).json()
            assert "secret" not in shown and shown["chargePointId"] == cp_id
            listed = (await api.get("/webhooks")).json()
            assert all("secret" not in item for item in listed["items"])
            assert SECRET not in (await api.get("/webhooks")).text

            deliveries = await wait_for(lambda: _delivered(api, webhook["id"], 7))
            assert [d["eventType"] for d in deliveries][:2] == [
                "disconnected",
                "transactionStopped",
            ]
            assert deliveries[0]["attemptLog"][0]["statusCode"] == 200
        finally:
            assert (await api.delete(f"/webhooks/{webhook['id']}")).status_code == 204
    assert (await api.get(f"/webhooks/{webhook['id']}")).status_code == 404


async def _delivered(api: httpx.AsyncClient, webhook_id: int, count: int) -> Any:
    answer = (await api.get(f"/webhooks/{webhook_id}/deliveries")).json()
    items = answer["items"]
    if answer["total"] >= count and all(d["state"] == "delivered" for d in items):
        return items
    return None


async def test_a_receiver_that_is_down_then_fails_gets_the_event_by_retry(
    server_factory: Any,
) -> None:
    instance: Server = await server_factory(
        "--webhook-backoff", "0.2", "--webhook-attempts", "8", "--webhook-timeout", "5"
    )
    port = free_port()
    async with api_client(instance) as api:
        cp_id = "CP-retry"
        assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201
        created = await api.post(
            "/webhooks",
            json={"url": f"http://127.0.0.1:{port}/hook", "eventTypes": ["boot"]},
        )
        assert created.status_code == 201, created.text
        webhook_id, secret = created.json()["id"], created.json()["secret"]
        assert secret.startswith("whsec_")
        await other_workers_see_it()
        async with OcppClient.connect(instance.ws_url, cp_id) as client:
            await client.boot()

        async def failed_twice() -> Any:
            answer = (await api.get(f"/webhooks/{webhook_id}/deliveries")).json()
            items = answer["items"]
            return items if items and items[0]["attempts"] >= 2 else None

        (pending,) = await wait_for(failed_twice)
        assert pending["state"] == "pending" and pending["eventType"] == "boot"
        assert pending["lastStatusCode"] is None and "ConnectError" in pending["lastError"]
        assert pending["nextAttemptAt"] is not None
        assert pending["attemptLog"][0]["nextAttemptAt"] is not None

        async with receiver(port) as hooked:
            hooked.answers = [500]
            (done,) = await wait_for(lambda: _delivered(api, webhook_id, 1), timeout=20)
        log = done["attemptLog"]
        assert len(log) >= 4 and [entry["attempt"] for entry in log] == list(range(1, len(log) + 1))
        assert all("ConnectError" in entry["error"] for entry in log[:-2])
        assert log[-2]["statusCode"] == 500 and log[-2]["error"] == "HTTP 500"
        assert log[-1]["statusCode"] == 200 and log[-1]["error"] is None
        assert done["lastStatusCode"] == 200 and done["nextAttemptAt"] is None
        # The receiver saw the 500 attempt and the successful one: the same event, signed.
        assert len(hooked.received) == 2
        bodies = {body for _, body in hooked.received}
        assert len(bodies) == 1
        headers, body = hooked.received[-1]
        assert verify(secret, body, headers["x-ampyre-signature"])
        assert headers["x-ampyre-attempt"] == str(len(log))
        assert json.loads(body)["type"] == "boot"

        metrics = await process_metrics(instance)
        if metrics is not None:
            assert 'ampyre_webhook_deliveries_total{outcome="delivered"} 1.0' in metrics
            retried = [
                line
                for line in metrics.splitlines()
                if line.startswith('ampyre_webhook_deliveries_total{outcome="retried"}')
            ]
            assert retried and float(retried[0].split()[-1]) >= 3


async def test_bad_subscriptions_are_422_and_unknown_ones_404(api: httpx.AsyncClient) -> None:
    for body, says in [
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://example.com/" + "x" * 2100}, "url"),
        ({"url": "http://example.com/hook", "eventTypes": ["boot", "nonsense"]}, "nonsense"),
        ({"url": "http://example.com/hook", "secret": "short"}, "secret"),
        ({"url": "http://example.com/hook", "colour": "red"}, "colour"),
        ({}, "url"),
    ]:
        response = await api.post("/webhooks", json=body)
        assert response.status_code == 422, (body, response.text)
        assert says in json.dumps(response.json()["detail"]), response.text
    assert (await api.get("/webhooks/999999999")).status_code == 404
    assert (await api.get("/webhooks/999999999/deliveries")).status_code == 404
    assert (await api.delete("/webhooks/999999999")).status_code == 404
    assert (await api.get("/webhooks/0")).status_code == 422

    created = (await api.post("/webhooks", json={"url": "https://example.com/h"})).json()
    try:
        path = f"/webhooks/{created['id']}"
        response = await api.patch(path, json={"eventTypes": ["what"]})
        assert response.status_code == 422 and "what" in response.json()["detail"]
        changed = await api.patch(path, json={"enabled": False, "eventTypes": ["status", "boot"]})
        assert changed.status_code == 200, changed.text
        assert changed.json()["enabled"] is False
        assert changed.json()["eventTypes"] == ["status", "boot"]
        assert "secret" not in changed.json()
        rotated = await api.patch(path, json={"secret": "another-secret-long-enough"})
        assert rotated.status_code == 200 and "secret" not in rotated.json()
    finally:
        await api.delete(f"/webhooks/{created['id']}")


async def test_the_cli_adds_lists_shows_deliveries_and_removes(server: Server) -> None:
    added = await run_cli(
        server, "webhook", "add", "https://example.com/cli-hook", "--event", "boot", "--json"
    )
    assert added.exit_code == 0, added.output
    created = json.loads(added.output)
    assert created["eventTypes"] == ["boot"] and created["secret"].startswith("whsec_")
    listed = await run_cli(server, "webhook", "list")
    assert listed.exit_code == 0 and "https://example.com/cli-hook" in listed.output
    assert created["secret"] not in listed.output
    deliveries = await run_cli(server, "webhook", "deliveries", str(created["id"]))
    assert deliveries.exit_code == 0 and "eventType" in deliveries.output
    removed = await run_cli(server, "webhook", "remove", str(created["id"]))
    assert removed.exit_code == 0, removed.output
    again = await run_cli(server, "webhook", "remove", str(created["id"]))
    assert again.exit_code == 1 and "404" in again.output
    bad = await run_cli(server, "webhook", "add", "https://example.com/x", "--event", "nope")
    assert bad.exit_code == 2


async def test_in_a_cluster_each_event_is_delivered_once(tmp_path: Path) -> None:
    async with cluster(tmp_path) as (a, b), receiver() as hooked:
        async with api_client(a) as api_a:
            cp_id = unique()
            await api_a.post("/charge-points", json={"id": cp_id})
            created = await api_a.post(
                "/webhooks", json={"url": hooked.url, "chargePointId": cp_id, "secret": SECRET}
            )
            assert created.status_code == 201, created.text
            # A listens to the stream too: B forwards its events to A, which must not send
            # them again.
            async with event_stream(api_a, chargePointId=cp_id) as events:
                await asyncio.sleep(2.5)  # B rereads the subscriptions, learns of A's listener
                async with OcppClient.connect(b.ws_url, cp_id) as client:
                    await client.boot()
                    status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
                    await client.call("StatusNotification", status)
                    answer = await api_a.post(
                        f"/charge-points/{cp_id}/commands/ClearCache", json={}
                    )
                    assert answer.status_code == 200
                streamed = [await asyncio.wait_for(events.get(), 10) for _ in range(5)]
            await wait_for(lambda: _true(len(hooked.received) >= 5))
            await asyncio.sleep(2)  # time for any duplicate to arrive
    types = [e["type"] for e in hooked.events()]
    assert sorted(types) == sorted(
        ["connected", "boot", "status", "commandAnswered", "disconnected"]
    ), types
    assert len({e["id"] for e in hooked.events()}) == 5
    assert {e["data"]["id"] for e in streamed} == {e["id"] for e in hooked.events()}
    assert all(verify(SECRET, body, h["x-ampyre-signature"]) for h, body in hooked.received)


async def test_a_dead_receiver_holds_at_most_the_cap_and_the_rest_is_dropped_and_counted(
    server_factory: Any,
) -> None:
    instance: Server = await server_factory(
        "--webhook-max-pending", "3", "--webhook-backoff", "3600"
    )
    async with api_client(instance) as api:
        cp_id = "CP-cap"
        assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201
        dead = f"http://127.0.0.1:{free_port()}/hook"
        created = await api.post("/webhooks", json={"url": dead, "eventTypes": ["status"]})
        webhook_id = created.json()["id"]
        await other_workers_see_it()
        async with OcppClient.connect(instance.ws_url, cp_id) as client:
            await client.boot()
            for connector in range(1, 8):
                status = {"connectorId": connector, "errorCode": "NoError", "status": "Available"}
                await client.call("StatusNotification", status)

        async def all_seen() -> Any:
            answer = (await api.get(f"/webhooks/{webhook_id}/deliveries")).json()
            return answer if answer["total"] == 7 else None

        answer = await wait_for(all_seen)
        # The newest three wait (each failed once, the next attempt an hour away); the
        # oldest four were dropped to keep the cap.
        states = [d["state"] for d in answer["items"]]
        assert states.count("pending") <= 3 and states.count("dropped") >= 4, states
        assert all(d["state"] == "pending" for d in answer["items"][:3])
        dropped = (await api.get(f"/webhooks/{webhook_id}/deliveries?state=dropped")).json()
        assert dropped["total"] == 4 and "more than 3" in dropped["items"][0]["lastError"]
        kept = [d["eventId"] for d in answer["items"] if d["state"] == "pending"]
        assert max(d["eventId"] for d in dropped["items"]) < min(kept)
        metrics = await process_metrics(instance)
        if metrics is not None:
            assert 'ampyre_webhook_deliveries_total{outcome="dropped"} 4.0' in metrics


async def test_undelivered_events_survive_a_restart(server_factory: Any) -> None:
    port = free_port()
    first: Server = await server_factory("--webhook-backoff", "0.2")
    async with api_client(first) as api:
        assert (await api.post("/charge-points", json={"id": "CP-restart"})).status_code == 201
        created = await api.post(
            "/webhooks", json={"url": f"http://127.0.0.1:{port}/hook", "eventTypes": ["boot"]}
        )
        webhook_id, secret = created.json()["id"], created.json()["secret"]
        await other_workers_see_it()
        async with OcppClient.connect(first.ws_url, "CP-restart") as client:
            await client.boot()

        async def tried() -> Any:
            items = (await api.get(f"/webhooks/{webhook_id}/deliveries")).json()["items"]
            return items if items and items[0]["attempts"] >= 1 else None

        await wait_for(tried)
    assert first.stop() == 0
    async with receiver(port) as hooked:
        second: Server = await server_factory(
            "--webhook-backoff", "0.2", database_url=first.database_url
        )
        async with api_client(second) as api:
            (done,) = await wait_for(lambda: _delivered(api, webhook_id, 1), timeout=20)
    assert done["attempts"] >= 2 and done["attemptLog"][0]["statusCode"] is None
    (headers, body), *_ = hooked.received
    assert json.loads(body)["type"] == "boot"
    assert verify(secret, body, headers["x-ampyre-signature"])
