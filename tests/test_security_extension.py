"""Security extension messages from charge points: answered, recorded, readable."""

from __future__ import annotations

import httpx

from tests.ocpp_client import OcppClient
from tests.server import Server


async def test_notifications_are_answered_and_kept(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        assert (
            await client.call(
                "SecurityEventNotification",
                {
                    "type": "InvalidFirmwareSignature",
                    "timestamp": "2026-05-01T10:00:00Z",
                    "techInfo": "sha mismatch",
                },
            )
            == {}
        )
        assert (
            await client.call("LogStatusNotification", {"status": "Uploaded", "requestId": 7}) == {}
        )
        assert (
            await client.call(
                "SignedFirmwareStatusNotification", {"status": "InvalidSignature", "requestId": 3}
            )
            == {}
        )
        answer = await client.call(
            "SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----"}
        )
        assert answer == {"status": "Rejected"}
    events = (await api.get(f"/charge-points/{cp_id}/events")).json()
    assert events["total"] == 4
    assert [e["action"] for e in events["items"]] == [
        "SignCertificate",
        "SignedFirmwareStatusNotification",
        "LogStatusNotification",
        "SecurityEventNotification",
    ]
    security = events["items"][3]
    assert security["timestamp"] == "2026-05-01T10:00:00.000Z"
    assert security["payload"]["techInfo"] == "sha mismatch"
    only = await api.get(
        f"/charge-points/{cp_id}/events", params={"action": "LogStatusNotification"}
    )
    assert only.json()["items"][0]["payload"] == {"status": "Uploaded", "requestId": 7}
    detail = (await api.get(f"/charge-points/{cp_id}")).json()
    assert detail["firmwareStatus"] == "InvalidSignature"


async def test_schema_still_applies(server: Server, cp_id: str) -> None:
    from tests.ocpp_client import CallErrorReceived

    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        try:
            await client.call("SecurityEventNotification", {"type": "X"})
        except CallErrorReceived as error:
            assert error.code == "OccurenceConstraintViolation"
        else:
            raise AssertionError("a SecurityEventNotification without timestamp was accepted")
