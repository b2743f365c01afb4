"""OCPP-J 1.6 transport through a real server: upgrade refusals, framing, errors, retries."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.conftest import unique
from tests.ocpp_client import CallErrorReceived, OcppClient
from tests.server import Server


async def refused_status(server: Server, charge_point_id: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as info:
        async with OcppClient.connect(server.ws_url, charge_point_id, **kwargs):  # type: ignore[arg-type]
            pass
    return info.value.response.status_code


async def test_unknown_identity_is_refused_with_404(server: Server) -> None:
    assert await refused_status(server, unique("NOPE")) == 404


async def test_missing_subprotocol_is_refused_with_400(server: Server, cp_id: str) -> None:
    assert await refused_status(server, cp_id, subprotocols=["ocpp2.0.1"]) == 400


async def test_several_subprotocols_get_ocpp16(server: Server, cp_id: str) -> None:
    async with websockets.connect(
        f"{server.ws_url}/{cp_id}",
        subprotocols=["ocpp2.0.1", "ocpp1.6"],  # type: ignore[list-item]
    ) as websocket:
        assert websocket.subprotocol == "ocpp1.6"


async def test_password_is_required_and_checked(server: Server, api: httpx.AsyncClient) -> None:
    identity = unique()
    created = await api.post("/charge-points", json={"id": identity, "password": "s3cret-pass"})
    assert created.status_code == 201
    assert created.json()["securityProfile"] == 1
    assert await refused_status(server, identity) == 401
    assert await refused_status(server, identity, password="wrong") == 401
    assert await refused_status(server, identity, password="s3cret-pass", username="other") == 401
    async with OcppClient.connect(server.ws_url, identity, password="s3cret-pass") as client:
        assert (await client.boot())["status"] == "Accepted"


async def test_identity_is_exactly_one_path_segment(server: Server, cp_id: str) -> None:
    """`/ocpp/x/y/CP-1` names no charge point, even when CP-1 is registered (404)."""
    for path in (f"x/{cp_id}", f"x/y/{cp_id}"):
        with pytest.raises(InvalidStatus) as info:
            async with websockets.connect(
                f"{server.ws_url}/{path}",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            ):
                pass
        assert info.value.response.status_code == 404
    async with OcppClient.connect(server.ws_url, cp_id) as client:  # the one segment works
        assert (await client.boot())["status"] == "Accepted"


async def test_identity_is_url_decoded(server: Server, api: httpx.AsyncClient) -> None:
    identity = unique("CP with space")
    assert (await api.post("/charge-points", json={"id": identity})).status_code == 201
    async with OcppClient.connect(server.ws_url, identity) as client:
        await client.boot()
    detail = await api.get(f"/charge-points/{identity}")
    assert detail.json()["chargePointVendor"] == "TestVendor"


async def test_text_that_is_not_json_gets_a_callerror_and_the_connection_lives(
    server: Server, cp_id: str
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.ws.send("this is { not json")
        frame = await asyncio.wait_for(client.raw.get(), 5)
        assert frame[0] == 4 and frame[1] == "-1" and frame[2] == "FormationViolation"
        await client.ws.send(json.dumps({"not": "an array"}))
        frame = await asyncio.wait_for(client.raw.get(), 5)
        assert frame[2] == "ProtocolError"
        await client.ws.send(json.dumps([9, "x1", "Heartbeat", {}]))
        frame = await asyncio.wait_for(client.raw.get(), 5)
        assert frame[1] == "x1" and frame[2] == "ProtocolError"
        assert (await client.boot())["status"] == "Accepted"


async def test_frame_shape_errors(server: Server, cp_id: str) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        frame = await client.send_frame([2, "a1", "Heartbeat"], "a1")
        assert frame[:3] == [4, "a1", "ProtocolError"]
        frame = await client.send_frame([2, "a2", "Heartbeat", []], "a2")
        assert frame[:3] == [4, "a2", "FormationViolation"]


async def test_unknown_action_is_not_implemented(server: Server, cp_id: str) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        with pytest.raises(CallErrorReceived) as info:
            await client.call("MakeCoffee", {})
        assert info.value.code == "NotImplemented"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"chargePointVendor": "V"}, "OccurenceConstraintViolation"),
        ({"chargePointVendor": 5, "chargePointModel": "M"}, "TypeConstraintViolation"),
        ({"chargePointVendor": "V" * 21, "chargePointModel": "M"}, "PropertyConstraintViolation"),
        ({"chargePointVendor": "V", "chargePointModel": "M", "x": 1}, "FormationViolation"),
    ],
)
async def test_schema_violations_get_the_spec_error_code(
    server: Server, cp_id: str, payload: dict[str, object], code: str
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        with pytest.raises(CallErrorReceived) as info:
            await client.call("BootNotification", payload)
        assert info.value.code == code
        assert info.value.description


async def test_a_repeated_call_gets_the_same_answer_and_takes_effect_once(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    start = {
        "connectorId": 1,
        "idTag": "ANY",
        "meterStart": 10,
        "timestamp": "2026-01-01T10:00:00Z",
    }
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        first = await client.call("StartTransaction", start, unique_id="same-id")
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        again = await client.call("StartTransaction", start, unique_id="same-id")
    assert again == first
    listed = await api.get("/transactions", params={"chargePointId": cp_id})
    assert listed.json()["total"] == 1


async def test_new_connection_replaces_the_old_one(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as old:
        await old.boot()
        async with OcppClient.connect(server.ws_url, cp_id) as new:
            await asyncio.wait_for(old.ws.wait_closed(), 5)
            detail = await api.get(f"/charge-points/{cp_id}")
            assert detail.json()["connected"] is True
            answer = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
            assert answer.status_code == 200
            assert [a for a, _ in new.received] == ["ClearCache"]
            assert old.received == []
        await asyncio.sleep(0.2)
    detail = await api.get(f"/charge-points/{cp_id}")
    assert detail.json()["connected"] is False


async def test_lenient_charge_point_is_normalised_and_deviations_are_recorded(
    server: Server, api: httpx.AsyncClient
) -> None:
    identity = unique()
    await api.post("/charge-points", json={"id": identity, "lenient": True})
    async with OcppClient.connect(server.ws_url, identity) as client:
        answer = await client.call(
            "BootNotification",
            {
                "chargePointVendor": "V",
                "chargePointModel": "M",
                "chargePointSerialNumber": "S" * 30,
            },
        )
        assert answer["status"] == "Accepted"
        start = await client.call(
            "StartTransaction",
            {
                "connectorId": "1",
                "idTag": "T",
                "meterStart": "100",
                "timestamp": "2026-01-01T11:00:00+01:00",
            },
        )
        await client.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": start["transactionId"],
                "meterValue": {
                    "timestamp": "2026-01-01T10:05:00",
                    "sampledValue": [{"value": "5"}],
                },
            },
        )
    transaction = (await api.get(f"/transactions/{start['transactionId']}")).json()
    assert transaction["meterStart"] == 100
    assert transaction["startTimestamp"] == "2026-01-01T10:00:00.000Z"
    assert transaction["meterValues"][0]["timestamp"] == "2026-01-01T10:05:00.000Z"
    deviations = (await api.get(f"/charge-points/{identity}/deviations")).json()["items"]
    kinds = {d["kind"] for d in deviations}
    assert {
        "string_too_long",
        "number_as_string",
        "timestamp_offset",
        "object_for_array",
        "timestamp_without_zone",
    } <= kinds


async def test_strict_charge_point_gets_errors_for_the_same_deviations(
    server: Server, cp_id: str
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        with pytest.raises(CallErrorReceived) as info:
            await client.call(
                "StartTransaction",
                {
                    "connectorId": "1",
                    "idTag": "T",
                    "meterStart": 1,
                    "timestamp": "2026-01-01T10:00:00Z",
                },
            )
        assert info.value.code == "TypeConstraintViolation"


async def test_lenient_charge_point_answers_are_normalised_too(
    server: Server, api: httpx.AsyncClient
) -> None:
    identity = unique()
    await api.post("/charge-points", json={"id": identity, "lenient": True})
    async with OcppClient.connect(server.ws_url, identity) as client:
        await client.boot()
        client.answers["GetConfiguration"] = {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": "false", "value": "60"}]
        }
        response = await api.post(f"/charge-points/{identity}/commands/GetConfiguration", json={})
    assert response.status_code == 200
    assert response.json()["configurationKey"][0]["readonly"] is False
    deviations = (await api.get(f"/charge-points/{identity}/deviations")).json()["items"]
    assert any(d["kind"] == "boolean_as_string" for d in deviations)
