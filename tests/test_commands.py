"""`POST /charge-points/{id}/commands/{Action}`: forwarding, HTTP mapping, what is recorded."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import unique
from tests.ocpp_client import SILENT, OcppClient
from tests.server import Server, wait_for

CORE_COMMANDS = [
    ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Accepted"}),
    ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "30"}, {"status": "Accepted"}),
    (
        "GetConfiguration",
        {"key": ["HeartbeatInterval"]},
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "30"}]},
    ),
    ("ClearCache", {}, {"status": "Accepted"}),
    ("Reset", {"type": "Soft"}, {"status": "Accepted"}),
    ("UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}),
    ("RemoteStopTransaction", {"transactionId": 123456}, {"status": "Rejected"}),
    (
        "DataTransfer",
        {"vendorId": "ACME", "messageId": "x", "data": "y"},
        {"status": "Accepted", "data": "z"},
    ),
]


@pytest.mark.parametrize(("action", "body", "answer"), CORE_COMMANDS)
async def test_core_commands_are_forwarded_unchanged(
    server: Server, cp_id: str, api: httpx.AsyncClient, action: str, body: dict, answer: dict
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers[action] = answer
        response = await api.post(f"/charge-points/{cp_id}/commands/{action}", json=body)
        assert response.status_code == 200, response.text
        assert response.json() == answer
        assert client.received == [(action, body)]


async def test_unknown_charge_point_and_action(api: httpx.AsyncClient, cp_id: str) -> None:
    assert (
        await api.post(f"/charge-points/{unique()}/commands/ClearCache", json={})
    ).status_code == 404
    response = await api.post(f"/charge-points/{cp_id}/commands/Explode", json={})
    assert response.status_code == 404
    assert "Explode" in response.json()["detail"]


async def test_not_connected_is_409(api: httpx.AsyncClient, cp_id: str) -> None:
    response = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
    assert response.status_code == 409
    assert "not connected" in response.json()["detail"]


async def test_invalid_body_is_422_and_nothing_is_sent(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        bad = [
            ("Reset", {"type": "Sideways"}),
            ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": 30}),
            ("RemoteStartTransaction", {}),
            ("UnlockConnector", {"connectorId": 1, "extra": True}),
        ]
        for action, body in bad:
            response = await api.post(f"/charge-points/{cp_id}/commands/{action}", json=body)
            assert response.status_code == 422, (action, response.text)
            assert isinstance(response.json()["detail"], str)
        assert client.received == []


async def test_operator_may_send_what_the_charge_point_will_refuse(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["UnlockConnector"] = {"status": "NotSupported"}
        response = await api.post(
            f"/charge-points/{cp_id}/commands/UnlockConnector", json={"connectorId": 99}
        )
        assert response.json() == {"status": "NotSupported"}


async def test_a_request_beyond_what_the_csms_records_is_still_sent(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    """Schema-valid is enough to be sent (a negative connector, an id past 32 bits): the
    charge point's answer is relayed, and nothing is recorded from it."""
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["ReserveNow"] = {"status": "Rejected"}
        client.answers["TriggerMessage"] = {"status": "Rejected"}
        reserve = {
            "connectorId": -1,
            "expiryDate": "2030-01-01T00:00:00Z",
            "idTag": "T",
            "reservationId": 2**40,
        }
        response = await api.post(f"/charge-points/{cp_id}/commands/ReserveNow", json=reserve)
        assert response.status_code == 200 and response.json() == {"status": "Rejected"}
        trigger = {"requestedMessage": "StatusNotification", "connectorId": -1}
        response = await api.post(f"/charge-points/{cp_id}/commands/TriggerMessage", json=trigger)
        assert response.status_code == 200 and response.json() == {"status": "Rejected"}
        assert client.received[-2:] == [("ReserveNow", reserve), ("TriggerMessage", trigger)]


async def test_callerror_is_502_and_silence_is_504(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["Reset"] = ("InternalError", "boom")
        response = await api.post(f"/charge-points/{cp_id}/commands/Reset", json={"type": "Hard"})
        assert response.status_code == 502
        body = response.json()
        assert body["errorCode"] == "InternalError" and body["errorDescription"] == "boom"
        assert body["errorDetails"] == {}
        client.answers["ClearCache"] = SILENT
        response = await api.post(
            f"/charge-points/{cp_id}/commands/ClearCache?timeout=0.5", json={}
        )
        assert response.status_code == 504
        # The connection goes on: the next command is answered.
        client.answers["ClearCache"] = {"status": "Accepted"}
        response = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
        assert response.status_code == 200


async def test_invalid_callresult_is_reported_not_trusted(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["Reset"] = {"status": "Maybe"}
        response = await api.post(f"/charge-points/{cp_id}/commands/Reset", json={"type": "Hard"})
        assert response.status_code == 502
        assert response.json()["errorCode"] == "PropertyConstraintViolation"


async def test_commands_go_one_at_a_time(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        responses = await asyncio.gather(
            *[api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={}) for _ in range(5)]
        )
        assert [r.status_code for r in responses] == [200] * 5
        assert len(client.received) == 5


async def test_remote_start_is_followed_to_its_transaction(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    virtual = unique("V")[:20]  # not in the id tag store
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        response = await api.post(
            f"/charge-points/{cp_id}/commands/RemoteStartTransaction",
            json={"idTag": virtual, "connectorId": 1},
        )
        assert response.json() == {"status": "Accepted"}
        remote_start_id = int(response.headers["X-Remote-Start-Id"])
        pending = (await api.get(f"/remote-starts/{remote_start_id}")).json()
        assert pending["state"] == "Pending" and pending["transactionId"] is None
        authorized = await client.call("Authorize", {"idTag": virtual})
        assert authorized["idTagInfo"]["status"] == "Accepted"
        started = await client.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": virtual,
                "meterStart": 0,
                "timestamp": "2026-03-01T08:00:00Z",
            },
        )
        assert started["idTagInfo"]["status"] == "Accepted"
    followed = (await api.get(f"/remote-starts/{remote_start_id}")).json()
    assert followed["state"] == "Started"
    assert followed["transactionId"] == started["transactionId"]
    record = (await api.get(f"/transactions/{started['transactionId']}")).json()
    assert record["remoteStartId"] == remote_start_id


async def test_rejected_remote_start_leaves_nothing_pending(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    virtual = unique("V")[:20]
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["RemoteStartTransaction"] = {"status": "Rejected"}
        response = await api.post(
            f"/charge-points/{cp_id}/commands/RemoteStartTransaction", json={"idTag": virtual}
        )
        remote_start_id = int(response.headers["X-Remote-Start-Id"])
        assert (await api.get(f"/remote-starts/{remote_start_id}")).json()["state"] == "Rejected"
        assert (await client.call("Authorize", {"idTag": virtual}))["idTagInfo"][
            "status"
        ] == "Invalid"


async def test_remote_start_times_out(server_factory: object, api: httpx.AsyncClient) -> None:
    server = await server_factory("--remote-start-timeout", "1")  # type: ignore[operator]
    from tests.conftest import api_client

    async with api_client(server) as own_api:
        identity = unique()
        await own_api.post("/charge-points", json={"id": identity})
        virtual = unique("V")[:20]
        async with OcppClient.connect(server.ws_url, identity) as client:
            await client.boot()
            response = await own_api.post(
                f"/charge-points/{identity}/commands/RemoteStartTransaction",
                json={"idTag": virtual},
            )
            remote_start_id = response.headers["X-Remote-Start-Id"]

            async def timed_out() -> bool:
                state = (await own_api.get(f"/remote-starts/{remote_start_id}")).json()["state"]
                return bool(state == "TimedOut")

            await wait_for(timed_out, timeout=10)
            info = await client.call("Authorize", {"idTag": virtual})
            assert info["idTagInfo"]["status"] == "Invalid"


async def test_answers_are_recorded_before_the_http_answer(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    profile = {
        "chargingProfileId": 7,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        base = f"/charge-points/{cp_id}/commands"
        await api.post(
            f"{base}/SetChargingProfile", json={"connectorId": 1, "csChargingProfiles": profile}
        )
        profiles = (await api.get(f"/charge-points/{cp_id}/charging-profiles")).json()
        assert profiles["items"] == [{"connectorId": 1, "csChargingProfiles": profile}]
        await api.post(f"{base}/ClearChargingProfile", json={"id": 7})
        assert (await api.get(f"/charge-points/{cp_id}/charging-profiles")).json()["total"] == 0

        await api.post(
            f"{base}/SendLocalList",
            json={"listVersion": 5, "updateType": "Full", "localAuthorizationList": []},
        )
        assert (await api.get(f"/charge-points/{cp_id}")).json()["localListVersion"] == 5

        reservation_id = int(unique("")[1:7], 16)
        await api.post(
            f"{base}/ReserveNow",
            json={
                "connectorId": 1,
                "expiryDate": "2099-01-01T00:00:00Z",
                "idTag": "R1",
                "reservationId": reservation_id,
            },
        )
        reservations = (await api.get("/reservations", params={"chargePointId": cp_id})).json()
        assert reservations["items"][0]["status"] == "Reserved"
        await api.post(f"{base}/CancelReservation", json={"reservationId": reservation_id})
        reservations = (await api.get("/reservations", params={"chargePointId": cp_id})).json()
        assert reservations["items"][0]["status"] == "Cancelled"

        client.answers["ReserveNow"] = {"status": "Occupied"}
        await api.post(
            f"{base}/ReserveNow",
            json={
                "connectorId": 2,
                "expiryDate": "2099-01-01T00:00:00Z",
                "idTag": "R1",
                "reservationId": reservation_id + 1,
            },
        )
        rejected = (
            await api.get("/reservations", params={"chargePointId": cp_id, "active": "false"})
        ).json()
        assert {r["status"] for r in rejected["items"]} == {"Cancelled", "Rejected"}


async def test_timeout_covers_the_wait_behind_other_commands(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["ClearCache"] = SILENT
        loop = asyncio.get_running_loop()
        began = loop.time()
        responses = await asyncio.gather(
            *[
                api.post(f"/charge-points/{cp_id}/commands/ClearCache?timeout=1", json={})
                for _ in range(3)
            ]
        )
        assert [r.status_code for r in responses] == [504, 504, 504]
        assert loop.time() - began < 2.9  # not 1 + 1 + 1 queued behind each other


async def test_virtual_token_stays_valid_for_its_own_stop(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    virtual = unique("V")[:20]
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await api.post(
            f"/charge-points/{cp_id}/commands/RemoteStartTransaction", json={"idTag": virtual}
        )
        started = await client.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": virtual,
                "meterStart": 0,
                "timestamp": "2026-03-01T08:00:00Z",
            },
        )
        stopped = await client.call(
            "StopTransaction",
            {
                "transactionId": started["transactionId"],
                "idTag": virtual,
                "meterStop": 5,
                "timestamp": "2026-03-01T09:00:00Z",
            },
        )
    assert stopped["idTagInfo"]["status"] == "Accepted"
