"""Security profiles 2 and 3 over TLS, dead-connection detection and the frame size limit."""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.certificates import make_pki
from tests.conftest import unique
from tests.ocpp_client import OcppClient
from tests.server import TOKEN, Server, wait_for


def basic(identity: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_security_profile_2_basic_auth_over_tls(
    server_factory: object, tmp_path: Path
) -> None:
    pki = make_pki(tmp_path, "unused")
    server: Server = await server_factory(  # type: ignore[operator]
        "--tls-cert", str(pki["server_cert"]), "--tls-key", str(pki["server_key"])
    )
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    base = f"https://127.0.0.1:{server.port}/api/v1"
    identity = unique()
    async with httpx.AsyncClient(verify=context) as api:
        assert (await api.get(f"{base}/health")).json() == {"status": "ok"}
        created = await api.post(
            f"{base}/charge-points",
            json={"id": identity, "password": "profile-2-secret", "securityProfile": 2},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert created.status_code == 201, created.text
    url = f"wss://127.0.0.1:{server.port}/ocpp/{identity}"
    async with websockets.connect(
        url,
        ssl=context,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic(identity, "profile-2-secret"),
    ) as websocket:
        client = OcppClient(websocket)
        assert (await client.boot())["status"] == "Accepted"
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(
            url,
            ssl=context,
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic(identity, "wrong"),
        ):
            pass
    assert info.value.response.status_code == 401


async def test_profile_2_behind_a_tls_proxy_only_from_trusted_addresses(
    server_factory: object,
) -> None:
    """X-Forwarded-Proto: https makes ws:// count as TLS only from --trusted-proxies."""
    trusting: Server = await server_factory("--trusted-proxies", "127.0.0.0/8")  # type: ignore[operator]
    distrusting: Server = await server_factory()  # type: ignore[operator]
    for server, accepted in ((trusting, True), (distrusting, False)):
        identity = unique()
        async with httpx.AsyncClient() as api:
            created = await api.post(
                f"{server.http_url}/api/v1/charge-points",
                json={"id": identity, "password": "profile-2-secret", "securityProfile": 2},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert created.status_code == 201, created.text
        headers = {**basic(identity, "profile-2-secret"), "X-Forwarded-Proto": "https"}
        connecting = websockets.connect(
            f"{server.ws_url}/{identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=headers,
        )
        if accepted:
            async with connecting as websocket:
                assert (await OcppClient(websocket).boot())["status"] == "Accepted"
        else:
            with pytest.raises(InvalidStatus):
                async with connecting:
                    pass


async def test_security_profile_3_requires_a_client_certificate(
    server_factory: object, tmp_path: Path
) -> None:
    identity = unique()
    pki = make_pki(tmp_path, identity)
    server: Server = await server_factory(  # type: ignore[operator]
        "--tls-cert",
        str(pki["server_cert"]),
        "--tls-key",
        str(pki["server_key"]),
        "--tls-client-ca",
        str(pki["ca"]),
    )
    with_cert = ssl.create_default_context(cafile=str(pki["ca"]))
    with_cert.load_cert_chain(str(pki["client_cert"]), str(pki["client_key"]))
    async with httpx.AsyncClient(verify=with_cert) as api:
        created = await api.post(
            f"https://127.0.0.1:{server.port}/api/v1/charge-points",
            json={"id": identity, "securityProfile": 3},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert created.status_code == 201, created.text
    url = f"wss://127.0.0.1:{server.port}/ocpp/{identity}"
    async with websockets.connect(
        url,
        ssl=with_cert,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
    ) as websocket:
        assert (await OcppClient(websocket).boot())["status"] == "Accepted"
    without_cert = ssl.create_default_context(cafile=str(pki["ca"]))
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(
            url,
            ssl=without_cert,
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        ):
            pass
    assert info.value.response.status_code == 401
    # A certificate of another charge point does not do either.
    other = unique()
    async with httpx.AsyncClient(verify=with_cert) as api:
        await api.post(
            f"https://127.0.0.1:{server.port}/api/v1/charge-points",
            json={"id": other, "securityProfile": 3},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    with pytest.raises(InvalidStatus) as info:
        async with websockets.connect(
            f"wss://127.0.0.1:{server.port}/ocpp/{other}",
            ssl=with_cert,
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        ):
            pass
    assert info.value.response.status_code == 401


async def test_a_silent_charge_point_is_found_dead_by_ping(server_factory: object) -> None:
    server: Server = await server_factory(  # type: ignore[operator]
        "--ws-ping-interval", "0.5", "--ws-ping-timeout", "0.5"
    )
    from tests.conftest import api_client

    async with api_client(server) as api:
        identity = unique()
        await api.post("/charge-points", json={"id": identity})
        async with OcppClient.connect(server.ws_url, identity) as client:
            await client.boot()
            assert (await api.get(f"/charge-points/{identity}")).json()["connected"] is True
            # Power lost: the socket stays open but nothing answers pings any more.
            client.ws.transport.pause_reading()

            async def offline() -> bool:
                detail = (await api.get(f"/charge-points/{identity}")).json()
                return detail["connected"] is False

            await wait_for(offline, timeout=15)


async def test_oversized_message_closes_with_1009(server_factory: object) -> None:
    server: Server = await server_factory("--max-message-size", "2048")  # type: ignore[operator]
    from tests.conftest import api_client

    async with api_client(server) as api:
        identity = unique()
        await api.post("/charge-points", json={"id": identity})
    async with OcppClient.connect(server.ws_url, identity) as client:
        await client.boot()
        await client.ws.send(
            '[2,"big","DataTransfer",{"vendorId":"x","data":"' + "x" * 4096 + '"}]'
        )
        await asyncio.wait_for(client.ws.wait_closed(), 10)
        assert client.ws.close_code == 1009


async def test_wrong_passwords_are_throttled(server: Server) -> None:
    """Past ten failures in a minute an identity is refused at once (429), with no
    Argon2 check: guessing cannot take the CPU from other charge points."""
    identity = unique()
    async with httpx.AsyncClient() as api:
        created = await api.post(
            f"{server.http_url}/api/v1/charge-points",
            json={"id": identity, "password": "right-password-1"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert created.status_code == 201, created.text
    # Each server process counts its own share (with AMPYRE_TEST_WORKERS, each worker).
    workers = int(os.environ.get("AMPYRE_TEST_WORKERS") or 1)
    statuses = []
    for _ in range(10 * workers + 1):
        try:
            async with websockets.connect(
                f"{server.ws_url}/{identity}",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                additional_headers=basic(identity, "wrong"),
            ):
                statuses.append(101)
        except InvalidStatus as refused:
            statuses.append(refused.response.status_code)
        if statuses[-1] == 429:
            break
    assert statuses[:10] == [401] * 10
    assert statuses[-1] == 429
