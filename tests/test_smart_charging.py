"""Smart Charging end to end: rules, recording, clearing, composite schedules and the CLI.

A real server per backend, a real WebSocket charge point (OcppClient) answering the CSMS's
calls from its `answers` table, and real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ampyre.cli import main
from tests.conftest import unique
from tests.ocpp_client import OcppClient
from tests.server import TOKEN, Server

Profile = dict[str, Any]


def tx_default(limit: float = 16.0, **fields: Any) -> Profile:
    schedule = fields.pop("chargingSchedule", {})
    return {
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": "2026-01-01T00:00:00Z",
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            **schedule,
        },
        **fields,
    }


def tx_profile(limit: float = 10.0, **fields: Any) -> Profile:
    return {
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
        **fields,
    }


@contextlib.asynccontextmanager
async def charge_point(server: Server, cp_id: str) -> AsyncIterator[OcppClient]:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        yield client


async def start_transaction(client: OcppClient, connector_id: int = 1, id_tag: str = "T1") -> int:
    answer = await client.call(
        "StartTransaction",
        {
            "connectorId": connector_id,
            "idTag": id_tag,
            "meterStart": 0,
            "timestamp": "2026-03-01T08:00:00Z",
        },
    )
    return int(answer["transactionId"])


async def stop_transaction(client: OcppClient, transaction_id: int) -> None:
    await client.call(
        "StopTransaction",
        {"transactionId": transaction_id, "meterStop": 1000, "timestamp": "2026-03-01T09:00:00Z"},
    )


async def installed(api: httpx.AsyncClient, cp_id: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(f"/charge-points/{cp_id}/charging-profiles", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ids(items: list[dict[str, Any]]) -> list[int]:
    return sorted(item["csChargingProfiles"]["chargingProfileId"] for item in items)


# -- The rules: 422 naming the broken rule, nothing sent ---------------------------------

BROKEN_RULES = [
    (
        "ChargePointMaxProfile off connector 0",
        1,
        tx_default(chargingProfilePurpose="ChargePointMaxProfile"),
        "ChargePointMaxProfile can only be set on connectorId 0",
    ),
    ("TxProfile on connector 0", 0, tx_profile(), "TxProfile can only be set on a connector"),
    ("TxProfile without transaction", 1, tx_profile(), "needs an active transaction"),
    (
        "transactionId on a default profile",
        1,
        tx_default(transactionId=5),
        "only a TxProfile names a transaction",
    ),
    ("negative stack level", 1, tx_default(stackLevel=-1), "stackLevel: must be 0 or more"),
    (
        "Recurring without recurrencyKind",
        1,
        tx_default(chargingProfileKind="Recurring"),
        "needs recurrencyKind",
    ),
    (
        "recurrencyKind on an Absolute profile",
        1,
        tx_default(recurrencyKind="Daily"),
        "only a Recurring profile has one",
    ),
    (
        "Recurring without startSchedule",
        1,
        tx_default(
            chargingProfileKind="Recurring",
            recurrencyKind="Weekly",
            chargingSchedule={"startSchedule": None},
        ),
        "a Recurring profile needs startSchedule",
    ),
    (
        "Relative with startSchedule",
        1,
        tx_default(chargingProfileKind="Relative"),
        "must not have startSchedule",
    ),
    (
        "first period not at 0",
        1,
        tx_default(chargingSchedule={"chargingSchedulePeriod": [{"startPeriod": 60, "limit": 6}]}),
        "the first period must start at 0",
    ),
    (
        "periods out of order",
        1,
        tx_default(
            chargingSchedule={
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 6},
                    {"startPeriod": 600, "limit": 8},
                    {"startPeriod": 600, "limit": 10},
                ]
            }
        ),
        "chargingSchedulePeriod[2].startPeriod: periods must be in ascending order",
    ),
    (
        "no periods",
        1,
        tx_default(chargingSchedule={"chargingSchedulePeriod": []}),
        "needs at least one period",
    ),
    (
        "validFrom after validTo",
        1,
        tx_default(validFrom="2026-02-01T00:00:00Z", validTo="2026-01-01T00:00:00Z"),
        "validFrom: must be before validTo",
    ),
    (
        "negative limit",
        1,
        tx_default(chargingSchedule={"chargingSchedulePeriod": [{"startPeriod": 0, "limit": -1}]}),
        "limit: must not be negative",
    ),
    (
        "four phases",
        1,
        tx_default(
            chargingSchedule={
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6, "numberPhases": 4}]
            }
        ),
        "numberPhases: must be 1, 2 or 3",
    ),
    (
        "zero duration",
        1,
        tx_default(chargingSchedule={"duration": 0}),
        "duration: must be a positive number",
    ),
]


def _drop_nulls(profile: Profile) -> Profile:
    schedule = {k: v for k, v in profile["chargingSchedule"].items() if v is not None}
    return {**profile, "chargingSchedule": schedule}


@pytest.mark.parametrize(
    ("connector_id", "profile", "rule"),
    [case[1:] for case in BROKEN_RULES],
    ids=[case[0] for case in BROKEN_RULES],
)
async def test_a_profile_breaking_a_rule_is_refused_before_anything_is_sent(
    server: Server,
    cp_id: str,
    api: httpx.AsyncClient,
    connector_id: int,
    profile: Profile,
    rule: str,
) -> None:
    profile = _drop_nulls(profile)
    async with charge_point(server, cp_id) as client:
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": connector_id, "csChargingProfiles": profile},
        )
        assert response.status_code == 422, response.text
        assert rule in response.json()["detail"]
        assert "OCPP 1.6" in response.json()["detail"]
        # The generic command endpoint keeps the same rules.
        response = await api.post(
            f"/charge-points/{cp_id}/commands/SetChargingProfile",
            json={
                "connectorId": connector_id,
                "csChargingProfiles": {"chargingProfileId": 1, **profile},
            },
        )
        assert response.status_code == 422, response.text
        assert rule in response.json()["detail"]
        assert client.received == []
    assert await installed(api, cp_id) == []


async def test_a_tx_profile_must_name_the_active_transaction(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id) as client:
        transaction_id = await start_transaction(client, connector_id=2)
        for connector_id, profile, rule in [
            (1, tx_profile(), "needs an active transaction on connector 1"),
            (
                2,
                tx_profile(transactionId=transaction_id + 1000),
                f"is not the active transaction on connector 2, which is {transaction_id}",
            ),
        ]:
            response = await api.post(
                f"/charge-points/{cp_id}/charging-profiles",
                json={"connectorId": connector_id, "csChargingProfiles": profile},
            )
            assert response.status_code == 422, response.text
            assert rule in response.json()["detail"]
        assert client.received == []
        await stop_transaction(client, transaction_id)
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 2, "csChargingProfiles": tx_profile()},
        )
        assert response.status_code == 422, "the transaction has stopped"


@pytest.mark.parametrize(
    ("profile", "rule"),
    [
        (tx_default(), "must be a TxProfile, not TxDefaultProfile"),
        (tx_profile(transactionId=3), "transactionId: must not be set in a RemoteStart"),
        (
            tx_profile(chargingProfileKind="Recurring", recurrencyKind="Daily"),
            "needs startSchedule",
        ),
    ],
)
async def test_a_remote_start_profile_must_be_a_tx_profile_without_transaction(
    server: Server, cp_id: str, api: httpx.AsyncClient, profile: Profile, rule: str
) -> None:
    async with charge_point(server, cp_id) as client:
        response = await api.post(
            f"/charge-points/{cp_id}/commands/RemoteStartTransaction",
            json={
                "idTag": "T1",
                "connectorId": 1,
                "chargingProfile": {"chargingProfileId": 9, **profile},
            },
        )
        assert response.status_code == 422, response.text
        assert rule in response.json()["detail"]
        assert client.received == []


async def test_schema_errors_and_unknown_charge_points(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id) as client:
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": {"stackLevel": 0}},
        )
        assert response.status_code == 422
        assert "SetChargingProfile" in response.json()["detail"]
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles", json={"connectorId": -1}
        )
        assert response.status_code == 422
        assert client.received == []
    other = unique()
    for method, path in [
        ("GET", f"/charge-points/{other}/charging-profiles"),
        ("POST", f"/charge-points/{other}/charging-profiles"),
        ("DELETE", f"/charge-points/{other}/charging-profiles"),
        ("DELETE", f"/charge-points/{other}/charging-profiles/1"),
        ("GET", f"/charge-points/{other}/connectors/1/composite-schedule"),
    ]:
        body = {"connectorId": 1, "csChargingProfiles": tx_default()} if method == "POST" else None
        response = await api.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
    # Registered but not connected: nothing can be sent.
    response = await api.post(
        f"/charge-points/{cp_id}/charging-profiles",
        json={"connectorId": 1, "csChargingProfiles": tx_default()},
    )
    assert response.status_code == 409
    assert "not connected" in response.json()["detail"]


# -- Recording ---------------------------------------------------------------------------


async def test_set_assigns_unique_ids_sends_and_records(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id) as client:
        first = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default()},
        )
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["status"] == "Accepted" and body["connectorId"] == 1
        first_id = body["csChargingProfiles"]["chargingProfileId"]
        assert client.received == [
            (
                "SetChargingProfile",
                {"connectorId": 1, "csChargingProfiles": body["csChargingProfiles"]},
            )
        ]
        # Cleared profiles' ids are not reused, and an id given by hand is kept clear of.
        await api.delete(f"/charge-points/{cp_id}/charging-profiles/{first_id}")
        second = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 2, "csChargingProfiles": tx_default()},
        )
        second_id = second.json()["csChargingProfiles"]["chargingProfileId"]
        assert second_id > first_id
        await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={
                "connectorId": 0,
                "csChargingProfiles": tx_default(chargingProfileId=500, stackLevel=3),
            },
        )
        third = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default()},
        )
        assert third.json()["csChargingProfiles"]["chargingProfileId"] == 501
    items = await installed(api, cp_id)
    assert ids(items) == sorted([second_id, 500, 501])
    assert set(items[0]) == {"connectorId", "csChargingProfiles"}
    assert [item["connectorId"] for item in await installed(api, cp_id, connectorId=0)] == [0]
    one = (await api.get(f"/charge-points/{cp_id}/charging-profiles/501")).json()
    assert one["connectorId"] == 1 and one["transactionId"] is None and one["installedAt"]
    assert (await api.get(f"/charge-points/{cp_id}/charging-profiles/77")).status_code == 404


async def test_concurrent_sets_get_distinct_ids(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id):
        responses = await asyncio.gather(
            *[
                api.post(
                    f"/charge-points/{cp_id}/charging-profiles",
                    json={"connectorId": 1, "csChargingProfiles": tx_default(stackLevel=level)},
                )
                for level in range(5)
            ]
        )
    assert [r.status_code for r in responses] == [201] * 5
    assigned = {r.json()["csChargingProfiles"]["chargingProfileId"] for r in responses}
    assert len(assigned) == 5
    assert ids(await installed(api, cp_id)) == sorted(assigned)


async def test_same_id_or_same_purpose_and_stack_level_on_the_connector_replaces(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async def put(connector_id: int, profile: Profile) -> None:
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": connector_id, "csChargingProfiles": profile},
        )
        assert response.status_code == 201, response.text

    async with charge_point(server, cp_id):
        await put(1, tx_default(8, chargingProfileId=10))
        await put(2, tx_default(9, chargingProfileId=10, stackLevel=4))  # same id
        assert [
            (i["connectorId"], i["csChargingProfiles"]["stackLevel"])
            for i in await installed(api, cp_id)
        ] == [(2, 4)]
        await put(2, tx_default(7, chargingProfileId=11, stackLevel=4))  # same place
        await put(1, tx_default(6, chargingProfileId=12, stackLevel=4))  # other connector
        await put(2, tx_default(5, chargingProfileId=13, stackLevel=5))  # other level
    assert ids(await installed(api, cp_id)) == [11, 12, 13]


@pytest.mark.parametrize("answer", ["Rejected", "NotSupported"])
async def test_a_refused_profile_is_not_recorded(
    server: Server, cp_id: str, api: httpx.AsyncClient, answer: str
) -> None:
    async with charge_point(server, cp_id) as client:
        client.answers["SetChargingProfile"] = {"status": answer}
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default(chargingProfileId=3)},
        )
        assert response.status_code == 409
        assert response.json()["status"] == answer
        assert (
            response.json()["detail"]
            == f"Charge point answered {answer}: the profile is not installed"
        )
        response = await api.post(
            f"/charge-points/{cp_id}/commands/SetChargingProfile",
            json={"connectorId": 1, "csChargingProfiles": tx_default(chargingProfileId=3)},
        )
        assert response.json() == {"status": answer}
        client.answers["SetChargingProfile"] = ("InternalError", "no memory")
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default(chargingProfileId=3)},
        )
        assert response.status_code == 502
    assert await installed(api, cp_id) == []


# -- Clearing ----------------------------------------------------------------------------


async def _install_set(api: httpx.AsyncClient, cp_id: str) -> None:
    for connector_id, profile in [
        (0, tx_default(32, chargingProfileId=1, chargingProfilePurpose="ChargePointMaxProfile")),
        (0, tx_default(16, chargingProfileId=2)),
        (1, tx_default(10, chargingProfileId=3)),
        (1, tx_default(12, chargingProfileId=4, stackLevel=1)),
        (2, tx_default(14, chargingProfileId=5, stackLevel=1)),
    ]:
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": connector_id, "csChargingProfiles": profile},
        )
        assert response.status_code == 201, response.text


async def test_clear_by_id(server: Server, cp_id: str, api: httpx.AsyncClient) -> None:
    async with charge_point(server, cp_id) as client:
        await _install_set(api, cp_id)
        response = await api.delete(f"/charge-points/{cp_id}/charging-profiles/4")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "Accepted" and body["request"] == {"id": 4}
        assert [c["csChargingProfiles"]["chargingProfileId"] for c in body["cleared"]] == [4]
        assert client.received[-1] == ("ClearChargingProfile", {"id": 4})
        assert ids(await installed(api, cp_id)) == [1, 2, 3, 5]

        # Unknown: the charge point has no such profile, so the record goes too.
        client.answers["ClearChargingProfile"] = {"status": "Unknown"}
        response = await api.delete(f"/charge-points/{cp_id}/charging-profiles/5")
        assert response.status_code == 404
        assert response.json()["status"] == "Unknown"
        assert "no matching charging profile" in response.json()["detail"]
        assert ids(await installed(api, cp_id)) == [1, 2, 3]


@pytest.mark.parametrize(
    ("params", "left"),
    [
        ({"connectorId": 0}, [3, 4, 5]),  # 0 is the charge point itself, not "any"
        ({"connectorId": 1, "stackLevel": 1}, [1, 2, 3, 5]),
        ({"chargingProfilePurpose": "TxDefaultProfile"}, [1]),
        ({"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 1}, [1, 2, 3]),
        ({}, []),
    ],
)
async def test_clear_by_filter_removes_what_matches_every_field(
    server: Server, cp_id: str, api: httpx.AsyncClient, params: dict[str, Any], left: list[int]
) -> None:
    async with charge_point(server, cp_id) as client:
        await _install_set(api, cp_id)
        response = await api.delete(f"/charge-points/{cp_id}/charging-profiles", params=params)
        assert response.status_code == 200, response.text
        assert client.received[-1] == ("ClearChargingProfile", params)
        cleared = ids(response.json()["cleared"])
        assert ids(await installed(api, cp_id)) == left
        assert sorted(cleared + left) == [1, 2, 3, 4, 5]


async def test_a_refused_clear_changes_nothing(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id) as client:
        await _install_set(api, cp_id)
        client.answers["ClearChargingProfile"] = ("InternalError", "busy")
        response = await api.delete(f"/charge-points/{cp_id}/charging-profiles")
        assert response.status_code == 502
    assert ids(await installed(api, cp_id)) == [1, 2, 3, 4, 5]


# -- TxProfiles and their transactions ---------------------------------------------------


async def test_a_tx_profile_is_recorded_against_its_transaction_and_ends_with_it(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id) as client:
        transaction_id = await start_transaction(client, connector_id=1)
        response = await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_profile(8, chargingProfileId=20)},
        )
        assert response.status_code == 201, response.text
        assert response.json()["transactionId"] == transaction_id
        named = await api.post(
            f"/charge-points/{cp_id}/commands/SetChargingProfile",
            json={
                "connectorId": 1,
                "csChargingProfiles": tx_profile(
                    6, chargingProfileId=21, stackLevel=1, transactionId=transaction_id
                ),
            },
        )
        assert named.json() == {"status": "Accepted"}
        await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default(chargingProfileId=22)},
        )
        assert ids(await installed(api, cp_id)) == [20, 21, 22]
        await stop_transaction(client, transaction_id)
    assert ids(await installed(api, cp_id)) == [22]


async def test_a_remote_start_profile_is_recorded_against_the_transaction_it_starts(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    tag = unique("R")[:20]
    profile = tx_profile(11, chargingProfileId=30, stackLevel=2)
    async with charge_point(server, cp_id) as client:
        response = await api.post(
            f"/charge-points/{cp_id}/commands/RemoteStartTransaction",
            json={"idTag": tag, "connectorId": 2, "chargingProfile": profile},
        )
        assert response.json() == {"status": "Accepted"}
        assert await installed(api, cp_id) == [], "no transaction yet"
        transaction_id = await start_transaction(client, connector_id=2, id_tag=tag)
        recorded = (await api.get(f"/charge-points/{cp_id}/charging-profiles/30")).json()
        assert recorded["connectorId"] == 2
        assert recorded["transactionId"] == transaction_id
        assert recorded["csChargingProfiles"] == profile
        await stop_transaction(client, transaction_id)
        assert await installed(api, cp_id) == []

        # A refused remote start leaves nothing to record when a transaction starts anyway.
        client.answers["RemoteStartTransaction"] = {"status": "Rejected"}
        await api.post(
            f"/charge-points/{cp_id}/commands/RemoteStartTransaction",
            json={"idTag": tag, "connectorId": 1, "chargingProfile": profile},
        )
        await start_transaction(client, connector_id=1, id_tag=tag)
    assert await installed(api, cp_id) == []


# -- Composite schedules -----------------------------------------------------------------


async def test_composite_schedule_as_the_csms_computes_it(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    path = f"/charge-points/{cp_id}/connectors/1/composite-schedule"
    async with charge_point(server, cp_id) as client:
        empty = (await api.get(path, params={"duration": 600})).json()
        assert empty["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": None}
        ]
        for connector_id, profile in [
            (0, tx_default(20, chargingProfilePurpose="ChargePointMaxProfile")),
            (
                0,
                tx_default(
                    11000,
                    chargingProfileKind="Recurring",
                    recurrencyKind="Daily",
                    chargingSchedule={
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": [
                            {"startPeriod": 0, "limit": 11000},
                            {"startPeriod": 28800, "limit": 6000},
                            {"startPeriod": 72000, "limit": 11000},
                        ],
                    },
                ),
            ),
        ]:
            response = await api.post(
                f"/charge-points/{cp_id}/charging-profiles",
                json={"connectorId": connector_id, "csChargingProfiles": profile},
            )
            assert response.status_code == 201, response.text
        response = await api.get(path, params={"duration": 86400, "start": "2026-03-02T06:00:00Z"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["connectorId"] == 1 and body["scheduleStart"] == "2026-03-02T06:00:00.000Z"
        assert body["chargingSchedule"] == {
            "duration": 86400,
            "chargingRateUnit": "A",
            # 20 A cap; 6000 W / (230 V x 3) = 8.6 A from 08:00 to 20:00.
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 15.9},
                {"startPeriod": 7200, "limit": 8.6},
                {"startPeriod": 50400, "limit": 15.9},
            ],
        }
        in_watts = await api.get(
            path,
            params={"duration": 3600, "start": "2026-03-02T06:00:00Z", "chargingRateUnit": "W"},
        )
        assert in_watts.json()["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 11000.0}
        ]
        whole = await api.get(
            f"/charge-points/{cp_id}/connectors/0/composite-schedule", params={"duration": 60}
        )
        assert whole.json()["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 20.0}
        ]
        for bad in [{"duration": 0}, {"chargingRateUnit": "kW"}, {"start": "yesterday"}]:
            assert (await api.get(path, params=bad)).status_code == 422, bad
        assert client.received[-1][0] == "SetChargingProfile", "nothing asked of the charge point"


async def test_composite_schedule_follows_the_transaction(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    path = f"/charge-points/{cp_id}/connectors/1/composite-schedule"
    async with charge_point(server, cp_id) as client:
        await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default(16)},
        )
        transaction_id = await start_transaction(client, connector_id=1)
        # Relative to the transaction start (08:00): 12 A for its first two hours.
        await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={
                "connectorId": 1,
                "csChargingProfiles": tx_profile(
                    12,
                    chargingSchedule={
                        "chargingRateUnit": "A",
                        "duration": 7200,
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 12}],
                    },
                ),
            },
        )
        params = {"duration": 7200, "start": "2026-03-01T09:00:00Z", "defaultLimit": 32}
        body = (await api.get(path, params=params)).json()
        assert body["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 12.0},
            {"startPeriod": 3600, "limit": 16.0},
        ]
        await stop_transaction(client, transaction_id)
        body = (await api.get(path, params=params)).json()
        assert body["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 16.0}
        ]


async def test_composite_schedule_compared_with_the_charge_points(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    path = f"/charge-points/{cp_id}/connectors/1/composite-schedule"
    async with charge_point(server, cp_id) as client:
        await api.post(
            f"/charge-points/{cp_id}/charging-profiles",
            json={"connectorId": 1, "csChargingProfiles": tx_default(16)},
        )

        def answer(request: dict[str, Any]) -> dict[str, Any]:
            return {
                "status": "Accepted",
                "connectorId": request["connectorId"],
                "scheduleStart": "2026-03-02T12:00:00Z",
                "chargingSchedule": {
                    "duration": request["duration"],
                    "chargingRateUnit": request["chargingRateUnit"],
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
                },
            }

        client.answers["GetCompositeSchedule"] = answer
        body = (await api.get(path, params={"duration": 900, "fromChargePoint": "true"})).json()
        assert client.received[-1] == (
            "GetCompositeSchedule",
            {"connectorId": 1, "duration": 900, "chargingRateUnit": "A"},
        )
        assert (
            body["chargePoint"]["chargingSchedule"]["chargingSchedulePeriod"]
            == (body["chargingSchedule"]["chargingSchedulePeriod"])
        )
        client.answers["GetCompositeSchedule"] = {"status": "Rejected"}
        body = (await api.get(path, params={"fromChargePoint": "true"})).json()
        assert body["chargePoint"] == {"status": "Rejected"}
        assert body["chargingSchedule"]["duration"] == 86400
        client.answers["GetCompositeSchedule"] = ("NotSupported", "no smart charging")
        assert (await api.get(path, params={"fromChargePoint": "true"})).status_code == 502
        response = await api.get(
            path, params={"fromChargePoint": "true", "start": "2026-03-02T12:00:00Z"}
        )
        assert response.status_code == 422
        assert "start" in response.json()["detail"]
    response = await api.get(path, params={"fromChargePoint": "true"})
    assert response.status_code == 409, "not connected"
    assert (await api.get(path)).status_code == 200, "the CSMS's own answer needs no connection"


# -- The command line --------------------------------------------------------------------


async def run_cli(server: Server, *args: str, token: str = TOKEN) -> Any:
    """`ampyre charging-profile ...`; in a thread, as the charge point answers on this loop."""
    return await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["charging-profile", *args],
        env={"AMPYRE_URL": server.http_url, "AMPYRE_API_TOKEN": token},
        catch_exceptions=False,
    )


async def test_cli_sets_lists_shows_composite_and_clears(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    async with charge_point(server, cp_id) as client:
        result = await run_cli(
            server,
            "set",
            cp_id,
            "--connector",
            "0",
            "--purpose",
            "ChargePointMaxProfile",
            "--period",
            "0:32",
            "--period",
            "3600:16:1",
            "--start-schedule",
            "2026-01-01T00:00:00Z",
            "--json",
        )
        assert result.exit_code == 0, result.output
        created = json.loads(result.output)
        assert created["status"] == "Accepted"
        sent = client.received[-1][1]["csChargingProfiles"]
        assert sent["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 32.0},
            {"startPeriod": 3600, "limit": 16.0, "numberPhases": 1},
        ]
        assert sent["chargingProfileKind"] == "Absolute"

        profile = tx_default(10, chargingProfileId=44)
        result = await run_cli(
            server, "set", cp_id, "--connector", "1", "--profile", json.dumps(profile)
        )
        assert result.exit_code == 0, result.output
        assert "44" in result.output

        result = await run_cli(
            server,
            "set",
            cp_id,
            "--connector",
            "1",
            "--purpose",
            "TxProfile",
            "--period",
            "0:6",
            "--kind",
            "Relative",
        )
        assert result.exit_code != 0
        assert "needs an active transaction" in result.output

        result = await run_cli(server, "list", cp_id)
        assert result.exit_code == 0, result.output
        assert "ChargePointMaxProfile" in result.output and "44" in result.output

        result = await run_cli(
            server,
            "composite",
            cp_id,
            "1",
            "--duration",
            "60",
            "--start",
            "2026-03-02T12:00:00Z",
            "--json",
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 10.0}
        ]

        result = await run_cli(server, "clear", cp_id, "--id", "44")
        assert result.exit_code == 0, result.output
        assert client.received[-1] == ("ClearChargingProfile", {"id": 44})
        result = await run_cli(server, "clear", cp_id)
        assert result.exit_code != 0 and "--all" in result.output
        result = await run_cli(server, "clear", cp_id, "--all")
        assert result.exit_code == 0, result.output
        assert client.received[-1] == ("ClearChargingProfile", {})
    assert await installed(api, cp_id) == []
    result = await run_cli(server, "list", cp_id, token="wrong")
    assert result.exit_code != 0 and "Invalid API token" in result.output
