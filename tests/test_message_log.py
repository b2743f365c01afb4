"""`GET /charge-points/{id}/messages`: every OCPP frame both ways, over real sockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import api_client, run_cli, unique
from tests.ocpp_client import CallErrorReceived, OcppClient
from tests.server import Server, wait_for
from tests.test_cluster import cluster, connected_on

STATUS = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}


async def messages(api: httpx.AsyncClient, cp_id: str, **params: Any) -> dict[str, Any]:
    response = await api.get(f"/charge-points/{cp_id}/messages", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    return [(m["direction"], m["messageType"], m["action"]) for m in items]


async def test_every_frame_both_ways_newest_first_with_filters(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call("Heartbeat", {}, unique_id="hb-1")
        await client.call("StatusNotification", STATUS)
        with pytest.raises(CallErrorReceived):  # no errorCode: the CSMS answers CALLERROR
            await client.call("StatusNotification", {"connectorId": 1, "status": "Available"})
        reset = await api.post(f"/charge-points/{cp_id}/commands/Reset", json={"type": "Soft"})
        assert reset.status_code == 200, reset.text
        client.answers["ClearCache"] = ("NotSupported", "no cache here")
        refused = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
        assert refused.status_code == 502
        answer = await client.send_text("this is not json", "-1")
        assert answer[2] == "FormationViolation"

        page = await messages(api, cp_id)

    expected = [
        ("in", "CALL", "BootNotification"),
        ("out", "CALLRESULT", "BootNotification"),
        ("in", "CALL", "Heartbeat"),
        ("out", "CALLRESULT", "Heartbeat"),
        ("in", "CALL", "StatusNotification"),
        ("out", "CALLRESULT", "StatusNotification"),
        ("in", "CALL", "StatusNotification"),
        ("out", "CALLERROR", "StatusNotification"),
        ("out", "CALL", "Reset"),
        ("in", "CALLRESULT", "Reset"),
        ("out", "CALL", "ClearCache"),
        ("in", "CALLERROR", "ClearCache"),
        ("in", None, None),
        ("out", "CALLERROR", None),
    ]
    items = page["items"]
    assert page["total"] == len(expected)
    assert kinds(items) == expected[::-1]
    times = [m["time"] for m in items]
    assert times == sorted(times, reverse=True) and all(t.endswith("Z") for t in times)

    by_kind = {(m["direction"], m["messageType"], m["action"]): m for m in items}
    heartbeat = by_kind[("in", "CALL", "Heartbeat")]
    assert heartbeat["messageId"] == "hb-1" and heartbeat["payload"] == {}
    assert heartbeat["answerMs"] is None
    heartbeat_answer = by_kind[("out", "CALLRESULT", "Heartbeat")]
    assert heartbeat_answer["messageId"] == "hb-1"
    assert set(heartbeat_answer["payload"]) == {"currentTime"}
    assert heartbeat_answer["answerMs"] >= 0
    boot = by_kind[("in", "CALL", "BootNotification")]
    assert boot["payload"] == {"chargePointVendor": "TestVendor", "chargePointModel": "TestModel"}

    reset_call = by_kind[("out", "CALL", "Reset")]
    assert reset_call["payload"] == {"type": "Soft"}
    reset_answer = by_kind[("in", "CALLRESULT", "Reset")]
    assert reset_answer["messageId"] == reset_call["messageId"]
    assert reset_answer["payload"] == {"status": "Accepted"}
    assert reset_answer["answerMs"] >= 0

    invalid = by_kind[("out", "CALLERROR", "StatusNotification")]
    assert invalid["payload"]["errorCode"] in ("FormationViolation", "OccurenceConstraintViolation")
    refusal = by_kind[("in", "CALLERROR", "ClearCache")]
    assert refusal["payload"] == {
        "errorCode": "NotSupported",
        "errorDescription": "no cache here",
        "errorDetails": {},
    }
    bad = by_kind[("in", None, None)]
    assert bad["payload"] is None and bad["raw"] == "this is not json"
    assert bad["messageId"] is None and bad["truncated"] is False
    bad_answer = by_kind[("out", "CALLERROR", None)]
    assert bad_answer["messageId"] == "-1"
    assert bad_answer["payload"]["errorCode"] == "FormationViolation"

    # Filters: action (answers count as their CALL's), direction, message id, time, paging.
    resets = await messages(api, cp_id, action="Reset")
    assert kinds(resets["items"]) == [("in", "CALLRESULT", "Reset"), ("out", "CALL", "Reset")]
    incoming = await messages(api, cp_id, direction="in")
    assert incoming["total"] == 7 and all(m["direction"] == "in" for m in incoming["items"])
    errors = await messages(api, cp_id, messageType="CALLERROR")
    assert kinds(errors["items"]) == [
        ("out", "CALLERROR", None),
        ("in", "CALLERROR", "ClearCache"),
        ("out", "CALLERROR", "StatusNotification"),
    ]
    by_id = await messages(api, cp_id, messageId="hb-1")
    assert kinds(by_id["items"]) == [
        ("out", "CALLRESULT", "Heartbeat"),
        ("in", "CALL", "Heartbeat"),
    ]
    since = await messages(api, cp_id, since=reset_call["time"])
    assert {("out", "CALL", "Reset"), ("in", None, None)} <= set(kinds(since["items"]))
    assert ("in", "CALL", "BootNotification") not in kinds(since["items"])
    until = await messages(api, cp_id, until=reset_call["time"])
    assert ("out", "CALL", "Reset") not in kinds(until["items"])
    assert until["total"] + since["total"] == page["total"]
    second = await messages(api, cp_id, limit=3, offset=3)
    assert second["total"] == page["total"] and second["items"] == items[3:6]


async def test_unknown_charge_point_and_bad_filters(api: httpx.AsyncClient) -> None:
    missing = await api.get("/charge-points/NOPE-404/messages")
    assert missing.status_code == 404 and "detail" in missing.json()
    cp_id = unique()
    assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201
    for params in (
        {"direction": "sideways"},
        {"messageType": "CALLBACK"},
        {"since": "yesterday"},
        {"limit": 0},
    ):
        response = await api.get(f"/charge-points/{cp_id}/messages", params=params)
        assert response.status_code == 422 and response.json()["detail"]
    empty = await messages(api, cp_id)
    assert empty == {"items": [], "total": 0}


async def test_the_cli_lists_a_charge_points_messages(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call("Heartbeat", {})
    result = await run_cli(server, "charge-point", "messages", cp_id, "--action", "Heartbeat")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "time",
        "direction",
        "messageType",
        "action",
        "messageId",
        "answerMs",
        "payload",
    ]
    assert "->" in lines[1] and "CALLRESULT" in lines[1] and "currentTime" in lines[1]
    assert "<-" in lines[2] and "CALL " in lines[2] and "{}" in lines[2]
    assert lines[-1] == "(2 of 2)"
    limited = await run_cli(server, "charge-point", "messages", cp_id, "--limit", "1", "--json")
    assert limited.exit_code == 0, limited.output
    shown = json.loads(limited.output)
    assert shown["total"] == 4 and len(shown["items"]) == 1
    calls = await run_cli(
        server, "charge-point", "messages", cp_id, "--type", "CALL", "--direction", "in", "--json"
    )
    assert calls.exit_code == 0, calls.output
    assert [m["action"] for m in json.loads(calls.output)["items"]] == [
        "Heartbeat",
        "BootNotification",
    ]
    missing = await run_cli(server, "charge-point", "messages", "NOPE-404")
    assert missing.exit_code == 1 and "404" in missing.output


async def test_a_clean_stop_loses_no_frame_and_the_log_can_be_off(server_factory: Any) -> None:
    first: Server = await server_factory()
    async with api_client(first) as api:
        cp_id = unique()
        assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201
    async with OcppClient.connect(first.ws_url, cp_id) as client:
        await client.boot()
        for n in range(20):
            await client.call("Heartbeat", {}, unique_id=f"hb-{n}")
    assert first.stop() == 0  # SIGTERM right after the last answer: nothing read it yet

    second: Server = await server_factory("--no-message-log", database_url=first.database_url)
    async with api_client(second) as api:
        kept = await messages(api, cp_id, limit=100)
        assert kept["total"] == 42
        assert kept["items"][0]["messageId"] == "hb-19"
        async with OcppClient.connect(second.ws_url, cp_id) as client:
            await client.call("Heartbeat", {})
        assert (await messages(api, cp_id))["total"] == 42  # the log is off: nothing new


async def test_every_node_of_a_cluster_lists_the_same_frames(tmp_path: Path) -> None:
    async with cluster(tmp_path) as (a, b):
        async with api_client(a) as api_a, api_client(b) as api_b:
            cp_id = unique()
            assert (await api_a.post("/charge-points", json={"id": cp_id})).status_code == 201
            async with OcppClient.connect(b.ws_url, cp_id) as client:
                await client.boot()
                await wait_for(lambda: connected_on(api_a, cp_id))
                reset = await api_a.post(
                    f"/charge-points/{cp_id}/commands/Reset", json={"type": "Soft"}
                )
                assert reset.status_code == 200, reset.text
                await client.call("Heartbeat", {}, unique_id="last")
                # At once, on the node that does not hold the charge point: it has the
                # holding node write out what still waits there.
                on_a = await messages(api_a, cp_id)
                on_b = await messages(api_b, cp_id)
    assert on_a == on_b
    assert kinds(on_a["items"]) == [
        ("out", "CALLRESULT", "Heartbeat"),
        ("in", "CALL", "Heartbeat"),
        ("in", "CALLRESULT", "Reset"),
        ("out", "CALL", "Reset"),
        ("out", "CALLRESULT", "BootNotification"),
        ("in", "CALL", "BootNotification"),
    ]
