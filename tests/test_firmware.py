"""Firmware Management end to end: hosted firmware, UpdateFirmware, rollouts, diagnostics
over HTTP and FTP, through a real server with real downloads and uploads."""

from __future__ import annotations

import asyncio
import ftplib
import hashlib
import io
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from click.testing import CliRunner, Result

from ampyre.cli import main
from tests.conftest import api_client, running_server, unique
from tests.ocpp_client import SILENT, OcppClient
from tests.server import TOKEN, Server, free_port, wait_for

LIMIT = 256 * 1024
#: How often the server looks for rollout attempts due (offline charge points back).
SWEEP_INTERVAL = 0.5
FIRMWARE = os.urandom(100_000)


@pytest.fixture(scope="module")
async def fw_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """A server with the FTP server on, a small upload limit, its own data directory and
    frequent sweeps."""
    workdir = tmp_path_factory.mktemp(f"firmware-{backend}")
    async with running_server(
        backend,
        workdir,
        "--ftp-port",
        str(free_port()),
        "--max-upload-size",
        str(LIMIT),
        "--data-dir",
        str(workdir / "data"),
        "--sweep-interval",
        str(SWEEP_INTERVAL),
    ) as instance:
        yield instance


@pytest.fixture
async def fw_api(fw_server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(fw_server) as client:
        yield client


def data_dir(server: Server) -> Path:
    return server.workdir / "data"


async def register(api: httpx.AsyncClient) -> str:
    identity = unique()
    response = await api.post("/charge-points", json={"id": identity})
    assert response.status_code == 201, response.text
    return identity


async def upload_firmware(api: httpx.AsyncClient, name: str = "fw-2.0.bin") -> dict[str, Any]:
    response = await api.post("/firmware", params={"filename": name}, content=FIRMWARE)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def latest_update(api: httpx.AsyncClient, cp_id: str) -> dict[str, Any]:
    history = (await api.get(f"/charge-points/{cp_id}/firmware-updates")).json()
    item: dict[str, Any] = history["items"][0]
    return item


async def latest_request(api: httpx.AsyncClient, cp_id: str) -> dict[str, Any]:
    history = (await api.get(f"/charge-points/{cp_id}/diagnostics-requests")).json()
    item: dict[str, Any] = history["items"][0]
    return item


async def notify(client: OcppClient, action: str, *statuses: str) -> None:
    for status in statuses:
        assert await client.call(action, {"status": status}) == {}


# -- hosted firmware ----------------------------------------------------------------------


async def test_firmware_images_upload_serve_and_delete(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    raw = await upload_firmware(fw_api, "../../etc/fw 2.0.bin")
    assert raw["filename"] == "fw 2.0.bin"  # no directories survive
    assert raw["size"] == len(FIRMWARE)
    assert raw["sha256"] == hashlib.sha256(FIRMWARE).hexdigest()
    assert raw["url"].startswith(f"{fw_server.http_url}/files/firmware/")

    form = await fw_api.post(
        "/firmware",
        files={"file": ("C:\\builds\\fw-form.bin", FIRMWARE[:1000], "application/octet-stream")},
        data={"description": "release 2.0"},
    )
    assert form.status_code == 201, form.text
    assert form.json()["filename"] == "fw-form.bin"
    assert form.json()["description"] == "release 2.0"
    assert form.json()["size"] == 1000

    listed = (await fw_api.get("/firmware")).json()
    assert {raw["firmwareId"], form.json()["firmwareId"]} <= {
        item["firmwareId"] for item in listed["items"]
    }
    assert (await fw_api.get(f"/firmware/{raw['firmwareId']}")).json() == raw

    async with httpx.AsyncClient() as charge_point:  # no credentials
        download = await charge_point.get(raw["url"])
        assert download.status_code == 200
        assert download.content == FIRMWARE
        head = await charge_point.head(raw["url"])
        assert head.status_code == 200
        assert int(head.headers["content-length"]) == len(FIRMWARE)
        ranged = await charge_point.get(raw["url"], headers={"Range": "bytes=10-19"})
        assert ranged.status_code == 206 and ranged.content == FIRMWARE[10:20]
        token_dir = raw["url"].rsplit("/", 1)[0]
        assert (await charge_point.get(f"{token_dir}/other.bin")).status_code == 404
        wrong_token = raw["url"].replace("/files/firmware/", "/files/firmware/x")
        assert (await charge_point.get(wrong_token)).status_code == 404

        deleted = await fw_api.delete(f"/firmware/{raw['firmwareId']}")
        assert deleted.status_code == 204
        assert (await charge_point.get(raw["url"])).status_code == 404
    assert (await fw_api.get(f"/firmware/{raw['firmwareId']}")).status_code == 404
    assert not list(data_dir(fw_server).rglob("fw 2.0.bin"))


async def test_firmware_upload_refusals(fw_server: Server, fw_api: httpx.AsyncClient) -> None:
    before = (await fw_api.get("/firmware")).json()["total"]
    too_large = await fw_api.post(
        "/firmware", params={"filename": "big.bin"}, content=b"x" * (LIMIT + 1)
    )
    assert too_large.status_code == 413
    assert str(LIMIT) in too_large.json()["detail"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: caught while streaming
        for _ in range(LIMIT // 4096 + 2):
            yield b"y" * 4096

    chunked = await fw_api.post("/firmware", params={"filename": "big.bin"}, content=streamed())
    assert chunked.status_code == 413
    unnamed = await fw_api.post("/firmware", content=b"abc")
    assert unnamed.status_code == 422 and "filename" in unnamed.json()["detail"]
    dots = await fw_api.post("/firmware", params={"filename": "../.."}, content=b"abc")
    assert dots.status_code == 400
    async with httpx.AsyncClient(base_url=f"{fw_server.http_url}/api/v1") as anonymous:
        assert (await anonymous.post("/firmware?filename=a", content=b"a")).status_code == 401
        assert (await anonymous.get("/firmware")).status_code == 401
    assert (await fw_api.get("/firmware")).json()["total"] == before
    assert not list(data_dir(fw_server).rglob("big.bin"))
    assert not list(data_dir(fw_server).glob("tmp/*"))


# -- UpdateFirmware -----------------------------------------------------------------------


async def test_update_firmware_with_hosted_image_end_to_end(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    image = await upload_firmware(fw_api)
    cp_id = await register(fw_api)
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        response = await fw_api.post(
            f"/charge-points/{cp_id}/firmware-updates",
            json={"firmwareId": image["firmwareId"], "retries": 2, "retryInterval": 30},
        )
        assert response.status_code == 201, response.text
        attempt = response.json()
        assert attempt["status"] == "Sent"
        assert attempt["firmwareId"] == image["firmwareId"]
        assert attempt["location"] == image["url"]
        sent = await client.wait_for_call("UpdateFirmware")
        assert sent["location"] == image["url"]
        assert sent["retries"] == 2 and sent["retryInterval"] == 30
        assert sent["retrieveDate"].endswith("Z")

        # The charge point downloads what the location names, as a charge point does.
        async with httpx.AsyncClient() as http:
            downloaded = await http.get(sent["location"])
        assert downloaded.content == FIRMWARE
        await notify(
            client,
            "FirmwareStatusNotification",
            "Downloading",
            "Downloaded",
            "Installing",
            "Installed",
        )

    history = (await fw_api.get(f"/charge-points/{cp_id}/firmware-updates")).json()
    assert history["total"] == 1
    update = history["items"][0]
    assert update["updateId"] == attempt["updateId"]
    assert update["status"] == "Installed"
    assert update["finishedAt"] is not None
    assert [n["status"] for n in update["statusNotifications"]] == [
        "Downloading",
        "Downloaded",
        "Installing",
        "Installed",
    ]
    single = await fw_api.get(f"/charge-points/{cp_id}/firmware-updates/{update['updateId']}")
    assert single.json() == update
    charge_point = (await fw_api.get(f"/charge-points/{cp_id}")).json()
    assert charge_point["firmwareStatus"] == "Installed"
    # A finished update no longer holds its image.
    assert (await fw_api.delete(f"/firmware/{image['firmwareId']}")).status_code == 204


async def test_update_firmware_failures_are_recorded(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    image = await upload_firmware(fw_api)
    cp_id = await register(fw_api)
    path = f"/charge-points/{cp_id}/firmware-updates"
    body = {"firmwareId": image["firmwareId"]}

    offline = await fw_api.post(path, json=body)
    assert offline.status_code == 409
    assert (await fw_api.get(path)).json()["total"] == 0  # nothing was attempted

    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["UpdateFirmware"] = ("NotSupported", "no firmware updates here")
        refused = await fw_api.post(path, json=body)
        assert refused.status_code == 502
        assert refused.json()["errorCode"] == "NotSupported"
        rejected = await latest_update(fw_api, cp_id)
        assert rejected["status"] == "Rejected"
        assert rejected["error"] == "NotSupported: no firmware updates here"
        assert rejected["finishedAt"] is not None

        client.answers["UpdateFirmware"] = SILENT
        silent = await fw_api.post(f"{path}?timeout=0.5", json=body)
        assert silent.status_code == 504
        timed_out = await latest_update(fw_api, cp_id)
        assert timed_out["status"] == "Error" and "no answer" in timed_out["error"]

        # Held open: in use, so deleting the image needs force.
        client.answers["UpdateFirmware"] = {}
        assert (await fw_api.post(path, json=body)).status_code == 201
        in_use = await fw_api.delete(f"/firmware/{image['firmwareId']}")
        assert in_use.status_code == 409 and "force" in in_use.json()["detail"]

        # Download fails; the charge point retries on its own and then cannot install.
        await notify(client, "FirmwareStatusNotification", "Downloading", "DownloadFailed")
        failed = await latest_update(fw_api, cp_id)
        assert failed["status"] == "DownloadFailed" and failed["finishedAt"] is not None
        await notify(client, "FirmwareStatusNotification", "Downloading", "Downloaded")
        retried = await latest_update(fw_api, cp_id)
        assert retried["updateId"] == failed["updateId"]
        assert retried["status"] == "Downloaded" and retried["finishedAt"] is None
        await notify(client, "FirmwareStatusNotification", "Installing", "InstallationFailed")
        final = await latest_update(fw_api, cp_id)
        assert final["status"] == "InstallationFailed"
        assert [n["status"] for n in final["statusNotifications"]] == [
            "Downloading",
            "DownloadFailed",
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed",
        ]
    forced = await fw_api.delete(f"/firmware/{image['firmwareId']}", params={"force": "true"})
    assert forced.status_code == 204


async def test_update_firmware_bad_requests(fw_server: Server, fw_api: httpx.AsyncClient) -> None:
    cp_id = await register(fw_api)
    path = f"/charge-points/{cp_id}/firmware-updates"
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        both = await fw_api.post(path, json={"firmwareId": 1, "location": "http://x/fw"})
        assert both.status_code == 422 and "either" in both.json()["detail"]
        assert (await fw_api.post(path, json={})).status_code == 422
        assert (await fw_api.post(path, json={"firmwareId": 10**9})).status_code == 404
        not_a_uri = await fw_api.post(path, json={"location": "no scheme here"})
        assert not_a_uri.status_code == 422
        assert client.received == []
    assert (
        await fw_api.post(f"/charge-points/{unique()}/firmware-updates", json={"location": "x"})
    ).status_code == 404
    assert (await fw_api.get(f"/charge-points/{unique()}/firmware-updates")).status_code == 404


async def test_idle_newer_attempts_and_external_locations(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    cp_id = await register(fw_api)
    path = f"/charge-points/{cp_id}/firmware-updates"
    external = "ftp://vendor:secret@firmware.example.com/fw/3.0.bin"
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        first = await fw_api.post(
            path, json={"location": external, "retrieveDate": "2030-01-01T00:00:00Z"}
        )
        assert first.status_code == 201
        assert first.json()["location"] == "ftp://vendor:***@firmware.example.com/fw/3.0.bin"
        assert first.json()["firmwareId"] is None
        assert (await client.wait_for_call("UpdateFirmware"))["location"] == external
        # Idle answers a TriggerMessage: the charge point waits for retrieveDate.
        await notify(client, "FirmwareStatusNotification", "Idle")
        waiting = await latest_update(fw_api, cp_id)
        assert waiting["status"] == "Sent"
        assert [n["status"] for n in waiting["statusNotifications"]] == ["Idle"]

        second = await fw_api.post(path, json={"location": "https://example.com/fw/3.1.bin"})
        await notify(client, "FirmwareStatusNotification", "Downloading")
        history = (await fw_api.get(path)).json()["items"]
        assert history[0]["updateId"] == second.json()["updateId"]
        assert history[0]["status"] == "Downloading"
        assert history[1]["status"] == "Superseded"
    charge_point = (await fw_api.get(f"/charge-points/{cp_id}")).json()
    assert charge_point["firmwareStatus"] == "Downloading"


async def test_generic_command_endpoint_records_the_attempt(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    image = await upload_firmware(fw_api)
    cp_id = await register(fw_api)
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        # A notification that overtakes the answer is still the attempt's.
        await notify(client, "FirmwareStatusNotification", "Downloading")
        response = await fw_api.post(
            f"/charge-points/{cp_id}/commands/UpdateFirmware",
            json={"location": image["url"], "retrieveDate": "2026-01-01T00:00:00Z"},
        )
        assert response.status_code == 200 and response.json() == {}
        update = await latest_update(fw_api, cp_id)
        assert update["firmwareId"] == image["firmwareId"]
        assert update["retrieveDate"] == "2026-01-01T00:00:00.000Z"
        assert update["status"] == "Downloading"
        await notify(client, "FirmwareStatusNotification", "Downloaded")
        assert (await latest_update(fw_api, cp_id))["status"] == "Downloaded"

        client.answers["GetDiagnostics"] = {"fileName": "vendor.tar.gz"}
        response = await fw_api.post(
            f"/charge-points/{cp_id}/commands/GetDiagnostics",
            json={"location": "ftp://u:p@logs.example.com/in/", "retries": 3},
        )
        assert response.json() == {"fileName": "vendor.tar.gz"}
        request = await latest_request(fw_api, cp_id)
        assert request["transport"] == "external"
        assert request["location"] == "ftp://u:***@logs.example.com/in/"
        assert request["fileName"] == "vendor.tar.gz" and request["status"] == "Sent"
        assert request["retries"] == 3


# -- rollouts -----------------------------------------------------------------------------


async def test_rollout_progress_with_a_rejecting_and_an_offline_charge_point(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    image = await upload_firmware(fw_api)
    accepting, rejecting, offline = [await register(fw_api) for _ in range(3)]

    async def rollout() -> dict[str, Any]:
        body: dict[str, Any] = (await fw_api.get(f"/firmware-rollouts/{rollout_id}")).json()
        return body

    def statuses(body: dict[str, Any]) -> dict[str, str]:
        return {item["chargePointId"]: item["status"] for item in body["chargePoints"]}

    async with (
        OcppClient.connect(fw_server.ws_url, accepting) as first,
        OcppClient.connect(fw_server.ws_url, rejecting) as second,
    ):
        await first.boot()
        await second.boot()
        second.answers["UpdateFirmware"] = ("NotSupported", "firmware profile not supported")
        started = await fw_api.post(
            "/firmware-rollouts",
            json={
                "firmwareId": image["firmwareId"],
                "chargePointIds": [accepting, rejecting, offline, accepting],
                "concurrency": 2,
                "retries": 1,
            },
        )
        assert started.status_code == 202, started.text
        rollout_id = started.json()["rolloutId"]
        assert started.json()["location"] == image["url"]
        assert len(started.json()["chargePoints"]) == 3  # duplicates once

        progress = await wait_for(
            lambda: _when(
                rollout(), lambda b: not {"Pending", "Sending"} & set(statuses(b).values())
            )
        )
        assert statuses(progress) == {
            accepting: "Sent",
            rejecting: "Rejected",
            offline: "Offline",
        }
        assert progress["state"] == "Running"
        errors = {item["chargePointId"]: item["error"] for item in progress["chargePoints"]}
        assert "NotSupported" in errors[rejecting]
        assert (await first.wait_for_call("UpdateFirmware"))["location"] == image["url"]

        await notify(first, "FirmwareStatusNotification", "Downloading", "Downloaded")
        assert statuses(await rollout())[accepting] == "Downloaded"
        await notify(first, "FirmwareStatusNotification", "Installing", "Installed")
        assert statuses(await rollout())[accepting] == "Installed"

        # The offline one is sent to once it is connected again (the sweep looks).
        async with OcppClient.connect(fw_server.ws_url, offline) as third:
            await third.boot()
            sent = await third.wait_for_call("UpdateFirmware", timeout=20)
            assert sent["location"] == image["url"] and sent["retries"] == 1
            await wait_for(lambda: _when(rollout(), lambda b: statuses(b)[offline] == "Sent"))
            await notify(third, "FirmwareStatusNotification", "Downloading", "DownloadFailed")

    final = await rollout()
    assert statuses(final) == {
        accepting: "Installed",
        rejecting: "Rejected",
        offline: "DownloadFailed",
    }
    assert final["state"] == "Finished"
    assert final["counts"] == {"Installed": 1, "Rejected": 1, "DownloadFailed": 1}
    listed = (await fw_api.get("/firmware-rollouts")).json()
    assert rollout_id in [item["rolloutId"] for item in listed["items"]]
    # Each charge point's own history shows its rollout attempt.
    assert (await latest_update(fw_api, accepting))["rolloutId"] == rollout_id


async def test_rollout_cancel_and_refusals(fw_server: Server, fw_api: httpx.AsyncClient) -> None:
    image = await upload_firmware(fw_api)
    offline = await register(fw_api)
    unknown = await fw_api.post(
        "/firmware-rollouts",
        json={"firmwareId": image["firmwareId"], "chargePointIds": [offline, "nope-" + unique()]},
    )
    assert unknown.status_code == 422 and "nope-" in unknown.json()["detail"]
    empty = await fw_api.post(
        "/firmware-rollouts", json={"firmwareId": image["firmwareId"], "chargePointIds": []}
    )
    assert empty.status_code == 422
    started = await fw_api.post(
        "/firmware-rollouts",
        json={"location": "https://example.com/fw.bin", "chargePointIds": [offline]},
    )
    rollout_id = started.json()["rolloutId"]
    await wait_for(
        lambda: _when(
            fw_api.get(f"/firmware-rollouts/{rollout_id}"),
            lambda r: r.json()["chargePoints"][0]["status"] == "Offline",
        )
    )
    cancelled = await fw_api.post(f"/firmware-rollouts/{rollout_id}/cancel")
    assert cancelled.json()["state"] == "Cancelled"
    assert cancelled.json()["chargePoints"][0]["status"] == "Cancelled"
    async with OcppClient.connect(fw_server.ws_url, offline) as client:
        await client.boot()
        await asyncio.sleep(SWEEP_INTERVAL * 3)  # sweeps pass: nothing is sent
        assert "UpdateFirmware" not in [action for action, _ in client.received]
    assert (await fw_api.get("/firmware-rollouts/999999")).status_code == 404


async def _when(request: Any, check: Any) -> Any:
    value = await request
    return value if check(value) else None


# -- diagnostics over HTTP ----------------------------------------------------------------


async def test_diagnostics_over_http_put(fw_server: Server, fw_api: httpx.AsyncClient) -> None:
    cp_id = await register(fw_api)
    content = b"diagnostics\n" * 1000
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["GetDiagnostics"] = {"fileName": "diag-1.log"}
        response = await fw_api.post(
            f"/charge-points/{cp_id}/diagnostics-requests",
            json={
                "transport": "http",
                "startTime": "2026-11-01T00:00:00Z",
                "stopTime": "2026-11-02T00:00:00Z",
                "retries": 2,
                "retryInterval": 60,
            },
        )
        assert response.status_code == 201, response.text
        request = response.json()
        assert request["status"] == "Sent" and request["fileName"] == "diag-1.log"
        sent = await client.wait_for_call("GetDiagnostics")
        location = sent["location"]
        assert location.startswith(f"{fw_server.http_url}/files/diagnostics/")
        assert location.endswith("/") and request["location"] == location
        assert sent["startTime"] == "2026-11-01T00:00:00.000Z"
        assert sent["stopTime"] == "2026-11-02T00:00:00.000Z"
        assert sent["retries"] == 2 and sent["retryInterval"] == 60

        await notify(client, "DiagnosticsStatusNotification", "Uploading")
        async with httpx.AsyncClient() as http:
            uploaded = await http.put(location + "diag-1.log", content=content)
            assert uploaded.status_code == 201, uploaded.text
            assert uploaded.json()["size"] == len(content)
            assert (await http.get(location + "diag-1.log")).status_code == 405  # no reading
            await notify(client, "DiagnosticsStatusNotification", "Uploaded")
            late = await http.put(location + "again.log", content=b"late")
            assert late.status_code == 410  # the request is over

    listed = await latest_request(fw_api, cp_id)
    assert listed["status"] == "Uploaded" and listed["finishedAt"] is not None
    assert [n["status"] for n in listed["statusNotifications"]] == ["Uploading", "Uploaded"]
    [received] = listed["files"]
    assert received["filename"] == "diag-1.log" and received["transport"] == "http"
    assert received["sha256"] == hashlib.sha256(content).hexdigest()
    download = await fw_api.get(received["download"].removeprefix("/api/v1"))
    assert download.status_code == 200 and download.content == content
    assert "diag-1.log" in download.headers["content-disposition"]
    files = (await fw_api.get(f"/charge-points/{cp_id}/diagnostics")).json()
    assert [f["fileId"] for f in files["items"]] == [received["fileId"]]
    charge_point = (await fw_api.get(f"/charge-points/{cp_id}")).json()
    assert charge_point["diagnosticsStatus"] == "Uploaded"


async def test_diagnostics_http_post_forms_and_raw(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    cp_id = await register(fw_api)
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["GetDiagnostics"] = {"fileName": "announced.tar"}
        await fw_api.post(f"/charge-points/{cp_id}/diagnostics-requests", json={})
        location = (await client.wait_for_call("GetDiagnostics"))["location"]
    async with httpx.AsyncClient() as http:
        form = await http.post(location, files={"file": ("C:\\logs\\form.log", b"form body")})
        assert form.status_code == 201, form.text
        assert form.json()["filename"] == "form.log"
        raw = await http.post(location, content=b"raw body")
        assert raw.json()["filename"] == "announced.tar"  # the name GetDiagnostics.conf gave
        named = await http.post(location + "named.log", files={"f": ("other.log", b"named")})
        assert named.json()["filename"] == "named.log"  # the URL's name wins
        replaced = await http.put(location + "named.log", content=b"second try")
        assert replaced.json()["fileId"] == named.json()["fileId"]
    files = (await latest_request(fw_api, cp_id))["files"]
    assert sorted((f["filename"], f["size"]) for f in files) == [
        ("announced.tar", 8),
        ("form.log", 9),
        ("named.log", 10),
    ]


async def test_diagnostics_upload_limits_names_and_isolation(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    first_cp, second_cp = await register(fw_api), await register(fw_api)
    locations = {}
    for cp_id in (first_cp, second_cp):
        async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
            await client.boot()
            client.answers["GetDiagnostics"] = {"fileName": "same.log"}
            await fw_api.post(f"/charge-points/{cp_id}/diagnostics-requests", json={})
            locations[cp_id] = (await client.wait_for_call("GetDiagnostics"))["location"]
    first, second = locations[first_cp], locations[second_cp]

    async with httpx.AsyncClient() as http:
        too_large = await http.put(first + "big.log", content=b"x" * (LIMIT + 1))
        assert too_large.status_code == 413

        async def streamed() -> AsyncIterator[bytes]:
            for _ in range(LIMIT // 4096 + 2):
                yield b"y" * 4096

        assert (await http.put(first + "big.log", content=streamed())).status_code == 413
        assert (await http.put(first + "..%2F..%2Fescape.txt", content=b"x")).status_code in (
            404,
            405,
        )
        assert (await http.put(first + "%2E%2E", content=b"x")).status_code == 400
        control = await http.put(first + "%01bad%0A%7Fname.log", content=b"x")
        assert control.status_code == 201 and control.json()["filename"] == "badname.log"
        unknown = first.replace("/files/diagnostics/", "/files/diagnostics/zz")
        assert (await http.put(unknown + "x.log", content=b"x")).status_code == 404

        # Both upload "same.log": each lands in its own request, neither sees the other's.
        assert (await http.put(first + "same.log", content=b"first")).status_code == 201
        assert (await http.put(second + "same.log", content=b"second")).status_code == 201
        assert (await http.get(second + "same.log")).status_code == 405

    first_files = (await latest_request(fw_api, first_cp))["files"]
    second_files = (await latest_request(fw_api, second_cp))["files"]
    assert sorted(f["filename"] for f in first_files) == ["badname.log", "same.log"]
    assert [f["filename"] for f in second_files] == ["same.log"]
    second_file = second_files[0]
    assert (await fw_api.get(second_file["download"].removeprefix("/api/v1"))).content == b"second"
    # A file id of one charge point is not reachable under another.
    wrong = await fw_api.get(f"/charge-points/{first_cp}/diagnostics/{second_file['fileId']}")
    assert wrong.status_code == 404
    stored = data_dir(fw_server)
    assert not list(stored.rglob("big.log"))
    assert not list(fw_server.workdir.rglob("escape.txt"))
    assert not list(stored.glob("tmp/*"))


async def test_diagnostics_refusals(
    fw_server: Server, fw_api: httpx.AsyncClient, server: Server, api: httpx.AsyncClient
) -> None:
    cp_id = await register(fw_api)
    path = f"/charge-points/{cp_id}/diagnostics-requests"
    assert (await fw_api.post(path, json={})).status_code == 409  # not connected
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["GetDiagnostics"] = ("InternalError", "disk on fire")
        refused = await fw_api.post(path, json={"transport": "http"})
        assert refused.status_code == 502
        rejected = await latest_request(fw_api, cp_id)
        assert rejected["status"] == "Rejected" and "InternalError" in rejected["error"]
        location = client.received[-1][1]["location"]
        async with httpx.AsyncClient() as http:
            assert (await http.put(location + "x.log", content=b"x")).status_code == 410

        client.answers["GetDiagnostics"] = {}  # no diagnostics available (5.9)
        nothing = await fw_api.post(path, json={})
        assert nothing.json()["status"] == "NoFile" and nothing.json()["fileName"] is None

        client.answers["GetDiagnostics"] = SILENT
        silent = await fw_api.post(f"{path}?timeout=0.5", json={})
        assert silent.status_code == 504
        assert (await latest_request(fw_api, cp_id))["status"] == "Error"

        assert (await fw_api.post(path, json={"transport": "external"})).status_code == 422
        with_location = await fw_api.post(
            path, json={"transport": "http", "location": "ftp://elsewhere/"}
        )
        assert with_location.status_code == 422
        backwards = await fw_api.post(
            path, json={"startTime": "2026-02-01T00:00:00Z", "stopTime": "2026-01-01T00:00:00Z"}
        )
        assert backwards.status_code == 422
        assert (await fw_api.post(path, json={"transport": "smoke"})).status_code == 422

    # The shared server runs without --ftp-port: FTP is refused, clearly.
    other_cp = await register(api)
    async with OcppClient.connect(server.ws_url, other_cp) as client:
        await client.boot()
        no_ftp = await api.post(
            f"/charge-points/{other_cp}/diagnostics-requests", json={"transport": "ftp"}
        )
        assert no_ftp.status_code == 409 and "--ftp-port" in no_ftp.json()["detail"]
        assert client.received == []


# -- diagnostics over FTP -----------------------------------------------------------------


def ftp_login(location: str, password: str | None = None) -> tuple[ftplib.FTP, str]:
    parts = urlsplit(location)
    ftp = ftplib.FTP(timeout=10)
    ftp.connect(parts.hostname or "", parts.port or 21)
    ftp.login(unquote(parts.username or ""), password or unquote(parts.password or ""))
    return ftp, parts.path


async def test_diagnostics_over_ftp(fw_server: Server, fw_api: httpx.AsyncClient) -> None:
    first_cp, second_cp = await register(fw_api), await register(fw_api)
    locations = {}
    for cp_id in (first_cp, second_cp):
        async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
            await client.boot()
            client.answers["GetDiagnostics"] = {"fileName": "diag.log"}
            response = await fw_api.post(
                f"/charge-points/{cp_id}/diagnostics-requests", json={"transport": "ftp"}
            )
            assert response.status_code == 201, response.text
            assert ":***@" in response.json()["location"]
            locations[cp_id] = (await client.wait_for_call("GetDiagnostics"))["location"]
    location = locations[first_cp]
    assert location.startswith("ftp://diag") and location.endswith("/")
    content = os.urandom(50_000)

    def upload_and_explore() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with pytest.raises(ftplib.error_perm):
            ftp_login(location, password="wrong")
        ftp, directory = ftp_login(location)
        with ftp:
            ftp.cwd(directory)
            ftp.storbinary("STOR diag.log", io.BytesIO(content[:20_000]))
            ftp.storbinary("APPE diag.log", io.BytesIO(content[20_000:]))  # a resumed upload
            seen["size"] = ftp.size("diag.log")
            ftp.cwd("..")  # the home is the root: nothing above it
            seen["pwd"] = ftp.pwd()
            ftp.storbinary("STOR ../../escape.log", io.BytesIO(b"x"))  # lands in the home
            seen["listing"] = sorted(ftp.nlst())
            with pytest.raises(ftplib.error_perm):
                ftp.retrbinary("RETR diag.log", lambda _: None)  # store only, no reading
            with pytest.raises(ftplib.error_perm):
                ftp.delete("diag.log")
        ftp, _ = ftp_login(location)
        with ftp, pytest.raises((ftplib.Error, OSError)):
            ftp.storbinary("STOR huge.log", io.BytesIO(b"z" * (LIMIT + 10_000)))
        ftp, _ = ftp_login(location)
        with ftp:
            seen["after_huge"] = sorted(ftp.nlst())
        return seen

    seen = await asyncio.to_thread(upload_and_explore)
    assert seen["size"] == len(content)
    assert seen["pwd"] == "/"
    assert seen["listing"] == ["diag.log", "escape.log"]
    assert seen["after_huge"] == ["diag.log", "escape.log"]  # the oversized one is not kept
    [escaped] = fw_server.workdir.rglob("escape.log")
    assert escaped.parent.parent == data_dir(fw_server) / "diagnostics"

    received = await wait_for(
        lambda: _when(latest_request(fw_api, first_cp), lambda r: len(r["files"]) == 2)
    )
    [file] = [f for f in received["files"] if f["filename"] == "diag.log"]
    assert file["filename"] == "diag.log" and file["transport"] == "ftp"
    assert file["size"] == len(content)
    assert file["sha256"] == hashlib.sha256(content).hexdigest()
    download = await fw_api.get(file["download"].removeprefix("/api/v1"))
    assert download.content == content
    assert (await latest_request(fw_api, second_cp))["files"] == []

    # Once the charge point reports Uploaded, its one-time user is gone.
    async with OcppClient.connect(fw_server.ws_url, first_cp) as client:
        await client.boot()
        await notify(client, "DiagnosticsStatusNotification", "Uploading", "Uploaded")
    assert (await latest_request(fw_api, first_cp))["status"] == "Uploaded"
    with pytest.raises(ftplib.error_perm):
        await asyncio.to_thread(ftp_login, location)
    ftp, _ = await asyncio.to_thread(ftp_login, locations[second_cp])  # the other still works
    ftp.close()


# -- with the simulator and the CLI -------------------------------------------------------


async def test_simulated_charge_point_updates_and_uploads(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    from ampyre.simulator import SimulatedChargePoint

    image = await upload_firmware(fw_api)
    cp_id = await register(fw_api)
    simulated = SimulatedChargePoint(fw_server.ws_url, cp_id, follow_up_delay=0.01)
    await simulated.connect()
    try:
        await simulated.boot()
        response = await fw_api.post(
            f"/charge-points/{cp_id}/firmware-updates", json={"firmwareId": image["firmwareId"]}
        )
        assert response.status_code == 201
        update = await wait_for(
            lambda: _when(latest_update(fw_api, cp_id), lambda u: u["finishedAt"] and u)
        )
        assert update["status"] == "Installed"
        for transport in ("http", "ftp"):
            response = await fw_api.post(
                f"/charge-points/{cp_id}/diagnostics-requests", json={"transport": transport}
            )
            assert response.status_code == 201, response.text
            request = await wait_for(
                lambda: _when(
                    latest_request(fw_api, cp_id),
                    lambda r: r["status"] == "Uploaded" and r["files"] and r,
                )
            )
            assert request["transport"] == transport
            assert request["files"][0]["filename"] == request["fileName"]
    finally:
        await simulated.close()


async def run_cli(server: Server, *args: str, token: str = TOKEN) -> Result:
    """`ampyre ARGS` in-process (a thread: the charge point's loop keeps answering)."""
    env = {"AMPYRE_URL": server.http_url, "AMPYRE_API_TOKEN": token}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


async def cli_output(server: Server, *args: str) -> str:
    result = await run_cli(server, *args)
    assert result.exit_code == 0, result.output
    return result.output


async def test_cli(fw_server: Server, fw_api: httpx.AsyncClient, tmp_path: Path) -> None:
    image_file = tmp_path / "fw-cli.bin"
    image_file.write_bytes(FIRMWARE)
    uploaded = await cli_output(fw_server, "firmware", "upload", str(image_file), "--json")
    firmware_id = str(json.loads(uploaded)["firmwareId"])
    assert "fw-cli.bin" in await cli_output(fw_server, "firmware", "list")
    cp_id = await register(fw_api)
    async with OcppClient.connect(fw_server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["GetDiagnostics"] = {"fileName": "cli.log"}
        updated = await cli_output(
            fw_server, "firmware", "update", cp_id, "--firmware-id", firmware_id
        )
        assert "Sent" in updated
        await notify(client, "FirmwareStatusNotification", "Downloading")
        assert "status Downloading" in await cli_output(fw_server, "firmware", "status", cp_id)
        rollout = await cli_output(
            fw_server, "firmware", "rollout", cp_id, "--firmware-id", firmware_id
        )
        rollout_id = rollout.split()[1]
        progress = await cli_output(fw_server, "firmware", "status", "--rollout", rollout_id)
        assert f"Rollout {rollout_id}: Running" in progress
        assert "cli.log" in await cli_output(fw_server, "diagnostics", "request", cp_id)
        location = [p for a, p in client.received if a == "GetDiagnostics"][-1]["location"]
    async with httpx.AsyncClient() as http:
        await http.put(location + "cli.log", content=b"from the cli test")
    listed = await cli_output(fw_server, "diagnostics", "list", cp_id)
    file_id = listed.split(":cli.log")[0].split()[-1]
    target = tmp_path / "saved.log"
    saved = await cli_output(
        fw_server, "diagnostics", "download", cp_id, file_id, "-o", str(target)
    )
    assert "saved.log" in saved and target.read_bytes() == b"from the cli test"
    usage = await run_cli(fw_server, "firmware", "update", cp_id)
    assert usage.exit_code == 2 and "--firmware-id or --location" in usage.output
    refused = await run_cli(fw_server, "firmware", "list", token="wrong")
    assert refused.exit_code == 1 and "401" in refused.output


async def test_cli_rollout_wait_follows_it_to_the_end(
    fw_server: Server, fw_api: httpx.AsyncClient
) -> None:
    from ampyre.simulator import SimulatedChargePoint

    image = await upload_firmware(fw_api)
    installing = [await register(fw_api) for _ in range(2)]
    simulated = [
        SimulatedChargePoint(fw_server.ws_url, cp_id, follow_up_delay=0.05) for cp_id in installing
    ]
    for charge_point in simulated:
        await charge_point.connect()
        await charge_point.boot()
    try:
        waited = await run_cli(
            fw_server,
            "firmware",
            "rollout",
            *installing,
            "--firmware-id",
            str(image["firmwareId"]),
            "--wait",
            "--interval",
            "0.2",
        )
        assert waited.exit_code == 0, waited.output
        # The progress display (stderr; a terminal would redraw it in place), then the end.
        assert "finished" in waited.output and "2/2" in waited.output
        rollout_id = waited.output.split("Rollout ")[1].split(":")[0]
        assert f"Rollout {rollout_id}: Finished (Installed 2)" in waited.output
        again = await run_cli(
            fw_server, "firmware", "status", "--rollout", rollout_id, "--wait", "--json"
        )
        assert again.exit_code == 0, again.output
        assert '"state": "Finished"' in again.output

        rejecting = await register(fw_api)
        async with OcppClient.connect(fw_server.ws_url, rejecting) as client:
            await client.boot()
            client.answers["UpdateFirmware"] = ("NotSupported", "no firmware profile")
            failed = await run_cli(
                fw_server,
                "firmware",
                "rollout",
                installing[0],
                rejecting,
                "--firmware-id",
                str(image["firmwareId"]),
                "--wait",
                "--interval",
                "0.2",
            )
        assert failed.exit_code == 1, failed.output
        assert "Finished (Installed 1, Rejected 1)" in failed.output
        assert failed.output.strip().splitlines()[-1] == (
            "Error: 1 of 2 charge points did not install it"
        )
    finally:
        for charge_point in simulated:
            await charge_point.close()
    usage = await run_cli(fw_server, "firmware", "status", installing[0], "--wait")
    assert usage.exit_code == 2 and "--wait follows a rollout" in usage.output
