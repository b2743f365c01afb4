"""The Core profile end to end: each message, each authorization decision, the records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import unique
from tests.ocpp_client import CallErrorReceived, OcppClient
from tests.server import Server

T0 = "2026-03-01T08:00:00Z"


def start_payload(id_tag: str, connector: int = 1, meter: int = 1000, ts: str = T0) -> dict:
    return {"connectorId": connector, "idTag": id_tag, "meterStart": meter, "timestamp": ts}


async def add_tag(api: httpx.AsyncClient, **fields: object) -> str:
    tag = str(fields.pop("idTag", unique("T")[:20]))
    response = await api.post("/id-tags", json={"idTag": tag, **fields})
    assert response.status_code == 201, response.text
    return tag


async def test_boot_records_the_charge_point_and_answers_interval_and_time(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        answer = await client.boot(
            chargePointSerialNumber="SN-1",
            chargeBoxSerialNumber="BOX-1",
            firmwareVersion="1.2.3",
            iccid="8931",
            imsi="2620",
            meterType="DZG",
            meterSerialNumber="M-9",
        )
        assert answer["status"] == "Accepted"
        assert answer["interval"] == 60
        current = datetime.fromisoformat(answer["currentTime"])
        assert abs(current - datetime.now(UTC)) < timedelta(seconds=30)
        detail = (await api.get(f"/charge-points/{cp_id}")).json()
    assert detail["connected"] is True
    assert detail["chargePointVendor"] == "TestVendor"
    assert detail["chargePointModel"] == "TestModel"
    assert detail["chargePointSerialNumber"] == "SN-1"
    assert detail["firmwareVersion"] == "1.2.3"
    assert detail["iccid"] == "8931" and detail["imsi"] == "2620"
    assert detail["meterType"] == "DZG" and detail["meterSerialNumber"] == "M-9"
    assert detail["lastSeen"] is not None


async def test_heartbeat_answers_current_time(server: Server, cp_id: str) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        answer = await client.call("Heartbeat", {})
        assert answer["currentTime"].endswith("Z")


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
async def test_pending_or_rejected_charge_point_gets_security_error_for_other_messages(
    server: Server, api: httpx.AsyncClient, status: str
) -> None:
    identity = unique()
    await api.post("/charge-points", json={"id": identity, "registrationStatus": status})
    async with OcppClient.connect(server.ws_url, identity) as client:
        assert (await client.boot())["status"] == status
        with pytest.raises(CallErrorReceived) as info:
            await client.call("Heartbeat", {})
        assert info.value.code == "SecurityError"
        remote = await api.post(
            f"/charge-points/{identity}/commands/RemoteStartTransaction", json={"idTag": "X"}
        )
        assert remote.status_code == 409
        if status == "Pending":
            # Pending: the CSMS may still configure it and trigger messages.
            config = await api.post(f"/charge-points/{identity}/commands/GetConfiguration", json={})
            assert config.status_code == 200
            trigger = await api.post(
                f"/charge-points/{identity}/commands/TriggerMessage",
                json={"requestedMessage": "StatusNotification", "connectorId": 1},
            )
            assert trigger.status_code == 200
            await client.call(
                "StatusNotification",
                {"connectorId": 1, "status": "Available", "errorCode": "NoError"},
            )
            await api.patch(f"/charge-points/{identity}", json={"registrationStatus": "Accepted"})
            assert (await client.boot())["status"] == "Accepted"
            await client.call("Heartbeat", {})
        else:
            config = await api.post(f"/charge-points/{identity}/commands/GetConfiguration", json={})
            assert config.status_code == 409


async def test_accepted_charge_point_may_reconnect_without_booting(
    server: Server, cp_id: str
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        assert "currentTime" in await client.call("Heartbeat", {})


async def test_authorize_decisions(server: Server, cp_id: str, api: httpx.AsyncClient) -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    accepted = await add_tag(api, expiryDate=future)
    blocked = await add_tag(api, status="Blocked")
    expired_status = await add_tag(api, status="Expired")
    expired_date = await add_tag(api, expiryDate=past)
    invalid = await add_tag(api, status="Invalid")
    parent = await add_tag(api)
    child = await add_tag(api, parentIdTag=parent)
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()

        async def decide(tag: str) -> dict:
            return (await client.call("Authorize", {"idTag": tag}))["idTagInfo"]

        info = await decide(accepted)
        assert info["status"] == "Accepted" and "expiryDate" in info
        assert (await decide(accepted.lower()))["status"] == "Accepted"  # case-insensitive
        assert (await decide(blocked))["status"] == "Blocked"
        assert (await decide(expired_status))["status"] == "Expired"
        assert (await decide(expired_date))["status"] == "Expired"
        assert (await decide(invalid))["status"] == "Invalid"
        assert (await decide(unique("UNK")[:20]))["status"] == "Invalid"
        assert (await decide(child)) == {"status": "Accepted", "parentIdTag": parent}
        await api.patch(f"/id-tags/{parent}", json={"status": "Blocked"})
        assert (await decide(child))["status"] == "Blocked"


async def test_transaction_lifecycle_with_meter_values(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    tag = await add_tag(api)
    sampled = [
        {
            "value": "1500",
            "context": "Sample.Periodic",
            "format": "Raw",
            "measurand": "Energy.Active.Import.Register",
            "phase": "L1",
            "location": "Outlet",
            "unit": "Wh",
        },
        {"value": "21.5", "measurand": "Temperature", "unit": "Celcius"},
    ]
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call(
            "StatusNotification", {"connectorId": 1, "status": "Preparing", "errorCode": "NoError"}
        )
        started = await client.call("StartTransaction", start_payload(tag))
        assert started["idTagInfo"]["status"] == "Accepted"
        transaction_id = started["transactionId"]
        assert transaction_id > 0
        active = (
            await api.get("/transactions", params={"chargePointId": cp_id, "active": "true"})
        ).json()
        assert [t["transactionId"] for t in active["items"]] == [transaction_id]
        await client.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [{"timestamp": "2026-03-01T08:15:00Z", "sampledValue": sampled}],
            },
        )
        stopped = await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": tag,
                "meterStop": 4500,
                "timestamp": "2026-03-01T09:00:00Z",
                "reason": "EVDisconnected",
                "transactionData": [
                    {
                        "timestamp": "2026-03-01T08:00:00Z",
                        "sampledValue": [{"value": "1000", "context": "Transaction.Begin"}],
                    },
                    {
                        "timestamp": "2026-03-01T09:00:00Z",
                        "sampledValue": [{"value": "4500", "context": "Transaction.End"}],
                    },
                ],
            },
        )
        assert stopped["idTagInfo"]["status"] == "Accepted"
    record = (await api.get(f"/transactions/{transaction_id}")).json()
    assert record["chargePointId"] == cp_id and record["connectorId"] == 1
    assert record["idTag"] == tag and record["meterStart"] == 1000 and record["meterStop"] == 4500
    assert record["startTimestamp"] == "2026-03-01T08:00:00.000Z"
    assert record["stopTimestamp"] == "2026-03-01T09:00:00.000Z"
    assert record["stopReason"] == "EVDisconnected" and record["stopIdTag"] == tag
    assert [v["timestamp"] for v in record["meterValues"]] == [
        "2026-03-01T08:00:00.000Z",
        "2026-03-01T08:15:00.000Z",
        "2026-03-01T09:00:00.000Z",
    ]
    assert record["meterValues"][1]["sampledValue"] == sampled
    finished = (
        await api.get("/transactions", params={"chargePointId": cp_id, "active": "false"})
    ).json()
    assert finished["total"] == 1


async def test_start_transaction_always_gets_an_id_also_for_invalid_tags(
    server: Server, cp_id: str
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        answer = await client.call("StartTransaction", start_payload(unique("BAD")[:20]))
    assert answer["transactionId"] > 0
    assert answer["idTagInfo"]["status"] == "Invalid"


async def test_resent_start_transaction_gets_the_same_id(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    tag = await add_tag(api)
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        first = await client.call("StartTransaction", start_payload(tag))
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        again = await client.call("StartTransaction", start_payload(tag))
        other = await client.call(
            "StartTransaction",
            start_payload(tag, connector=1, meter=2000, ts="2026-03-01T10:00:00Z"),
        )
    assert again["transactionId"] == first["transactionId"]
    assert again["idTagInfo"]["status"] == "Accepted"
    assert other["transactionId"] != first["transactionId"]


async def test_concurrent_tx(server: Server, api: httpx.AsyncClient) -> None:
    tag = await add_tag(api)
    free_tag = await add_tag(api, allowConcurrentTx=True)
    first_cp, second_cp = unique(), unique()
    for identity in (first_cp, second_cp):
        await api.post("/charge-points", json={"id": identity})
    async with (
        OcppClient.connect(server.ws_url, first_cp) as one,
        OcppClient.connect(server.ws_url, second_cp) as two,
    ):
        await one.boot()
        await two.boot()
        assert (await one.call("StartTransaction", start_payload(tag)))["idTagInfo"][
            "status"
        ] == "Accepted"
        second = await two.call("StartTransaction", start_payload(tag))
        assert second["idTagInfo"]["status"] == "ConcurrentTx"
        assert second["transactionId"] > 0
        await one.call("StartTransaction", start_payload(free_tag, connector=2))
        both = await two.call("StartTransaction", start_payload(free_tag, connector=2))
        assert both["idTagInfo"]["status"] == "Accepted"


async def test_stop_for_unknown_transaction_is_answered_and_recorded(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        answer = await client.call(
            "StopTransaction",
            {
                "transactionId": 987654321,
                "meterStop": 10,
                "timestamp": T0,
            },
        )
        assert answer == {}
        assert (
            await client.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": -1,
                    "meterValue": [{"timestamp": T0, "sampledValue": [{"value": "1"}]}],
                },
            )
            == {}
        )
    unmatched = (await api.get("/unmatched-stops", params={"chargePointId": cp_id})).json()
    assert unmatched["total"] == 1
    stop = unmatched["items"][0]
    assert stop["transactionId"] == 987654321 and stop["reason"] == "Local"


async def test_stop_without_reason_is_local_and_after_reboot_is_accepted(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    tag = await add_tag(api)
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        started = await client.call("StartTransaction", start_payload(tag))
        second = await client.call("StartTransaction", start_payload(tag, connector=2))
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()  # rebooted; the queued stops arrive afterwards
        await client.call(
            "StopTransaction",
            {
                "transactionId": started["transactionId"],
                "meterStop": 1200,
                "timestamp": T0,
            },
        )
        await client.call(
            "StopTransaction",
            {
                "transactionId": second["transactionId"],
                "meterStop": 1100,
                "timestamp": T0,
                "reason": "PowerLoss",
            },
        )
    first = (await api.get(f"/transactions/{started['transactionId']}")).json()
    assert first["stopReason"] == "Local"
    assert (await api.get(f"/transactions/{second['transactionId']}")).json()[
        "stopReason"
    ] == "PowerLoss"


async def test_status_notification_per_connector(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call(
            "StatusNotification", {"connectorId": 0, "status": "Available", "errorCode": "NoError"}
        )
        await client.call(
            "StatusNotification",
            {
                "connectorId": 1,
                "status": "Faulted",
                "errorCode": "GroundFailure",
                "info": "RCD tripped",
                "vendorId": "ACME",
                "vendorErrorCode": "E42",
                "timestamp": "2026-03-01T08:00:00Z",
            },
        )
    connectors = (await api.get(f"/charge-points/{cp_id}")).json()["connectors"]
    assert [c["connectorId"] for c in connectors] == [0, 1]
    faulted = connectors[1]
    assert faulted["status"] == "Faulted" and faulted["errorCode"] == "GroundFailure"
    assert faulted["info"] == "RCD tripped" and faulted["vendorErrorCode"] == "E42"
    assert faulted["timestamp"] == "2026-03-01T08:00:00.000Z"


async def test_data_transfer_vendors(server: Server, cp_id: str) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        assert (await client.call("DataTransfer", {"vendorId": "com.unknown"}))[
            "status"
        ] == "UnknownVendorId"
        echo = await client.call(
            "DataTransfer", {"vendorId": "org.ampyre", "messageId": "echo", "data": "hi"}
        )
        assert echo == {"status": "Accepted", "data": "hi"}
        unknown = await client.call("DataTransfer", {"vendorId": "org.ampyre", "messageId": "nope"})
        assert unknown["status"] == "UnknownMessageId"


async def test_firmware_and_diagnostics_status_are_recorded(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call("FirmwareStatusNotification", {"status": "Downloading"})
        await client.call("DiagnosticsStatusNotification", {"status": "Uploaded"})
    detail = (await api.get(f"/charge-points/{cp_id}")).json()
    assert detail["firmwareStatus"] == "Downloading"
    assert detail["diagnosticsStatus"] == "Uploaded"


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        (
            "StatusNotification",
            {"connectorId": 18446744073709551615, "errorCode": "NoError", "status": "Available"},
        ),
        ("StatusNotification", {"connectorId": -1, "errorCode": "NoError", "status": "Available"}),
        (
            "StartTransaction",
            {"connectorId": 0, "idTag": "T", "meterStart": 0, "timestamp": "2026-12-03T12:00:00Z"},
        ),
        (
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "T",
                "meterStart": 2**63,
                "timestamp": "2026-12-03T12:00:00Z",
            },
        ),
        (
            "StopTransaction",
            {"transactionId": 2**63, "meterStop": 1, "timestamp": "2026-12-03T12:00:00Z"},
        ),
    ],
)
async def test_numbers_out_of_range_are_a_constraint_violation_and_store_nothing(
    server: Server, cp_id: str, api: httpx.AsyncClient, action: str, payload: dict
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        with pytest.raises(CallErrorReceived) as refused:
            await client.call(action, payload)
        assert refused.value.code == "PropertyConstraintViolation"
    detail = (await api.get(f"/charge-points/{cp_id}")).json()
    assert [c for c in detail["connectors"] if c["connectorId"] < 0 or c["connectorId"] > 99] == []
    assert (await api.get(f"/transactions?chargePointId={cp_id}")).json()["total"] == 0
