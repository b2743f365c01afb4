"""Server-side search, filters and sorting of the lists, and the CSV export of
transactions, over real HTTP against a running server with real charge points."""

from __future__ import annotations

import csv
import io

import httpx

from tests.conftest import unique
from tests.ocpp_client import OcppClient
from tests.server import Server


async def register(api: httpx.AsyncClient, identity: str, **fields: object) -> None:
    response = await api.post("/charge-points", json={"id": identity, **fields})
    assert response.status_code == 201, response.text


async def ids(api: httpx.AsyncClient, **params: object) -> list[str]:
    response = await api.get("/charge-points", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


async def test_charge_points_are_filtered_searched_and_sorted(
    server: Server, api: httpx.AsyncClient
) -> None:
    group = unique("FLT")
    booted, pending, idle = f"{group}-b", f"{group}-p", f"{group}-i"
    await register(api, booted)
    await register(api, pending, registrationStatus="Pending")
    await register(api, idle)
    vendor = unique("Vendor")
    async with OcppClient.connect(server.ws_url, booted) as client:
        await client.boot(
            chargePointVendor=vendor, chargePointModel="Flt-Model", firmwareVersion="9.9.1"
        )
        assert await ids(api, q=group, connected="true") == [booted]
        assert await ids(api, q=group, connected="false") == [idle, pending]
    assert await ids(api, q=group, connected="true") == []

    assert await ids(api, q=group) == [booted, idle, pending]  # by id
    assert await ids(api, q=group.lower()) == [booted, idle, pending]  # any case
    assert await ids(api, q=group, sort="-id") == [pending, idle, booted]
    assert await ids(api, q=group, registrationStatus="Pending") == [pending]
    assert await ids(api, q=group, registrationStatus="Accepted") == [booted, idle]
    assert await ids(api, vendor=vendor) == [booted]
    assert await ids(api, q=vendor.upper()) == [booted]  # the vendor is searched too
    assert await ids(api, vendor=vendor, model="Flt-Model", firmwareVersion="9.9.1") == [booted]
    assert await ids(api, vendor=vendor, firmwareVersion="9.9.2") == []
    # lastSeen: the booted one has one, the others none (last, also descending).
    assert (await ids(api, q=group, sort="-lastSeen,id"))[0] == booted
    assert await ids(api, q=group, sort="lastSeen,-id") == [booted, pending, idle]
    assert await ids(api, q=f"{group}%") == []  # % and _ are text, not wildcards
    assert await ids(api, q=f"{group[:-1]}_") == []

    paged = (await api.get("/charge-points", params={"q": group, "limit": 2})).json()
    assert paged["total"] == 3 and len(paged["items"]) == 2
    for bad in (
        {"sort": "password"},
        {"sort": "lastSeen,nope"},
        {"registrationStatus": "Maybe"},
        {"connected": "perhaps"},
    ):
        refused = await api.get("/charge-points", params=bad)
        assert refused.status_code == 422, bad
        assert isinstance(refused.json()["detail"], str)
    assert "lastSeen" in (await api.get("/charge-points", params={"sort": "x"})).json()["detail"]


async def start(client: OcppClient, id_tag: str, meter: int, timestamp: str) -> int:
    answer = await client.call(
        "StartTransaction",
        {"connectorId": 1, "idTag": id_tag, "meterStart": meter, "timestamp": timestamp},
    )
    return int(answer["transactionId"])


async def test_transactions_are_filtered_sorted_and_exported_as_csv(
    server: Server, api: httpx.AsyncClient
) -> None:
    identity, other = unique("TXF"), unique("TXF")
    await register(api, identity)
    await register(api, other)
    tag = unique("T")[:20]
    assert (await api.post("/id-tags", json={"idTag": tag})).status_code == 201
    async with OcppClient.connect(server.ws_url, identity) as client:
        await client.boot()
        first = await start(client, tag, 1000, "2026-03-01T08:00:00Z")
        await client.call(
            "StopTransaction",
            {"transactionId": first, "meterStop": 1500, "timestamp": "2026-03-01T09:00:00Z"},
        )
        second = await start(client, tag, 2000, "2026-03-02T08:00:00Z")
        await client.call(
            "StopTransaction",
            {"transactionId": second, "meterStop": 4000, "timestamp": "2026-03-02T09:00:00Z"},
        )
        running = await start(client, "SOMEONE", 5000, "2026-03-03T08:00:00Z")
    async with OcppClient.connect(server.ws_url, other) as client:
        await client.boot()
        elsewhere = await start(client, tag, 0, "2026-03-02T12:00:00Z")

    async def listed(**params: object) -> list[int]:
        response = await api.get("/transactions", params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        return [item["transactionId"] for item in response.json()["items"]]

    assert await listed(chargePointId=identity) == [running, second, first]  # newest first
    assert await listed(chargePointId=identity, state="completed") == [second, first]
    assert await listed(chargePointId=identity, state="active") == [running]
    assert await listed(chargePointId=identity, active="true") == [running]
    assert await listed(idTag=tag.lower()) == [elsewhere, second, first]
    assert await listed(idTag=tag, chargePointId=other) == [elsewhere]
    window = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}
    assert await listed(idTag=tag, **window) == [elsewhere, second]
    assert await listed(idTag=tag, **{"from": "2026-03-02T08:00:00Z"}) == [elsewhere, second]
    assert await listed(idTag=tag, to="2026-03-02T08:00:00Z") == [first]  # before `to`
    assert await listed(chargePointId=identity, sort="-energyWh") == [second, first, running]
    assert await listed(chargePointId=identity, sort="startTimestamp") == [first, second, running]
    for bad in (
        {"state": "paused"},
        {"sort": "meterStop"},
        {"from": "yesterday"},
        {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"},
        {"state": "active", "active": "false"},
    ):
        refused = await api.get("/transactions", params=bad)
        assert refused.status_code == 422, bad
        assert isinstance(refused.json()["detail"], str)

    export = await api.get("/transactions.csv", params={"chargePointId": identity})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "transactions.csv" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [int(row["transactionId"]) for row in rows] == [running, second, first]
    listed_first = (await api.get(f"/transactions/{first}")).json()
    assert rows[2]["energyWh"] == "500" and rows[1]["energyWh"] == "2000"
    assert rows[0]["energyWh"] == "" and rows[0]["active"] == "true"
    assert rows[2]["startTimestamp"] == listed_first["startTimestamp"]
    assert rows[2]["stopReason"] == (listed_first["stopReason"] or "")
    # The same filters and sort as the list, and every row, not a page.
    filtered = await api.get(
        "/transactions.csv", params={"idTag": tag, "state": "completed", "sort": "energyWh"}
    )
    assert [int(r["transactionId"]) for r in csv.DictReader(io.StringIO(filtered.text))] == [
        first,
        second,
    ]
    assert (await api.get("/transactions.csv", params={"state": "x"})).status_code == 422
