"""The Reservation profile end to end: create, change, cancel, use, expire, authorize."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import api_client, run_cli, unique
from tests.ocpp_client import OcppClient
from tests.server import Server

REFUSALS = ["Faulted", "Occupied", "Rejected", "Unavailable"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def new_tag(api: httpx.AsyncClient, parent: str | None = None) -> str:
    tag = unique("T")[:20]
    body = {"idTag": tag} if parent is None else {"idTag": tag, "parentIdTag": parent}
    assert (await api.post("/id-tags", json=body)).status_code == 201
    return tag


@pytest.fixture
async def client(server: Server, cp_id: str) -> AsyncIterator[OcppClient]:
    """The charge point `cp_id`, connected and Accepted."""
    async with OcppClient.connect(server.ws_url, cp_id) as connected:
        await connected.boot()
        yield connected


async def reserve(api: httpx.AsyncClient, cp_id: str, **fields: object) -> httpx.Response:
    end = {} if "expiryDate" in fields else {"durationSeconds": 600}
    body = {"chargePointId": cp_id, "connectorId": 1, **end, **fields}
    return await api.post("/reservations", json=body)


def start(id_tag: str, connector: int = 1, **fields: object) -> dict[str, object]:
    return {
        "connectorId": connector,
        "idTag": id_tag,
        "meterStart": 0,
        "timestamp": iso(datetime.now(UTC)),
        **fields,
    }


async def test_reserved_with_an_assigned_id_and_the_tags_parent(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    parent = await new_tag(api)
    tag = await new_tag(api, parent)
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    response = await reserve(api, cp_id, idTag=tag, expiryDate=iso(expiry), connectorId=2)
    assert response.status_code == 201, response.text
    reservation = response.json()
    assert reservation["status"] == "Reserved" and reservation["reason"] is None
    assert reservation["connectorId"] == 2 and reservation["idTag"] == tag
    assert reservation["parentIdTag"] == parent
    assert reservation["expiryDate"] == iso(expiry).replace("Z", ".000Z")
    sent = await client.wait_for_call("ReserveNow")
    assert sent == {
        "connectorId": 2,
        "expiryDate": reservation["expiryDate"],
        "idTag": tag,
        "reservationId": reservation["reservationId"],
        "parentIdTag": parent,
    }
    one = await api.get(f"/reservations/{reservation['reservationId']}")
    assert one.json() == reservation
    listed = (await api.get("/reservations", params={"chargePointId": cp_id})).json()
    assert listed["items"] == [reservation] and listed["total"] == 1
    # An explicit parentIdTag is sent as given; a tag unknown to the store has no parent.
    explicit = await reserve(api, cp_id, idTag=unique("V")[:20], parentIdTag="GROUP-X")
    assert explicit.json()["parentIdTag"] == "GROUP-X"
    unknown = await reserve(api, cp_id, idTag=unique("V")[:20], connectorId=3)
    assert unknown.json()["parentIdTag"] is None
    assert "parentIdTag" not in client.received[-1][1]


@pytest.mark.parametrize("answer", REFUSALS)
async def test_each_refusal_is_recorded_rejected_with_its_reason(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient, answer: str
) -> None:
    client.answers["ReserveNow"] = {"status": answer}
    response = await reserve(api, cp_id, idTag="SOMEONE")
    assert response.status_code == 409
    body = response.json()
    assert answer in body["detail"]
    assert body["status"] == "Rejected" and body["reason"] == answer
    stored = (await api.get(f"/reservations/{body['reservationId']}")).json()
    assert stored["status"] == "Rejected" and stored["reason"] == answer
    inactive = await api.get("/reservations", params={"chargePointId": cp_id, "active": True})
    assert inactive.json()["total"] == 0


async def test_cancel_accepted_then_nothing_left_to_cancel(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    reservation_id = (await reserve(api, cp_id, idTag="CANCEL-ME")).json()["reservationId"]
    response = await api.delete(f"/reservations/{reservation_id}")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Cancelled" and response.json()["reason"] is None
    assert await client.wait_for_call("CancelReservation") == {"reservationId": reservation_id}
    again = await api.delete(f"/reservations/{reservation_id}")
    assert again.status_code == 409 and "Cancelled" in again.json()["detail"]
    assert [action for action, _ in client.received].count("CancelReservation") == 1


async def test_cancel_rejected_means_the_charge_point_holds_none(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    reservation_id = (await reserve(api, cp_id, idTag="LOST")).json()["reservationId"]
    client.answers["CancelReservation"] = {"status": "Rejected"}
    response = await api.delete(f"/reservations/{reservation_id}")
    assert response.status_code == 409
    body = response.json()
    assert "Rejected" in body["detail"]
    assert body["status"] == "Cancelled" and body["reason"] == "NotActiveOnChargePoint"
    # The CSMS no longer treats the tag as reserved there.
    info = await client.call("Authorize", {"idTag": "LOST"})
    assert info["idTagInfo"]["status"] == "Invalid"


async def test_change_replaces_under_the_same_id_and_a_refusal_changes_nothing(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    created = (await reserve(api, cp_id, idTag="MOVER")).json()
    reservation_id = created["reservationId"]
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    response = await api.patch(
        f"/reservations/{reservation_id}", json={"connectorId": 2, "expiryDate": iso(later)}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["reservationId"] == reservation_id and changed["connectorId"] == 2
    assert changed["expiryDate"] == iso(later).replace("Z", ".000Z")
    assert changed["status"] == "Reserved"
    assert client.received[-1] == (
        "ReserveNow",
        {
            "connectorId": 2,
            "expiryDate": changed["expiryDate"],
            "idTag": "MOVER",
            "reservationId": reservation_id,
        },
    )
    client.answers["ReserveNow"] = {"status": "Occupied"}
    refused = await api.patch(f"/reservations/{reservation_id}", json={"connectorId": 3})
    assert refused.status_code == 409
    assert refused.json()["answer"] == "Occupied" and refused.json()["connectorId"] == 2
    assert (await api.get(f"/reservations/{reservation_id}")).json() == changed
    nothing = await api.patch(f"/reservations/{reservation_id}", json={})
    assert nothing.status_code == 422


async def test_re_reservation_through_the_commands_endpoint_replaces(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    reservation_id = (await reserve(api, cp_id, idTag="FIRST")).json()["reservationId"]
    body = {
        "connectorId": 4,
        "expiryDate": iso(datetime.now(UTC) + timedelta(hours=2)),
        "idTag": "SECOND",
        "reservationId": reservation_id,
    }
    sent = await api.post(f"/charge-points/{cp_id}/commands/ReserveNow", json=body)
    assert sent.json() == {"status": "Accepted"}
    replaced = (await api.get(f"/reservations/{reservation_id}")).json()
    assert replaced["idTag"] == "SECOND" and replaced["connectorId"] == 4
    assert replaced["status"] == "Reserved"
    assert (await api.get("/reservations", params={"chargePointId": cp_id})).json()["total"] == 1


async def test_expiry_ends_the_reservation_and_its_authorization(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    virtual = unique("V")[:20]
    reservation_id = (await reserve(api, cp_id, idTag=virtual, durationSeconds=1)).json()[
        "reservationId"
    ]
    info = await client.call("Authorize", {"idTag": virtual})
    assert info["idTagInfo"]["status"] == "Accepted"
    await asyncio.sleep(1.2)
    assert (await api.get(f"/reservations/{reservation_id}")).json()["status"] == "Expired"
    active = await api.get("/reservations", params={"chargePointId": cp_id, "active": True})
    assert active.json()["total"] == 0
    info = await client.call("Authorize", {"idTag": virtual})
    assert info["idTagInfo"]["status"] == "Invalid"
    # Nothing left to cancel on the charge point.
    assert (await api.delete(f"/reservations/{reservation_id}")).status_code == 409


async def test_connector_available_after_the_expiry_expires_it(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    """The charge point's clock may run ahead: its Available after the expiry ends it."""
    created = (await reserve(api, cp_id, idTag="EARLY", durationSeconds=600)).json()
    expiry = datetime.fromisoformat(created["expiryDate"])
    before = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}
    await client.call("StatusNotification", {**before, "timestamp": iso(datetime.now(UTC))})
    assert (await api.get(f"/reservations/{created['reservationId']}")).json()[
        "status"
    ] == "Reserved"
    after = iso(expiry + timedelta(seconds=1))
    await client.call("StatusNotification", {**before, "connectorId": 2, "timestamp": after})
    assert (await api.get(f"/reservations/{created['reservationId']}")).json()[
        "status"
    ] == "Reserved"  # another connector
    await client.call("StatusNotification", {**before, "timestamp": after})
    assert (await api.get(f"/reservations/{created['reservationId']}")).json()[
        "status"
    ] == "Expired"


@pytest.mark.parametrize(("connector", "status"), [(1, "Faulted"), (0, "Unavailable")])
async def test_faulted_or_unavailable_terminates_it(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient, connector: int, status: str
) -> None:
    reservation_id = (await reserve(api, cp_id, idTag="UNLUCKY")).json()["reservationId"]
    await client.call(
        "StatusNotification",
        {"connectorId": connector, "status": status, "errorCode": "OtherError"},
    )
    ended = (await api.get(f"/reservations/{reservation_id}")).json()
    assert ended["status"] == "Cancelled" and ended["reason"] == status


async def test_used_by_a_transaction_naming_it(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    tag = await new_tag(api)
    reservation_id = (await reserve(api, cp_id, idTag=tag)).json()["reservationId"]
    started = await client.call("StartTransaction", start(tag, reservationId=reservation_id))
    assert started["idTagInfo"]["status"] == "Accepted"
    used = (await api.get(f"/reservations/{reservation_id}")).json()
    assert used["status"] == "Used" and used["transactionId"] == started["transactionId"]
    record = (await api.get(f"/transactions/{started['transactionId']}")).json()
    assert record["reservationId"] == reservation_id


async def test_used_by_the_reserved_tag_or_a_group_member_on_the_reserved_connector(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    parent = await new_tag(api)
    holder = await new_tag(api, parent)
    member = await new_tag(api, parent)
    stranger = await new_tag(api)
    on_two = (await reserve(api, cp_id, idTag=holder, connectorId=2)).json()["reservationId"]
    # A stranger on the reserved connector and the member elsewhere end nothing.
    await client.call("StartTransaction", start(stranger, connector=2, meterStart=1))
    await client.call("StartTransaction", start(member, connector=1))
    assert (await api.get(f"/reservations/{on_two}")).json()["status"] == "Reserved"
    started = await client.call("StartTransaction", start(member, connector=2, meterStart=2))
    used = (await api.get(f"/reservations/{on_two}")).json()
    assert used["status"] == "Used" and used["transactionId"] == started["transactionId"]
    # Connector 0: any connector.
    anywhere = (await reserve(api, cp_id, idTag=holder, connectorId=0)).json()["reservationId"]
    started = await client.call("StartTransaction", start(holder.lower(), connector=3))
    used = (await api.get(f"/reservations/{anywhere}")).json()
    assert used["status"] == "Used" and used["transactionId"] == started["transactionId"]


async def test_parent_tag_and_reserved_tag_authorization(
    server: Server, cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    parent = await new_tag(api)
    member = await new_tag(api, parent)
    virtual = unique("V")[:20]  # reserved for, yet not in the id tag store
    created = (await reserve(api, cp_id, idTag=virtual, parentIdTag=parent)).json()
    # A member of the reservation's group gets the parentIdTag the charge point matches on.
    info = (await client.call("Authorize", {"idTag": member}))["idTagInfo"]
    assert info == {"status": "Accepted", "parentIdTag": parent}
    # The reserved tag is accepted at this charge point while the reservation holds...
    info = (await client.call("Authorize", {"idTag": virtual}))["idTagInfo"]
    assert info == {
        "status": "Accepted",
        "expiryDate": created["expiryDate"],
        "parentIdTag": parent,
    }
    async with OcppClient.connect(server.ws_url, await _other_cp(api)) as other:
        await other.boot()
        elsewhere = (await other.call("Authorize", {"idTag": virtual}))["idTagInfo"]
        assert elsewhere["status"] == "Invalid"
    # ...and through the transaction it starts, also when StartTransaction is repeated.
    payload = start(virtual, reservationId=created["reservationId"])
    first = await client.call("StartTransaction", payload)
    again = await client.call("StartTransaction", payload)
    assert first["idTagInfo"]["status"] == again["idTagInfo"]["status"] == "Accepted"
    assert first["transactionId"] == again["transactionId"]
    stopped = await client.call(
        "StopTransaction",
        {
            "transactionId": first["transactionId"],
            "idTag": virtual,
            "meterStop": 10,
            "timestamp": iso(datetime.now(UTC)),
        },
    )
    assert stopped["idTagInfo"]["status"] == "Accepted"
    info = (await client.call("Authorize", {"idTag": virtual}))["idTagInfo"]
    assert info["status"] == "Invalid"


async def _other_cp(api: httpx.AsyncClient) -> str:
    identity = unique()
    assert (await api.post("/charge-points", json={"id": identity})).status_code == 201
    return identity


async def test_reservation_ids_are_unique_under_concurrent_creates(server_factory: Any) -> None:
    """On a fresh database, so the very first ids are taken concurrently too."""
    server: Server = await server_factory()
    async with api_client(server) as api:
        identities = [await _other_cp(api) for _ in range(3)]
        async with (
            OcppClient.connect(server.ws_url, identities[0]) as first,
            OcppClient.connect(server.ws_url, identities[1]) as second,
            OcppClient.connect(server.ws_url, identities[2]) as third,
        ):
            for connected in (first, second, third):
                await connected.boot()
            responses = await asyncio.gather(
                *[
                    reserve(api, identities[n % 3], idTag=f"C{n}", connectorId=n + 1)
                    for n in range(24)
                ]
            )
            assert [r.status_code for r in responses] == [201] * 24, [r.text for r in responses]
            ids = [r.json()["reservationId"] for r in responses]
            assert sorted(ids) == list(range(1, 25))
            # An id an operator chose through the commands endpoint is never assigned again.
            chosen = max(ids) + 1
            await api.post(
                f"/charge-points/{identities[0]}/commands/ReserveNow",
                json={
                    "connectorId": 99,
                    "expiryDate": iso(datetime.now(UTC) + timedelta(hours=1)),
                    "idTag": "CHOSEN",
                    "reservationId": chosen,
                },
            )
            following = (await reserve(api, identities[1], idTag="NEXT", connectorId=99)).json()
            assert following["reservationId"] > chosen


async def test_connector_zero_follows_what_the_csms_knows_of_the_configuration(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    # Not known: sent, and the charge point decides.
    client.answers["ReserveNow"] = {"status": "Rejected"}
    response = await reserve(api, cp_id, idTag="ZERO", connectorId=0)
    assert response.status_code == 409 and response.json()["reason"] == "Rejected"
    sent = [action for action, _ in client.received].count("ReserveNow")
    for value, expected in (("false", 409), ("true", 201)):
        client.answers["GetConfiguration"] = {
            "configurationKey": [
                {"key": "ReserveConnectorZeroSupported", "readonly": True, "value": value}
            ]
        }
        await api.post(f"/charge-points/{cp_id}/commands/GetConfiguration", json={})
        client.answers["ReserveNow"] = {"status": "Accepted"}
        response = await reserve(api, cp_id, idTag="ZERO", connectorId=0)
        assert response.status_code == expected, response.text
        if value == "false":
            assert "ReserveConnectorZeroSupported=false" in response.json()["detail"]
    # The refusal for false was made before sending: one more ReserveNow only (for true).
    assert [action for action, _ in client.received].count("ReserveNow") == sent + 1


async def test_bad_requests_are_clear_4xx(
    cp_id: str, client: OcppClient, api: httpx.AsyncClient
) -> None:
    past = iso(datetime.now(UTC) - timedelta(minutes=1))
    future = iso(datetime.now(UTC) + timedelta(minutes=10))
    cases: list[tuple[dict[str, object], int]] = [
        ({"expiryDate": past}, 422),
        ({"expiryDate": future, "durationSeconds": 60}, 422),
        ({"durationSeconds": None}, 422),
        ({"connectorId": -1}, 422),
        ({"idTag": "X" * 21}, 422),
        ({"expiryDate": "next week"}, 422),  # not a timestamp
        ({"chargePointId": unique()}, 404),
    ]
    for fields, status in cases:
        response = await reserve(api, cp_id, **{"idTag": "BAD", **fields})
        assert response.status_code == status, (fields, response.text)
        assert isinstance(response.json()["detail"], str)
    assert client.received == []
    assert (await api.get("/reservations/987654321")).status_code == 404
    assert (await api.delete("/reservations/987654321")).status_code == 404
    offline = await _other_cp(api)
    response = await reserve(api, offline, idTag="BAD")
    assert response.status_code == 409 and "not connected" in response.json()["detail"]


async def test_cli_creates_lists_and_cancels(
    server: Server, cp_id: str, client: OcppClient
) -> None:
    create = ["reservation", "create", cp_id, "--connector", "1", "--id-tag", "CLI-TAG"]
    result = await run_cli(server, *create, "--duration", "600", "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["status"] == "Reserved"
    reservation_id = str(created["reservationId"])
    listed = await run_cli(server, "reservation", "list", "--charge-point", cp_id, "--active")
    assert listed.exit_code == 0, listed.output
    assert reservation_id in listed.output and "CLI-TAG" in listed.output
    cancelled = await run_cli(server, "reservation", "cancel", reservation_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert f"Reservation {reservation_id}: Cancelled" in cancelled.output
    client.answers["ReserveNow"] = {"status": "Occupied"}
    future = iso(datetime.now(UTC) + timedelta(hours=1))
    refused = await run_cli(server, *create, "--expiry", future)
    assert refused.exit_code == 1 and "Occupied" in refused.output
    assert (await run_cli(server, *create)).exit_code == 2  # neither --expiry nor --duration
