"""The Remote Trigger profile end to end: TriggerMessage, its answer, the message it asks for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import api_client, run_cli, unique
from tests.ocpp_client import SILENT, CallErrorReceived, OcppClient
from tests.server import Server, wait_for

Message = tuple[str, dict[str, Any]]


def timestamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def status(connector: int, value: str = "Available") -> Message:
    return (
        "StatusNotification",
        {"connectorId": connector, "status": value, "errorCode": "NoError"},
    )


def meter_values(connector: int, value: str, transaction_id: int | None = None) -> Message:
    payload: dict[str, Any] = {
        "connectorId": connector,
        "meterValue": [{"timestamp": timestamp(), "sampledValue": [{"value": value}]}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return ("MeterValues", payload)


BOOT: Message = ("BootNotification", {"chargePointVendor": "V2", "chargePointModel": "M2"})


class FollowUps:
    """Answers TriggerMessage as a charge point does: its answer first, then the messages
    (5.17), sent the moment the answer is out, while the CSMS may still be taking it in."""

    def __init__(self, client: OcppClient) -> None:
        self.client = client
        self.tasks: list[asyncio.Task[list[dict[str, Any]]]] = []

    def accept_then_send(self, *messages: Message) -> None:
        def answer(request: dict[str, Any]) -> dict[str, str]:
            self.tasks.append(asyncio.create_task(self._send(messages)))
            return {"status": "Accepted"}

        self.client.answers["TriggerMessage"] = answer

    async def _send(self, messages: tuple[Message, ...]) -> list[dict[str, Any]]:
        return [await self.client.call(action, payload) for action, payload in messages]

    async def answers(self) -> list[dict[str, Any]]:
        """What the CSMS answered the last batch of messages (raises on a CALLERROR)."""
        return await self.tasks.pop()


async def trigger(
    api: httpx.AsyncClient, cp_id: str, message: str, connector: int | None = None, **query: Any
) -> httpx.Response:
    body: dict[str, Any] = {"requestedMessage": message}
    if connector is not None:
        body["connectorId"] = connector
    return await api.post(f"/charge-points/{cp_id}/trigger", json=body, params=query)


async def latest_trigger(api: httpx.AsyncClient, cp_id: str) -> dict[str, Any]:
    listed = (await api.get(f"/charge-points/{cp_id}/triggers")).json()
    return dict(listed["items"][0])


@pytest.fixture
async def client(server: Server, cp_id: str) -> AsyncIterator[OcppClient]:
    async with OcppClient.connect(server.ws_url, cp_id) as connected:
        await connected.boot()
        yield connected


HEARTBEAT: Message = ("Heartbeat", {})
DIAGNOSTICS: Message = ("DiagnosticsStatusNotification", {"status": "Uploading"})
FIRMWARE: Message = ("FirmwareStatusNotification", {"status": "Downloading"})

CASES: list[tuple[str, int | None, list[Message]]] = [
    # A connectorId is not relevant to these: ignored, the message still comes (5.17).
    ("Heartbeat", None, [HEARTBEAT]),
    ("Heartbeat", 2, [HEARTBEAT]),
    ("DiagnosticsStatusNotification", None, [DIAGNOSTICS]),
    ("DiagnosticsStatusNotification", 1, [DIAGNOSTICS]),
    ("FirmwareStatusNotification", None, [FIRMWARE]),
    ("FirmwareStatusNotification", 1, [FIRMWARE]),
    # Without one: one per connector, for StatusNotification the charge point's too.
    ("StatusNotification", 2, [status(2, "Preparing")]),
    ("StatusNotification", None, [status(0), status(1, "Preparing"), status(2, "Preparing")]),
    ("MeterValues", 1, [meter_values(1, "101")]),
    ("MeterValues", None, [meter_values(1, "102"), meter_values(2, "202")]),
]


@pytest.mark.parametrize(("message", "connector", "messages"), CASES)
async def test_triggered_message_is_handled_and_its_arrival_recorded(
    cp_id: str,
    client: OcppClient,
    api: httpx.AsyncClient,
    message: str,
    connector: int | None,
    messages: list[Message],
) -> None:
    follow_ups = FollowUps(client)
    follow_ups.accept_then_send(*messages)
    response = await trigger(api, cp_id, message, connector)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "Accepted" and answer["requestedMessage"] == message
    assert answer["connectorId"] == connector and answer["expectedBy"] is not None
    sent = {"requestedMessage": message}
    if connector is not None:
        sent["connectorId"] = connector
    assert client.received == [("TriggerMessage", sent)]
    await follow_ups.answers()

    async def all_arrived() -> dict[str, Any] | None:
        # At once on one node; within a moment when the command came in through another
        # node (or worker) than the one holding the charge point.
        record = await latest_trigger(api, cp_id)
        return record if record["arrivals"] == len(messages) else None

    record = await wait_for(all_arrived, timeout=5)
    assert record["triggerId"] == answer["triggerId"]
    assert record["messageArrived"] is True and record["arrivedAt"] is not None
    detail = (await api.get(f"/charge-points/{cp_id}")).json()
    if message == "StatusNotification":
        statuses = {c["connectorId"]: c["status"] for c in detail["connectors"]}
        assert statuses[2] == "Preparing"
    elif message == "DiagnosticsStatusNotification":
        assert detail["diagnosticsStatus"] == "Uploading"
    elif message == "FirmwareStatusNotification":
        assert detail["firmwareStatus"] == "Downloading"


async def test_triggered_meter_values_land_on_the_transaction(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    started = await client.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": "ANY", "meterStart": 0, "timestamp": timestamp()},
    )
    transaction_id = started["transactionId"]
    follow_ups = FollowUps(client)
    follow_ups.accept_then_send(meter_values(1, "777", transaction_id))
    assert (await trigger(api, cp_id, "MeterValues", 1)).json()["status"] == "Accepted"
    await follow_ups.answers()
    record = (await api.get(f"/transactions/{transaction_id}")).json()
    assert [v["sampledValue"][0]["value"] for v in record["meterValues"]] == ["777"]


async def test_only_the_requested_connector_counts(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    follow_ups = FollowUps(client)
    follow_ups.accept_then_send(status(1), status(2))
    await trigger(api, cp_id, "StatusNotification", 2)
    await follow_ups.answers()
    await wait_for(lambda: _arrivals(api, cp_id, 1), timeout=5)
    await asyncio.sleep(0.3)  # and no more come
    assert (await latest_trigger(api, cp_id))["arrivals"] == 1


async def _arrivals(api: httpx.AsyncClient, cp_id: str, count: int) -> bool:
    return (await latest_trigger(api, cp_id))["arrivals"] == count


@pytest.mark.parametrize(
    ("answer", "error_code"),
    [
        ({"status": "Rejected"}, None),
        ({"status": "NotImplemented"}, None),
        (None, "NotImplemented"),  # CALLERROR NotImplemented: no Remote Trigger profile
        (("NotSupported", "Remote Trigger not supported"), "NotSupported"),
    ],
)
async def test_refusals_are_reported_and_recorded(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient, answer: Any, error_code: str | None
) -> None:
    client.answers["TriggerMessage"] = answer
    response = await trigger(api, cp_id, "StatusNotification", 1)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = "Rejected" if answer == {"status": "Rejected"} else "NotImplemented"
    assert body["status"] == expected and body["errorCode"] == error_code
    assert body["expectedBy"] is None and body["messageArrived"] is None
    record = await latest_trigger(api, cp_id)
    assert record == body


async def test_other_callerrors_and_silence_are_502_and_504_and_recorded(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    client.answers["TriggerMessage"] = ("InternalError", "boom")
    response = await trigger(api, cp_id, "Heartbeat")
    assert response.status_code == 502
    assert response.json()["errorCode"] == "InternalError"
    record = await latest_trigger(api, cp_id)
    assert record["status"] == "CallError" and record["errorDescription"] == "boom"
    client.answers["TriggerMessage"] = SILENT
    response = await trigger(api, cp_id, "Heartbeat", timeout=0.5)
    assert response.status_code == 504
    record = await latest_trigger(api, cp_id)
    assert record["status"] == "TimedOut" and record["answeredAt"] is None


async def test_commands_endpoint_triggers_are_recorded_too(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    follow_ups = FollowUps(client)
    follow_ups.accept_then_send(("Heartbeat", {}))
    response = await api.post(
        f"/charge-points/{cp_id}/commands/TriggerMessage", json={"requestedMessage": "Heartbeat"}
    )
    assert response.json() == {"status": "Accepted"}
    await follow_ups.answers()
    record = await latest_trigger(api, cp_id)
    assert record["requestedMessage"] == "Heartbeat" and record["status"] == "Accepted"
    client.answers["TriggerMessage"] = {"status": "Rejected"}
    await api.post(
        f"/charge-points/{cp_id}/commands/TriggerMessage",
        json={"requestedMessage": "MeterValues", "connectorId": 1},
    )
    record = await latest_trigger(api, cp_id)
    assert (record["requestedMessage"], record["connectorId"], record["status"]) == (
        "MeterValues",
        1,
        "Rejected",
    )
    listed = (await api.get(f"/charge-points/{cp_id}/triggers")).json()
    assert listed["total"] == 2


async def test_no_boot_notification_trigger_after_an_accepted_boot(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    """Errata v4 3.40 (the charge point would be entitled to refuse it, 3.35)."""
    response = await trigger(api, cp_id, "BootNotification")
    assert response.status_code == 409 and "3.40" in response.json()["detail"]
    generic = await api.post(
        f"/charge-points/{cp_id}/commands/TriggerMessage",
        json={"requestedMessage": "BootNotification"},
    )
    assert generic.status_code == 409
    assert client.received == []
    assert (await api.get(f"/charge-points/{cp_id}/triggers")).json()["total"] == 0


async def test_pending_charge_point_may_send_what_was_triggered(
    server: Server, api: httpx.AsyncClient
) -> None:
    identity = unique()
    await api.post("/charge-points", json={"id": identity, "registrationStatus": "Pending"})
    async with OcppClient.connect(server.ws_url, identity) as client:
        assert (await client.boot())["status"] == "Pending"
        with pytest.raises(CallErrorReceived):
            await client.call("Heartbeat", {})
        follow_ups = FollowUps(client)

        # One triggered message is let through, once.
        follow_ups.accept_then_send(("Heartbeat", {}))
        assert (await trigger(api, identity, "Heartbeat")).json()["status"] == "Accepted"
        assert "currentTime" in (await follow_ups.answers())[0]
        with pytest.raises(CallErrorReceived) as refused:
            await client.call("Heartbeat", {})
        assert refused.value.code == "SecurityError"

        # Without connectorId: a StatusNotification for each connector and the charge point.
        follow_ups.accept_then_send(status(0), status(1), status(2))
        await trigger(api, identity, "StatusNotification")
        assert len(await follow_ups.answers()) == 3
        # With one: that connector's only.
        follow_ups.accept_then_send(meter_values(2, "7"))
        await trigger(api, identity, "MeterValues", 2)
        await follow_ups.answers()
        with pytest.raises(CallErrorReceived):
            await client.call(*meter_values(1, "8"))

        # Through the generic commands endpoint as well.
        follow_ups.accept_then_send(meter_values(1, "5"))
        await api.post(
            f"/charge-points/{identity}/commands/TriggerMessage",
            json={"requestedMessage": "MeterValues", "connectorId": 1},
        )
        assert await follow_ups.answers() == [{}]

        # A refused trigger lets nothing through.
        client.answers["TriggerMessage"] = {"status": "Rejected"}
        await trigger(api, identity, "FirmwareStatusNotification")
        with pytest.raises(CallErrorReceived):
            await client.call("FirmwareStatusNotification", {"status": "Idle"})

        # A triggered BootNotification is answered from the operator's choice.
        follow_ups.accept_then_send(BOOT)
        await trigger(api, identity, "BootNotification")
        assert (await follow_ups.answers())[0]["status"] == "Pending"
        await api.patch(f"/charge-points/{identity}", json={"registrationStatus": "Accepted"})
        follow_ups.accept_then_send(BOOT)
        await trigger(api, identity, "BootNotification", 1)  # the connector is ignored
        assert (await follow_ups.answers())[0]["status"] == "Accepted"
        assert (await client.call("Heartbeat", {}))["currentTime"]
        detail = (await api.get(f"/charge-points/{identity}")).json()
        assert detail["chargePointVendor"] == "V2" and detail["bootStatus"] == "Accepted"
        # Accepted now: no more BootNotification triggers (errata v4 3.40).
        assert (await trigger(api, identity, "BootNotification")).status_code == 409
        assert (await latest_trigger(api, identity))["messageArrived"] is True


async def test_a_message_that_does_not_come_in_the_window_is_reported_missing(
    server_factory: Any,
) -> None:
    own: Server = await server_factory("--trigger-arrival-window", "0.5")
    async with api_client(own) as api:
        identity = unique()
        await api.post("/charge-points", json={"id": identity, "registrationStatus": "Pending"})
        async with OcppClient.connect(own.ws_url, identity) as client:
            await client.boot()
            answer = (await trigger(api, identity, "Heartbeat")).json()
            assert answer["status"] == "Accepted" and answer["messageArrived"] is None
            await asyncio.sleep(0.7)
            # Too late: not let through while Pending, and not counted.
            with pytest.raises(CallErrorReceived):
                await client.call("Heartbeat", {})
            record = await latest_trigger(api, identity)
            assert record["messageArrived"] is False and record["arrivals"] == 0


async def test_bad_requests_are_clear_4xx(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    for body in (
        {"requestedMessage": "StartTransaction"},
        {"requestedMessage": "Heartbeat", "connectorId": -1},
        {"requestedMessage": "Heartbeat", "extra": 1},
        {},
    ):
        response = await api.post(f"/charge-points/{cp_id}/trigger", json=body)
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], str)
    assert client.received == []
    missing = unique()
    assert (await trigger(api, missing, "Heartbeat")).status_code == 404
    assert (await api.get(f"/charge-points/{missing}/triggers")).status_code == 404
    offline = unique()
    await api.post("/charge-points", json={"id": offline})
    response = await trigger(api, offline, "Heartbeat")
    assert response.status_code == 409 and "not connected" in response.json()["detail"]
    assert (await api.get(f"/charge-points/{offline}/triggers")).json()["total"] == 0


async def test_cli_trigger(server: Server, cp_id: str, client: OcppClient) -> None:
    follow_ups = FollowUps(client)
    follow_ups.accept_then_send(status(1))
    result = await run_cli(server, "trigger", cp_id, "statusnotification", "--connector", "1")
    assert result.exit_code == 0, result.output
    assert "TriggerMessage StatusNotification Accepted" in result.output
    await follow_ups.answers()
    client.answers["TriggerMessage"] = None
    result = await run_cli(server, "trigger", cp_id, "Heartbeat")
    assert result.exit_code == 1
    assert "NotImplemented (CALLERROR NotImplemented)" in result.output
