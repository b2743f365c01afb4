"""Local Authorization Lists end to end: policy, Full/Differential sync, parts, limits,
every answer a charge point can give, out-of-date detection, the generic endpoint, CLI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from click.testing import CliRunner

from ampyre.cli import main as cli
from ampyre.simulator.authorization import LocalAuthList
from tests.conftest import api_client, unique
from tests.ocpp_client import SILENT, OcppClient
from tests.server import TOKEN, Server

CONFIGURATION_KEYS = ["LocalAuthListMaxLength", "SendLocalListMaxLength", "LocalAuthListEnabled"]


class ChargePointList:
    """The charge point's side: its list, its two max lengths, and how it answers.

    `forced` answers the next SendLocalList messages with these statuses, in order,
    whatever they carry.
    """

    def __init__(
        self, client: OcppClient, *, list_max: int = 100, send_max: int = 100, enabled: bool = True
    ) -> None:
        self.list = LocalAuthList()
        self.list_max = list_max
        self.send_max = send_max
        self.enabled = enabled
        self.forced: list[str] = []
        client.answers["GetConfiguration"] = self.get_configuration
        client.answers["SendLocalList"] = self.send_local_list
        client.answers["GetLocalListVersion"] = lambda payload: {
            "listVersion": self.list.reported_version
        }

    def get_configuration(self, payload: dict[str, Any]) -> dict[str, Any]:
        values = {
            "LocalAuthListMaxLength": str(self.list_max),
            "SendLocalListMaxLength": str(self.send_max),
            "LocalAuthListEnabled": str(self.enabled).lower(),
        }
        keys = payload.get("key") or list(values)
        return {
            "configurationKey": [
                {"key": key, "readonly": key != "LocalAuthListEnabled", "value": values[key]}
                for key in keys
                if key in values
            ],
            "unknownKey": [key for key in keys if key not in values],
        }

    def send_local_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.forced:
            return {"status": self.forced.pop(0)}
        entries = payload.get("localAuthorizationList") or []
        if len(entries) > self.send_max:
            return {"status": "Failed"}
        status = self.list.update(
            payload["listVersion"], payload["updateType"], entries, max_length=self.list_max
        )
        return {"status": status}


def calls(client: OcppClient, since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return client.received[since:]


def entry(id_tag: str, status: str = "Accepted", **info: str) -> dict[str, Any]:
    return {"idTag": id_tag, "idTagInfo": {"status": status, **info}}


async def make_group(
    api: httpx.AsyncClient, size: int, *, parent_exists: bool = False
) -> tuple[str, list[str]]:
    """A group (parent id tag) and `size` member tags, sorted as the list sorts them."""
    parent = unique("G")
    if parent_exists:
        assert (await api.post("/id-tags", json={"idTag": parent})).status_code == 201
    members = sorted(unique("T") for _ in range(size))
    for member in members:
        response = await api.post("/id-tags", json={"idTag": member, "parentIdTag": parent})
        assert response.status_code == 201, response.text
    return parent, members


async def use_group(api: httpx.AsyncClient, cp_id: str, parent: str, **limits: int) -> None:
    response = await api.put(
        f"/charge-points/{cp_id}/local-list/policy",
        json={"source": "group", "parentIdTag": parent, **limits},
    )
    assert response.status_code == 200, response.text


async def group_policy(
    api: httpx.AsyncClient, cp_id: str, size: int, *, parent_exists: bool = False, **limits: int
) -> tuple[str, list[str]]:
    """A new group of `size` members, made the charge point's list policy."""
    parent, members = await make_group(api, size, parent_exists=parent_exists)
    await use_group(api, cp_id, parent, **limits)
    return parent, members


@contextlib.asynccontextmanager
async def charge_point_with_list(
    ws_url: str, cp_id: str, **list_options: Any
) -> AsyncIterator[tuple[OcppClient, ChargePointList]]:
    """A booted charge point answering with its own local list."""
    async with OcppClient.connect(ws_url, cp_id) as client:
        await client.boot()
        yield client, ChargePointList(client, **list_options)


async def sync(api: httpx.AsyncClient, cp_id: str, update_type: str = "Auto") -> dict[str, Any]:
    response = await api.post(
        f"/charge-points/{cp_id}/local-list/sync", json={"updateType": update_type}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def state(api: httpx.AsyncClient, cp_id: str) -> dict[str, Any]:
    response = await api.get(f"/charge-points/{cp_id}/local-list")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def summary_of(api: httpx.AsyncClient, cp_id: str) -> dict[str, Any]:
    page = (await api.get("/local-lists", params={"limit": 1000})).json()
    found: dict[str, Any] = next(i for i in page["items"] if i["chargePointId"] == cp_id)
    return found


async def test_full_sync_sends_the_group_and_records_it(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    parent, (blocked, plain, expiring) = await make_group(api, 3)
    await api.patch(f"/id-tags/{blocked}", json={"status": "Blocked"})
    await api.patch(f"/id-tags/{expiring}", json={"expiryDate": "2030-01-01T00:00:00Z"})
    await use_group(api, cp_id, parent)
    before = await state(api, cp_id)
    assert before["sentVersion"] is None and before["entries"] == []
    assert before["outOfDate"] is True and before["policy"]["source"] == "group"

    expected = [
        entry(blocked, "Blocked", parentIdTag=parent),
        entry(plain, parentIdTag=parent),
        entry(expiring, expiryDate="2030-01-01T00:00:00.000Z", parentIdTag=parent),
    ]
    async with charge_point_with_list(server.ws_url, cp_id) as (client, charge_point):
        result = await sync(api, cp_id, "Full")
        assert result["status"] == "Accepted" and result["listVersion"] == 1
        assert result["parts"] == [
            {"updateType": "Full", "listVersion": 1, "entries": 3, "status": "Accepted"}
        ]
        assert calls(client) == [
            ("GetConfiguration", {"key": CONFIGURATION_KEYS}),
            (
                "SendLocalList",
                {"listVersion": 1, "updateType": "Full", "localAuthorizationList": expected},
            ),
        ]
        assert charge_point.list.entries == {e["idTag"]: e["idTagInfo"] for e in expected}

        after = await state(api, cp_id)
        assert after["sentVersion"] == 1 and after["entries"] == expected
        assert after["outOfDate"] is False and after["entriesKnown"] is True
        assert after["limits"] == {"localAuthListMaxLength": 100, "sendLocalListMaxLength": 100}
        assert after["enabled"] is True
        assert after["lastResult"]["status"] == "Accepted"
        assert after["lastResult"]["via"] == "sync"
        assert (await api.get(f"/charge-points/{cp_id}")).json()["localListVersion"] == 1

        # Nothing changed: the limits are known, the version agrees, nothing is sent.
        seen = len(client.received)
        again = await sync(api, cp_id)
        assert again["status"] == "UpToDate" and again["parts"] == []
        assert again["listVersion"] == 1
        assert calls(client, seen) == [("GetLocalListVersion", {})]

        # refreshLimits asks for them even though they are known.
        seen = len(client.received)
        response = await api.post(
            f"/charge-points/{cp_id}/local-list/sync",
            json={"updateType": "Full", "refreshLimits": True},
        )
        assert response.json()["listVersion"] == 2
        assert [action for action, _ in calls(client, seen)] == [
            "GetConfiguration",
            "SendLocalList",
        ]


async def test_differential_sends_exactly_what_changed(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    parent, (removed, kept, blocked) = await group_policy(api, cp_id, 3, parent_exists=True)
    async with charge_point_with_list(server.ws_url, cp_id) as (client, charge_point):
        await sync(api, cp_id, "Full")

        added = unique("T")
        await api.post("/id-tags", json={"idTag": added, "parentIdTag": parent})
        await api.patch(f"/id-tags/{blocked}", json={"status": "Blocked"})
        await api.delete(f"/id-tags/{removed}")
        pending = await state(api, cp_id)
        assert pending["outOfDate"] is True
        assert pending["pendingChanges"] == {
            "added": [added],
            "changed": [blocked],
            "removed": [removed],
        }

        seen = len(client.received)
        result = await sync(api, cp_id, "Differential")
        assert result["status"] == "Accepted" and result["listVersion"] == 2
        assert calls(client, seen) == [
            ("GetLocalListVersion", {}),
            (
                "SendLocalList",
                {
                    "listVersion": 2,
                    "updateType": "Differential",
                    "localAuthorizationList": [
                        {"idTag": removed},
                        entry(blocked, "Blocked", parentIdTag=parent),
                        entry(added, parentIdTag=parent),
                    ],
                },
            ),
        ]
        assert set(charge_point.list.entries) == {kept, blocked, added}
        after = await state(api, cp_id)
        assert after["outOfDate"] is False and after["sentVersion"] == 2
        assert [e["idTag"] for e in after["entries"]] == sorted([kept, blocked, added])

        # Blocking the group blocks its members (the blocked one is unchanged).
        await api.patch(f"/id-tags/{parent}", json={"status": "Blocked"})
        seen = len(client.received)
        result = await sync(api, cp_id, "Auto")
        assert [p["updateType"] for p in result["parts"]] == ["Differential"]
        assert calls(client, seen)[1][1]["localAuthorizationList"] == [
            entry(member, "Blocked", parentIdTag=parent) for member in sorted([kept, added])
        ]

        # Two removals make a longer update than the one entry left: Auto sends it Full.
        await api.delete(f"/id-tags/{kept}")
        await api.delete(f"/id-tags/{added}")
        seen = len(client.received)
        result = await sync(api, cp_id, "Auto")
        assert result["notes"] == ["the changes are no shorter than the whole list: sent Full"]
        assert calls(client, seen)[1][1] == {
            "listVersion": 4,
            "updateType": "Full",
            "localAuthorizationList": [entry(blocked, "Blocked", parentIdTag=parent)],
        }
        assert set(charge_point.list.entries) == {blocked}
        assert (await state(api, cp_id))["outOfDate"] is False


async def test_long_lists_go_in_parts_of_send_local_list_max_length(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    _, members = await group_policy(api, cp_id, 5)
    async with charge_point_with_list(server.ws_url, cp_id, send_max=2) as (client, charge_point):
        result = await sync(api, cp_id, "Full")
        assert result["status"] == "Accepted" and result["listVersion"] == 3
        assert result["parts"] == [
            {"updateType": "Full", "listVersion": 1, "entries": 2, "status": "Accepted"},
            {"updateType": "Differential", "listVersion": 2, "entries": 2, "status": "Accepted"},
            {"updateType": "Differential", "listVersion": 3, "entries": 1, "status": "Accepted"},
        ]
        sent = [payload for action, payload in calls(client) if action == "SendLocalList"]
        assert [[e["idTag"] for e in p["localAuthorizationList"]] for p in sent] == [
            members[0:2],
            members[2:4],
            members[4:5],
        ]
        assert set(charge_point.list.entries) == set(members)
        assert charge_point.list.version == 3
        assert (await state(api, cp_id))["sentVersion"] == 3

        # Three changes, two per message: two Differential parts.
        for member in members[:3]:
            await api.patch(f"/id-tags/{member}", json={"status": "Invalid"})
        result = await sync(api, cp_id, "Differential")
        assert [(p["updateType"], p["listVersion"], p["entries"]) for p in result["parts"]] == [
            ("Differential", 4, 2),
            ("Differential", 5, 1),
        ]
        assert {charge_point.list.entries[m]["status"] for m in members[:3]} == {"Invalid"}
        assert (await state(api, cp_id))["outOfDate"] is False


async def test_a_list_longer_than_local_auth_list_max_length_is_409_and_nothing_is_sent(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    parent, _ = await group_policy(api, cp_id, 3)
    async with charge_point_with_list(server.ws_url, cp_id, list_max=2) as (client, _):
        response = await api.post(f"/charge-points/{cp_id}/local-list/sync", json={})
        assert response.status_code == 409
        detail = response.json()["detail"]
        assert "3 id tags" in detail and "LocalAuthListMaxLength of 2" in detail
        assert [action for action, _ in calls(client)] == ["GetConfiguration"]

        # A limit the operator sets is used as is: not even GetConfiguration goes out.
        await use_group(api, cp_id, parent, localAuthListMaxLength=1, sendLocalListMaxLength=10)
        seen = len(client.received)
        response = await api.post(
            f"/charge-points/{cp_id}/local-list/sync", json={"updateType": "Full"}
        )
        assert response.status_code == 409
        assert "LocalAuthListMaxLength of 1" in response.json()["detail"]
        assert calls(client, seen) == []
        after = await state(api, cp_id)
        assert after["lastResult"] is None and after["sentVersion"] is None


async def test_version_mismatch_is_followed_by_one_full_resync(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    parent, members = await group_policy(api, cp_id, 2)
    async with charge_point_with_list(server.ws_url, cp_id) as (client, charge_point):
        await sync(api, cp_id, "Full")
        await api.patch(f"/id-tags/{members[0]}", json={"status": "Blocked"})
        charge_point.forced = ["VersionMismatch"]
        seen = len(client.received)
        result = await sync(api, cp_id, "Differential")
        assert result["status"] == "Accepted" and result["resynced"] is True
        assert [(p["updateType"], p["listVersion"], p["status"]) for p in result["parts"]] == [
            ("Differential", 2, "VersionMismatch"),
            ("Full", 3, "Accepted"),
        ]
        sent = calls(client, seen)
        assert [action for action, _ in sent] == [
            "GetLocalListVersion",
            "SendLocalList",
            "SendLocalList",
        ]
        assert sent[2][1]["localAuthorizationList"] == [
            entry(members[0], "Blocked", parentIdTag=parent),
            entry(members[1], parentIdTag=parent),
        ]
        after = await state(api, cp_id)
        assert after["sentVersion"] == 3 and after["outOfDate"] is False
        assert charge_point.list.version == 3


async def test_failed_twice_is_reported_after_one_resync(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    parent, members = await group_policy(api, cp_id, 2)
    async with charge_point_with_list(server.ws_url, cp_id) as (client, charge_point):
        await sync(api, cp_id, "Full")
        await api.delete(f"/id-tags/{members[1]}")
        charge_point.forced = ["Failed", "Failed"]
        seen = len(client.received)
        result = await sync(api, cp_id, "Differential")
        assert result["status"] == "Failed" and result["resynced"] is True
        assert result["listVersion"] is None
        assert [(p["updateType"], p["status"]) for p in result["parts"]] == [
            ("Differential", "Failed"),
            ("Full", "Failed"),
        ]
        # After Failed the CSMS asks the charge point's limits again before resending.
        assert [action for action, _ in calls(client, seen)] == [
            "GetLocalListVersion",
            "SendLocalList",
            "GetConfiguration",
            "SendLocalList",
        ]
        after = await state(api, cp_id)
        assert after["sentVersion"] == 1 and after["outOfDate"] is True
        assert after["lastResult"]["status"] == "Failed"
        assert [e["idTag"] for e in after["entries"]] == members  # what it still holds

        # The next sync goes above every version already used.
        result = await sync(api, cp_id, "Full")
        assert result["status"] == "Accepted" and result["listVersion"] == 4

        # Failed because the charge point's list got shorter: the limit it reports now
        # is too small for the list, so no full resync is sent.
        await api.post("/id-tags", json={"idTag": unique("T"), "parentIdTag": parent})
        charge_point.list_max = 1
        charge_point.forced = ["Failed"]
        seen = len(client.received)
        result = await sync(api, cp_id, "Differential")
        assert result["status"] == "Failed" and result["resynced"] is False
        assert "LocalAuthListMaxLength of 1" in result["detail"]
        assert [action for action, _ in calls(client, seen)] == [
            "GetLocalListVersion",
            "SendLocalList",
            "GetConfiguration",
        ]


async def test_not_supported_is_recorded_and_not_retried(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    await group_policy(api, cp_id, 1, localAuthListMaxLength=10, sendLocalListMaxLength=10)
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        client.answers["SendLocalList"] = {"status": "NotSupported"}
        client.answers["GetLocalListVersion"] = {"listVersion": -1}
        result = await sync(api, cp_id)
        assert result["status"] == "NotSupported" and result["resynced"] is False
        assert [action for action, _ in calls(client)] == ["SendLocalList"]
        after = await state(api, cp_id)
        assert after["supported"] is False and after["outOfDate"] is False
        assert after["sentVersion"] is None

        response = await api.post(f"/charge-points/{cp_id}/local-list/version")
        assert response.status_code == 200
        assert response.json()["chargePointVersion"] == -1
        assert response.json()["supported"] is False
        summary = await summary_of(api, cp_id)
        assert summary["supported"] is False and summary["outOfDate"] is False
        assert summary["connected"] is True


async def test_out_of_date_lists_are_found_and_a_reset_charge_point_gets_the_full_list(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    _, members = await group_policy(api, cp_id, 2)

    async def listed(out_of_date: bool) -> bool:
        page = (
            await api.get(
                "/local-lists", params={"outOfDate": str(out_of_date).lower(), "limit": 1000}
            )
        ).json()
        assert page["total"] == len(page["items"])
        return cp_id in {item["chargePointId"] for item in page["items"]}

    assert await listed(True) and not await listed(False)
    async with charge_point_with_list(server.ws_url, cp_id) as (client, charge_point):
        await sync(api, cp_id, "Full")
        assert await listed(False) and not await listed(True)
        summary = await summary_of(api, cp_id)
        assert summary["sentVersion"] == 1 and summary["entries"] == 2
        assert summary["source"] == "group"

        await api.patch(f"/id-tags/{members[0]}", json={"expiryDate": "2031-05-01T00:00:00Z"})
        assert await listed(True)
        await sync(api, cp_id)
        assert await listed(False)

        # The charge point lost its list: its version says so once the CSMS asks.
        charge_point.list = LocalAuthList()
        response = await api.post(f"/charge-points/{cp_id}/local-list/version")
        assert response.json()["chargePointVersion"] == 0
        assert response.json()["outOfDate"] is True
        assert await listed(True)
        seen = len(client.received)
        result = await sync(api, cp_id)
        assert [p["updateType"] for p in result["parts"]] == ["Full"]
        assert "holds version 0" in result["notes"][0]
        assert [action for action, _ in calls(client, seen)] == [
            "GetLocalListVersion",
            "SendLocalList",
        ]
        assert set(charge_point.list.entries) == set(members)
        assert await listed(False)


async def test_tags_policy_and_differential_without_a_record(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    chosen = sorted(unique("T") for _ in range(2))
    for tag in chosen:
        await api.post("/id-tags", json={"idTag": tag})
    absent = unique("T")  # named but not in the store: not on the list
    response = await api.put(
        f"/charge-points/{cp_id}/local-list/policy",
        json={"source": "tags", "idTags": [chosen[0].lower(), chosen[1], absent]},
    )
    assert response.status_code == 200, response.text
    async with charge_point_with_list(server.ws_url, cp_id, enabled=False) as (client, _):
        response = await api.post(
            f"/charge-points/{cp_id}/local-list/sync", json={"updateType": "Differential"}
        )
        assert response.status_code == 409
        assert "no record" in response.json()["detail"]
        assert calls(client) == []
        result = await sync(api, cp_id)  # Auto without a record: Full
        assert result["parts"][0]["updateType"] == "Full"
        assert result["notes"] == [
            "LocalAuthListEnabled is false: the charge point keeps the list but does not "
            "use it until it is enabled",
            "no record of the list the charge point holds: sent Full",
        ]
        assert (await state(api, cp_id))["enabled"] is False
        assert calls(client) == [
            ("GetConfiguration", {"key": CONFIGURATION_KEYS}),
            (
                "SendLocalList",
                {
                    "listVersion": 1,
                    "updateType": "Full",
                    "localAuthorizationList": [entry(tag) for tag in chosen],
                },
            ),
        ]


async def test_call_error_and_silence_partway_are_reported(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    await group_policy(api, cp_id, 3, sendLocalListMaxLength=2)
    async with charge_point_with_list(server.ws_url, cp_id, send_max=2) as (client, charge_point):
        parts_seen: list[int] = []

        def first_part_only(payload: dict[str, Any]) -> Any:
            parts_seen.append(payload["listVersion"])
            if len(parts_seen) == 1:
                return charge_point.send_local_list(payload)
            return ("InternalError", "flash full")

        client.answers["SendLocalList"] = first_part_only
        response = await api.post(
            f"/charge-points/{cp_id}/local-list/sync", json={"updateType": "Full"}
        )
        assert response.status_code == 502
        assert response.json()["errorCode"] == "InternalError"
        after = await state(api, cp_id)
        assert after["sentVersion"] == 1 and len(after["entries"]) == 2
        assert after["outOfDate"] is True
        result = after["lastResult"]
        assert result["status"] == "Error" and "flash full" in result["detail"]
        assert [(p["updateType"], p["status"]) for p in result["parts"]] == [
            ("Full", "Accepted"),
            ("Differential", "CallError"),
        ]

        client.answers["SendLocalList"] = SILENT
        response = await api.post(
            f"/charge-points/{cp_id}/local-list/sync?timeout=0.3", json={"updateType": "Full"}
        )
        assert response.status_code == 504
        result = (await state(api, cp_id))["lastResult"]
        assert [(p["listVersion"], p["status"]) for p in result["parts"]] == [(3, "NoAnswer")]


async def test_all_tags_policy(server_factory: Any) -> None:
    own = await server_factory()
    async with api_client(own) as api:
        identity = unique()
        await api.post("/charge-points", json={"id": identity})
        tags = sorted(unique("T") for _ in range(3))
        for tag in tags:
            await api.post("/id-tags", json={"idTag": tag})
        assert (await state(api, identity))["policy"]["source"] == "all"
        async with charge_point_with_list(own.ws_url, identity) as (client, charge_point):
            result = await sync(api, identity)
            assert result["status"] == "Accepted"
            assert set(charge_point.list.entries) == set(tags)
            await api.delete(f"/id-tags/{tags[1]}")
            result = await sync(api, identity, "Differential")
            sent = [payload for action, payload in calls(client) if action == "SendLocalList"]
            assert sent[-1]["localAuthorizationList"] == [{"idTag": tags[1]}]
            assert set(charge_point.list.entries) == {tags[0], tags[2]}


async def test_the_generic_commands_endpoint_is_followed(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    base = f"/charge-points/{cp_id}/commands"
    first, second, third = sorted(unique("T") for _ in range(3))
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        # A Differential before any Full: the version is recorded, the content unknown.
        await api.post(
            f"{base}/SendLocalList",
            json={
                "listVersion": 3,
                "updateType": "Differential",
                "localAuthorizationList": [entry(first)],
            },
        )
        unknown = await state(api, cp_id)
        assert unknown["sentVersion"] == 3 and unknown["entriesKnown"] is False
        assert unknown["entries"] == [] and unknown["outOfDate"] is True

        response = await api.post(
            f"{base}/SendLocalList",
            json={
                "listVersion": 7,
                "updateType": "Full",
                "localAuthorizationList": [
                    entry(first, expiryDate="2030-01-01T00:00:00Z"),
                    entry(second, "Blocked"),
                ],
            },
        )
        assert response.json() == {"status": "Accepted"}
        full = await state(api, cp_id)
        assert full["sentVersion"] == 7 and full["entriesKnown"] is True
        assert full["entries"] == [
            entry(first, expiryDate="2030-01-01T00:00:00.000Z"),
            entry(second, "Blocked"),
        ]
        assert full["lastResult"]["via"] == "command"
        assert (await api.get(f"/charge-points/{cp_id}")).json()["localListVersion"] == 7

        await api.post(
            f"{base}/SendLocalList",
            json={
                "listVersion": 8,
                "updateType": "Differential",
                "localAuthorizationList": [{"idTag": second.lower()}, entry(third)],
            },
        )
        applied = await state(api, cp_id)
        assert applied["sentVersion"] == 8
        assert [e["idTag"] for e in applied["entries"]] == [first, third]

        client.answers["SendLocalList"] = {"status": "Failed"}
        await api.post(
            f"{base}/SendLocalList",
            json={"listVersion": 9, "updateType": "Full", "localAuthorizationList": []},
        )
        refused = await state(api, cp_id)
        assert refused["sentVersion"] == 8 and len(refused["entries"]) == 2
        assert refused["lastResult"]["status"] == "Failed"

        client.answers["GetLocalListVersion"] = {"listVersion": 8}
        await api.post(f"{base}/GetLocalListVersion", json={})
        assert (await state(api, cp_id))["chargePointVersion"] == 8
        assert (await api.get(f"/charge-points/{cp_id}")).json()["localListVersion"] == 8

    await api.delete(f"/charge-points/{cp_id}")
    summary = (await api.get("/local-lists", params={"limit": 1000})).json()
    assert cp_id not in {item["chargePointId"] for item in summary["items"]}


async def test_bad_requests(server: Server, cp_id: str, api: httpx.AsyncClient) -> None:
    policy = f"/charge-points/{cp_id}/local-list/policy"
    bad_policies = [
        ({"source": "group"}, "parentIdTag"),
        ({"source": "tags"}, "idTags"),
        ({"source": "all", "parentIdTag": "G1"}, "parentIdTag"),
        ({"source": "tags", "idTags": ["a", "A"]}, "twice"),
        ({"source": "tags", "idTags": ["x" * 21]}, "20"),
        ({"source": "all", "localAuthListMaxLength": 0}, "at least 1"),
        ({"source": "everything"}, "source"),
    ]
    for body, word in bad_policies:
        response = await api.put(policy, json=body)
        assert response.status_code == 422, (body, response.text)
        assert word in response.json()["detail"], (body, response.json())
    response = await api.post(
        f"/charge-points/{cp_id}/local-list/sync", json={"updateType": "Partial"}
    )
    assert response.status_code == 422
    response = await api.post(f"/charge-points/{cp_id}/local-list/sync", json={})
    assert response.status_code == 409 and "not connected" in response.json()["detail"]
    other = unique()
    for method, path, body in [
        ("GET", f"/charge-points/{other}/local-list", None),
        ("PUT", f"/charge-points/{other}/local-list/policy", {"source": "all"}),
        ("POST", f"/charge-points/{other}/local-list/sync", {"updateType": "Full"}),
        ("POST", f"/charge-points/{other}/local-list/version", None),
    ]:
        response = await api.request(method, path, json=body)
        assert response.status_code == 404, (path, response.text)


async def test_cli(server: Server, cp_id: str, api: httpx.AsyncClient) -> None:
    parent, members = await make_group(api, 2)
    runner = CliRunner()
    options = ["--url", server.http_url, "--token", TOKEN]

    def run(*args: str) -> str:
        outcome = runner.invoke(cli, ["local-list", *args, *options])
        assert outcome.exit_code == 0, outcome.output
        return outcome.output

    assert "members of group" in run("policy", cp_id, "--source", "group", "--parent", parent)
    async with charge_point_with_list(server.ws_url, cp_id):
        # CliRunner blocks the event loop the charge point answers on: run it aside.
        synced = await asyncio.to_thread(run, "sync", cp_id, "--type", "Full")
        assert synced.startswith("Accepted") and "Full v1 (2): Accepted" in synced
        shown = run("show", cp_id)
        assert "Out of date    no" in shown and all(m in shown for m in members)
        version = await asyncio.to_thread(run, "version", cp_id)
        assert f"{cp_id} holds version 1" in version
        assert f"{cp_id}  group  v1  2 entries  up to date" in run(
            "list", "--up-to-date", "--limit", "1000"
        )
    failed = runner.invoke(cli, ["local-list", "sync", cp_id, *options])
    assert failed.exit_code == 1 and "not connected" in failed.output
    refused = runner.invoke(
        cli,
        ["local-list", "show", cp_id, "--url", server.http_url],
        env={"AMPYRE_API_TOKEN": None},
    )
    assert refused.exit_code == 1 and "--token" in refused.output
