"""The operator CLI against a running server: what it prints is what the server sees."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from click.testing import CliRunner, Result

from ampyre.cli import main
from tests.conftest import run_cli, unique
from tests.ocpp_client import SILENT, OcppClient
from tests.server import TOKEN, Server


async def output(server: Server, *args: str) -> str:
    result = await run_cli(server, *args)
    assert result.exit_code == 0, result.output
    return result.output


async def refused(server: Server, *args: str, code: int = 1) -> str:
    """The one line a refused command prints."""
    result = await run_cli(server, *args)
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


async def test_charge_point_commands_show_what_the_server_sees(
    server: Server, api: httpx.AsyncClient
) -> None:
    cp_id = unique()
    assert f"Registered {cp_id}" in await output(server, "charge-point", "add", cp_id)
    assert "409" in await refused(server, "charge-point", "add", cp_id)
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot(chargePointSerialNumber="SN-1")
        await client.call("Heartbeat", {})
        # With --workers the CLI and this client may reach different processes, whose
        # view of another's lastSeen is at most a quarter of a second old: let it settle.
        await asyncio.sleep(0.6)
        listed = json.loads(
            await output(server, "charge-point", "list", "--json", "--limit", "500")
        )
        mine = next(item for item in listed["items"] if item["id"] == cp_id)
        served = (await api.get(f"/charge-points/{cp_id}")).json()
        assert mine["connected"] is True and served["connected"] is True
        assert mine["lastSeen"] == served["lastSeen"] is not None
        table = await output(server, "charge-point", "list", "--limit", "500")
        row = next(line for line in table.splitlines() if line.startswith(cp_id))
        assert row.split()[1] == "True" and served["lastSeen"] in row

        shown = await output(server, "charge-point", "show", cp_id)
        assert "connected                True" in shown and "SN-1" in shown
        updated = await output(
            server,
            "charge-point",
            "update",
            cp_id,
            "--registration-status",
            "Pending",
            "--password",
            "a-long-password-1",
            "--lenient",
        )
        assert "Pending" in updated
        served = (await api.get(f"/charge-points/{cp_id}")).json()
        assert served["registrationStatus"] == "Pending" and served["hasPassword"] is True
        assert served["securityProfile"] == 1 and served["lenient"] is True
        await output(server, "charge-point", "update", cp_id, "--no-password", "--strict")
        served = (await api.get(f"/charge-points/{cp_id}")).json()
        assert served["hasPassword"] is False and served["lenient"] is False
        usage = await run_cli(server, "charge-point", "update", cp_id)
        assert usage.exit_code == 2 and "nothing to change" in usage.output

        # Removing it through the server also closes its connection.
        assert f"Removed {cp_id}" in await output(server, "charge-point", "remove", cp_id)
        await asyncio.wait_for(client.ws.wait_closed(), 10)
    assert (await api.get(f"/charge-points/{cp_id}")).status_code == 404
    assert "404" in await refused(server, "charge-point", "show", cp_id)
    assert "404" in await refused(server, "charge-point", "remove", cp_id)


async def test_id_tag_commands_block_and_unblock(server: Server, cp_id: str) -> None:
    tag = unique("T")[:20]
    added = await output(server, "id-tag", "add", tag, "--parent", "FLEET", "--json")
    assert json.loads(added)["parentIdTag"] == "FLEET"
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        authorized = await client.call("Authorize", {"idTag": tag})
        assert authorized["idTagInfo"]["status"] == "Accepted"
        assert f"{tag} is Blocked" in await output(server, "id-tag", "block", tag)
        authorized = await client.call("Authorize", {"idTag": tag})
        assert authorized["idTagInfo"]["status"] == "Blocked"
        assert "Blocked" in await output(server, "id-tag", "show", tag.lower())
        assert f"{tag} is Accepted" in await output(server, "id-tag", "unblock", tag)
        authorized = await client.call("Authorize", {"idTag": tag})
        assert authorized["idTagInfo"]["status"] == "Accepted"
    changed = await output(
        server, "id-tag", "update", tag, "--expiry", "2030-01-01T00:00:00Z", "--no-parent"
    )
    assert "2030-01-01T00:00:00.000Z" in changed and "FLEET" not in changed
    assert tag in await output(server, "id-tag", "list", "--limit", "1000")
    assert f"Removed {tag}" in await output(server, "id-tag", "remove", tag)
    assert "404" in await refused(server, "id-tag", "block", tag)
    assert "422" in await refused(server, "id-tag", "add", "X" * 21)


async def test_transaction_commands_and_the_old_name(server: Server, cp_id: str) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        started = await client.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "ANY",
                "meterStart": 100,
                "timestamp": "2026-01-01T00:00:00Z",
            },
        )
        transaction_id = started["transactionId"]
        await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 150,
                "timestamp": "2026-01-01T01:00:00Z",
            },
        )
    listed = await output(server, "transaction", "list", "--charge-point", cp_id, "--finished")
    assert f"{transaction_id}  " in listed and "(1 of 1)" in listed
    assert listed == await output(server, "transactions", "--charge-point", cp_id, "--finished")
    shown = await output(server, "transaction", "show", str(transaction_id))
    assert "energyWh             50" in shown
    assert "404" in await refused(server, "transaction", "show", "999999999")


async def test_command_prints_the_answer_or_one_line_why_not(server: Server, cp_id: str) -> None:
    assert "404" in await refused(server, "command", unique(), "Reset", '{"type": "Soft"}')
    assert "409" in await refused(server, "command", cp_id, "Reset", '{"type": "Soft"}')
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        answer = await output(server, "command", cp_id, "Reset", '{"type": "Soft"}')
        assert json.loads(answer) == {"status": "Accepted"}
        assert ("Reset", {"type": "Soft"}) in client.received
        assert json.loads(await output(server, "command", cp_id, "GetConfiguration")) == {
            "configurationKey": [],
            "unknownKey": [],
        }
        assert "422" in await refused(server, "command", cp_id, "Reset", '{"type": "Hard2"}')
        assert "404" in await refused(server, "command", cp_id, "Foo")
        client.answers["UnlockConnector"] = ("NotSupported", "no lock here")
        failed = await refused(server, "command", cp_id, "UnlockConnector", '{"connectorId": 1}')
        assert failed.startswith("Error: 502") and "NotSupported" in failed
        client.answers["ClearCache"] = SILENT
        late = await refused(server, "command", cp_id, "ClearCache", "--timeout", "0.5")
        assert late.startswith("Error: 504")
    assert "401" in (await run_bad_token(server, "command", cp_id, "ClearCache")).output


async def run_bad_token(server: Server, *args: str) -> Result:
    env = {"AMPYRE_URL": server.http_url, "AMPYRE_API_TOKEN": "not-a-token"}
    result = await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    return result


async def test_events_prints_one_line_per_event(server: Server, cp_id: str) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:

        async def follow(send: Any, *args: str) -> Result:
            """`ampyre events ARGS` while the charge point sends, until the command ends
            (it subscribes at some point: what came before it is not asked for)."""
            tailing = asyncio.create_task(run_cli(server, "events", "--charge-point", cp_id, *args))
            while not tailing.done():
                await send()
                await asyncio.sleep(0.2)
            result = await tailing
            assert result.exit_code == 0, result.output
            return result

        def status() -> Any:
            return client.call(
                "StatusNotification",
                {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
            )

        lines = (await follow(status, "--count", "2")).output.strip().splitlines()
        assert len(lines) == 2
        for line in lines:
            assert line.split()[1:3] == ["status", cp_id]
            assert 'message={"connectorId":1,"errorCode":"NoError","status":"Available"}' in line
        booted = await follow(client.boot, "--type", "boot", "--json", "--count", "1")
        event: dict[str, Any] = json.loads(booted.output)
        assert event["type"] == "boot" and event["chargePointId"] == cp_id
        assert event["message"]["chargePointVendor"] == "TestVendor"


async def test_simulate_works_against_a_fresh_server_given_the_token(
    server: Server, api: httpx.AsyncClient
) -> None:
    cp_id, tag = unique(), unique("S")[:20]
    args = ["simulate", "--url", server.ws_url, "--id", cp_id, "--id-tag", tag]
    args += ["--time-scale", "0.01", "-q"]
    bare = await asyncio.to_thread(CliRunner().invoke, main, args, env={"AMPYRE_API_TOKEN": ""})
    assert bare.exit_code == 1
    assert "HTTP 404" in bare.output and "AMPYRE_API_TOKEN" in bare.output
    assert len(bare.output.strip().splitlines()) == 1
    env = {"AMPYRE_API_TOKEN": TOKEN}
    played = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert played.exit_code == 0, played.output
    assert (await api.get(f"/id-tags/{tag}")).json()["status"] == "Accepted"
    finished = (await api.get("/transactions", params={"chargePointId": cp_id})).json()
    assert finished["total"] == 1 and finished["items"][0]["idTag"] == tag
    # A second run keeps what is registered (a blocked tag stays blocked: it fails).
    await api.patch(f"/id-tags/{tag}", json={"status": "Blocked"})
    again = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert again.exit_code == 1 and "Blocked" in again.output
    assert (await api.get(f"/id-tags/{tag}")).json()["status"] == "Blocked"
