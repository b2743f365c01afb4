"""The rest of the OCPP 1.6 security whitepaper end to end, with the simulated charge
point: signed firmware updates and rollouts (L01), GetLog (N01) and security profile
upgrades (A05), through a real server with real downloads, uploads and reconnections."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from ampyre.simulator import SimulatedChargePoint
from tests.certificates import make_signing_pair
from tests.conftest import api_client, run_cli, running_server, unique
from tests.server import Server, wait_for

T = TypeVar("T")
FIRMWARE = os.urandom(50_000)


@pytest.fixture(scope="module")
async def sec_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """A server that signs hosted firmware, with frequent sweeps."""
    workdir = tmp_path_factory.mktemp(f"secfw-{backend}")
    signing = make_signing_pair(workdir)
    async with running_server(
        backend,
        workdir,
        "--firmware-signing-key",
        str(signing["key"]),
        "--firmware-signing-certificate",
        str(signing["cert"]),
        "--data-dir",
        str(workdir / "data"),
        "--sweep-interval",
        "0.5",
    ) as instance:
        yield instance


@pytest.fixture
async def sec_api(sec_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(sec_server) as client:
        yield client


async def simulated(
    server: Server, api: httpx.AsyncClient, **registration: Any
) -> SimulatedChargePoint:
    identity = unique()
    created = await api.post("/charge-points", json={"id": identity, **registration})
    assert created.status_code == 201, created.text
    cp = SimulatedChargePoint(
        server.ws_url, identity, follow_up_delay=0.01, password=registration.get("password")
    )
    await cp.connect()
    await cp.boot()
    return cp


async def until(fetch: Callable[[], Awaitable[T]], check: Callable[[T], bool]) -> T:
    """`fetch()` once `check` holds of it (wait_for's predicate, for an async fetch)."""

    async def ready() -> T | None:
        value = await fetch()
        return value if check(value) else None

    result: T = await wait_for(ready)
    return result


async def get_json(api: httpx.AsyncClient, path: str) -> Any:
    response = await api.get(path)
    assert response.status_code == 200, response.text
    return response.json()


# -- signed firmware (L01) -----------------------------------------------------------------


async def test_signed_rollout_reaches_installed(
    sec_server: Server, sec_api: httpx.AsyncClient
) -> None:
    image = (
        await sec_api.post("/firmware", params={"filename": "fw.bin"}, content=FIRMWARE)
    ).json()
    charge_points = [await simulated(sec_server, sec_api) for _ in range(2)]
    try:
        started = await sec_api.post(
            "/firmware-rollouts",
            json={
                "firmwareId": image["firmwareId"],
                "chargePointIds": [cp.charge_point_id for cp in charge_points],
                "signed": True,
            },
        )
        assert started.status_code == 202, started.text
        assert started.json()["signed"] is True
        assert "BEGIN CERTIFICATE" in started.json()["signingCertificate"]
        rollout_id = started.json()["rolloutId"]
        final = await until(
            lambda: get_json(sec_api, f"/firmware-rollouts/{rollout_id}"),
            lambda body: body["state"] == "Finished",
        )
        assert final["counts"] == {"Installed": 2}
        for cp in charge_points:
            sent = [payload for action, payload in cp.received if action == "SignedUpdateFirmware"]
            assert len(sent) == 1
            update = (
                await get_json(sec_api, f"/charge-points/{cp.charge_point_id}/firmware-updates")
            )["items"][0]
            assert update["signed"] is True
            assert sent[0]["requestId"] == update["updateId"]
            statuses = [event["status"] for event in update["statusNotifications"]]
            assert statuses == [
                "Downloading",
                "Downloaded",
                "SignatureVerified",
                "Installing",
                "Installed",
            ]
            described = await get_json(sec_api, f"/charge-points/{cp.charge_point_id}")
            assert described["firmwareStatus"] == "Installed"
        # The key itself is never part of any answer.
        assert "PRIVATE KEY" not in started.text
    finally:
        for cp in charge_points:
            await cp.close()


async def test_signed_update_with_a_bad_signature_is_invalid(
    sec_server: Server, sec_api: httpx.AsyncClient, tmp_path: Path
) -> None:
    image = (
        await sec_api.post("/firmware", params={"filename": "fw.bin"}, content=FIRMWARE)
    ).json()
    other = make_signing_pair(tmp_path, "other")
    certificate = other["cert"].read_text()
    cp = await simulated(sec_server, sec_api)
    try:
        response = await sec_api.post(
            f"/charge-points/{cp.charge_point_id}/firmware-updates",
            json={
                "firmwareId": image["firmwareId"],
                "signed": True,
                # A well-formed signature, but over other bytes and by another key.
                "signature": base64.b64encode(os.urandom(64)).decode(),
                "signingCertificate": certificate,
            },
        )
        assert response.status_code == 201, response.text
        update_id = response.json()["updateId"]
        update = await until(
            lambda: get_json(
                sec_api, f"/charge-points/{cp.charge_point_id}/firmware-updates/{update_id}"
            ),
            lambda body: body["finishedAt"] is not None,
        )
        assert update["status"] == "InvalidSignature"
        assert [e["status"] for e in update["statusNotifications"]][-1] == "InvalidSignature"
    finally:
        await cp.close()


async def test_signed_update_refusals(
    sec_server: Server, sec_api: httpx.AsyncClient, server: Server
) -> None:
    cp = await simulated(sec_server, sec_api)
    path = f"/charge-points/{cp.charge_point_id}/firmware-updates"
    try:
        for body in (
            {"location": "https://x.example/fw.bin", "signature": "AAAA"},  # not signed: true
            {"location": "https://x.example/fw.bin", "signed": True, "signature": "AAAA"},
            {
                "location": "https://x.example/fw.bin",
                "signed": True,
                "signature": "not base64!",
                "signingCertificate": "-----BEGIN CERTIFICATE-----\nAA==\n",
            },
            # Ampyre signs only what it hosts.
            {"location": "https://x.example/fw.bin", "signed": True},
        ):
            response = await sec_api.post(path, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["detail"]
        assert not [a for a, _ in cp.received if a == "SignedUpdateFirmware"]
    finally:
        await cp.close()
    # A server started without a signing key: a signed update of a hosted image is a 409.
    async with api_client(server) as api:
        image = (await api.post("/firmware", params={"filename": "f.bin"}, content=b"x")).json()
        identity = unique()
        await api.post("/charge-points", json={"id": identity})
        response = await api.post(
            f"/charge-points/{identity}/firmware-updates",
            json={"firmwareId": image["firmwareId"], "signed": True},
        )
        assert response.status_code == 409, response.text
        assert "--firmware-signing-key" in response.json()["detail"]


# -- GetLog (N01) ---------------------------------------------------------------------------


@pytest.mark.parametrize("log_type", ["SecurityLog", "DiagnosticsLog"])
async def test_get_log_uploads_into_the_file_store(
    sec_server: Server, sec_api: httpx.AsyncClient, log_type: str
) -> None:
    cp = await simulated(sec_server, sec_api)
    base = f"/charge-points/{cp.charge_point_id}"
    try:
        response = await sec_api.post(f"{base}/log-requests", json={"logType": log_type})
        assert response.status_code == 201, response.text
        request_id = response.json()["requestId"]
        sent = next(payload for action, payload in cp.received if action == "GetLog")
        assert sent["requestId"] == request_id
        assert sent["logType"] == log_type
        request = await until(
            lambda: get_json(sec_api, f"{base}/log-requests/{request_id}"),
            lambda body: body["status"] == "Uploaded" and bool(body["files"]),
        )
        assert request["logType"] == log_type
        assert [e["status"] for e in request["statusNotifications"]] == ["Uploading", "Uploaded"]
        file = request["files"][0]
        assert file["filename"] == request["fileName"]
        # Listed and downloadable with the diagnostics files.
        listed = await get_json(sec_api, f"{base}/diagnostics")
        assert file["fileId"] in [item["fileId"] for item in listed["items"]]
        download = await sec_api.get(f"{base}/diagnostics/{file['fileId']}")
        assert download.status_code == 200
        assert cp.charge_point_id.encode() in download.content
        # Log requests are not diagnostics requests, and the other way round.
        assert (await get_json(sec_api, f"{base}/diagnostics-requests"))["total"] == 0
        assert (await get_json(sec_api, f"{base}/log-requests"))["total"] == 1
    finally:
        await cp.close()


async def test_get_log_refusals(sec_server: Server, sec_api: httpx.AsyncClient) -> None:
    cp = await simulated(sec_server, sec_api)
    base = f"/charge-points/{cp.charge_point_id}/log-requests"
    try:
        for body, status in (
            ({"logType": "KernelLog"}, 422),
            ({"transport": "external"}, 422),
            ({"transport": "ftp"}, 409),  # this server runs no FTP server
            (
                {
                    "oldestTimestamp": "2026-01-02T00:00:00Z",
                    "latestTimestamp": "2026-01-01T00:00:00Z",
                },
                422,
            ),
        ):
            response = await sec_api.post(base, json=body)
            assert response.status_code == status, (body, response.text)
            assert response.json()["detail"]
        assert (
            await sec_api.post("/charge-points/nobody/log-requests", json={})
        ).status_code == 404
    finally:
        await cp.close()


async def test_cli_signed_update_and_get_log(
    sec_server: Server, sec_api: httpx.AsyncClient
) -> None:
    image = (
        await sec_api.post("/firmware", params={"filename": "fw.bin"}, content=FIRMWARE)
    ).json()
    cp = await simulated(sec_server, sec_api)
    identity = cp.charge_point_id
    try:
        result = await run_cli(
            sec_server,
            "firmware",
            "update",
            identity,
            "--firmware-id",
            str(image["firmwareId"]),
            "--signed",
        )
        assert result.exit_code == 0, result.output
        assert [a for a, _ in cp.received].count("SignedUpdateFirmware") == 1
        result = await run_cli(sec_server, "diagnostics", "log", identity, "--type", "SecurityLog")
        assert result.exit_code == 0, result.output
        assert "SecurityLog request" in result.output
        await until(
            lambda: get_json(sec_api, f"/charge-points/{identity}/log-requests"),
            lambda body: body["items"][0]["status"] == "Uploaded",
        )
        result = await run_cli(sec_server, "diagnostics", "list", "--logs", identity)
        assert result.exit_code == 0, result.output
        assert "SecurityLog" in result.output and "Uploaded" in result.output
        result = await run_cli(
            sec_server, "firmware", "update", identity, "--location", "x", "--signature", "AA"
        )
        assert result.exit_code != 0
        assert "--signed" in result.output
    finally:
        await cp.close()


# -- security profile upgrades (A05) ---------------------------------------------------------


def basic(identity: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def test_upgrade_to_profile_1_then_no_connection_without_password(
    sec_server: Server, sec_api: httpx.AsyncClient
) -> None:
    cp = await simulated(sec_server, sec_api)
    identity = cp.charge_point_id
    try:
        response = await sec_api.post(
            f"/charge-points/{identity}/security-profile", json={"profile": 1}
        )
        assert response.status_code == 200, response.text
        assert response.json()["securityProfile"] == 1
        changes = [p for a, p in cp.received if a == "ChangeConfiguration"]
        assert [p["key"] for p in changes] == ["AuthorizationKey", "SecurityProfile"]
        # The simulator reconnects with the new profile: Basic auth with the new key.
        await until(
            lambda: get_json(sec_api, f"/charge-points/{identity}"),
            lambda body: body["connected"] and cp.password is not None,
        )
        assert cp.password == changes[0]["value"]
        # Without the password, a connection is refused at the upgrade, and logged.
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(
                f"{sec_server.ws_url}/{identity}",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            ):
                pass
        assert refused.value.response.status_code == 401
        events = await get_json(
            sec_api, f"/charge-points/{identity}/events?action=ConnectionRefused"
        )
        assert events["total"] >= 1
        # The password works (the charge point's own reconnection proved it too).
        async with websockets.connect(
            f"{sec_server.ws_url}/{identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=basic(identity, changes[0]["value"]),
        ):
            pass
    finally:
        await cp.close()


async def test_no_downgrade_and_prerequisites(
    sec_server: Server, sec_api: httpx.AsyncClient
) -> None:
    cp = await simulated(sec_server, sec_api, password="a-password-of-16+", securityProfile=1)
    path = f"/charge-points/{cp.charge_point_id}/security-profile"
    try:
        for body, status, detail in (
            ({"profile": 0}, 409, "never be downgraded remotely"),
            ({"profile": 1}, 409, "already"),
            ({"profile": 2}, 409, "root certificate"),
            ({"profile": 4}, 422, ""),
        ):
            response = await sec_api.post(path, json=body)
            assert response.status_code == status, (body, response.text)
            assert detail in str(response.json()["detail"])
        # Confirmed, but this charge point has no TLS: it refuses (A05.FR.03), and the
        # profile stays.
        response = await sec_api.post(path, json={"profile": 2, "rootCertificateInstalled": True})
        assert response.status_code == 409, response.text
        assert "Rejected" in response.json()["detail"]
        described = await get_json(sec_api, f"/charge-points/{cp.charge_point_id}")
        assert described["securityProfile"] == 1
        # Installed through Ampyre (InstallCertificate), the root certificate is known:
        # no confirmation needed, the upgrade is asked for (and refused the same way).
        ca_pem = (await sec_api.get("/ca")).json()["certificate"]
        installed = await sec_api.post(
            f"/charge-points/{cp.charge_point_id}/certificates/install",
            json={"certificateType": "CentralSystemRootCertificate", "certificate": ca_pem},
        )
        assert installed.json() == {"status": "Accepted"}, installed.text
        response = await sec_api.post(path, json={"profile": 2})
        assert response.status_code == 409 and "Rejected" in response.json()["detail"]
    finally:
        await cp.close()


async def test_a_refused_upgrade_leaves_the_charge_point_able_to_connect(
    sec_server: Server, sec_api: httpx.AsyncClient
) -> None:
    cp = await simulated(sec_server, sec_api)
    identity = cp.charge_point_id
    # It takes the AuthorizationKey, then refuses the new profile.
    cp.responses["ChangeConfiguration"] = lambda payload: {
        "status": "Accepted" if payload["key"] == "AuthorizationKey" else "Rejected"
    }
    try:
        response = await sec_api.post(
            f"/charge-points/{identity}/security-profile", json={"profile": 1}
        )
        assert response.status_code == 409, response.text
        assert "SecurityProfile" in response.json()["detail"]
        described = await get_json(sec_api, f"/charge-points/{identity}")
        assert described["securityProfile"] == 0
        # Still at profile 0, the charge point connects without a password.
        async with websockets.connect(
            f"{sec_server.ws_url}/{identity}",
            subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        ):
            pass
    finally:
        await cp.close()
