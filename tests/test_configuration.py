"""Configuration keys: learned from answers; fetched after boot only when the operator asks."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import Server, wait_for

CONFIGURATION = {
    "configurationKey": [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ],
    "unknownKey": ["Nope"],
}


async def test_answers_are_kept_and_nothing_is_sent_unasked(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        client.answers["GetConfiguration"] = CONFIGURATION
        await client.boot()
        await asyncio.sleep(1.5)
        assert client.received == []  # the default: no traffic the operator did not ask for
        await api.post(f"/charge-points/{cp_id}/commands/GetConfiguration", json={})
        await api.post(
            f"/charge-points/{cp_id}/commands/ChangeConfiguration",
            json={"key": "HeartbeatInterval", "value": "60"},
        )
    keys = (await api.get(f"/charge-points/{cp_id}/configuration")).json()["items"]
    by_key = {k["key"]: k for k in keys}
    assert by_key["HeartbeatInterval"]["value"] == "60"
    assert by_key["NumberOfConnectors"]["readonly"] is True
    assert by_key["Nope"]["known"] is False


async def test_boot_policy_fetches_the_configuration(server_factory: object) -> None:
    server: Server = await server_factory("--fetch-configuration-on-boot")  # type: ignore[operator]
    async with api_client(server) as api:
        identity = unique()
        await api.post("/charge-points", json={"id": identity})
        async with OcppClient.connect(server.ws_url, identity) as client:
            client.answers["GetConfiguration"] = CONFIGURATION
            await client.boot()
            await client.wait_for_call("GetConfiguration")

            async def stored() -> bool:
                items = (await api.get(f"/charge-points/{identity}/configuration")).json()["items"]
                return len(items) == 3

            await wait_for(stored)


async def test_accepted_authorization_key_becomes_the_password(
    server: Server, api: httpx.AsyncClient
) -> None:
    """Security whitepaper A01: the old credentials stop working, the new ones work."""
    identity = unique()
    await api.post("/charge-points", json={"id": identity, "password": "old-password-123456"})
    new_key = "0123456789abcdef0123456789abcdef"
    async with OcppClient.connect(server.ws_url, identity, password="old-password-123456") as cp:
        await cp.boot()
        answer = await api.post(
            f"/charge-points/{identity}/commands/ChangeConfiguration",
            json={"key": "AuthorizationKey", "value": new_key},
        )
        assert answer.json() == {"status": "Accepted"}
    keys = (await api.get(f"/charge-points/{identity}/configuration")).json()["items"]
    assert [k["value"] for k in keys if k["key"] == "AuthorizationKey"] == [None]
    async with OcppClient.connect(server.ws_url, identity, password=new_key) as cp:
        assert (await cp.call("Heartbeat", {}))["currentTime"]
    with pytest.raises(InvalidStatus):
        async with OcppClient.connect(server.ws_url, identity, password="old-password-123456"):
            pass
    detail = (await api.get(f"/charge-points/{identity}")).json()
    assert detail["securityProfile"] == 1
