"""The server as a process: auto-register, token generation, SIGTERM, SIGKILL under load."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import TOKEN, Server


async def test_auto_register_accepts_unknown_identities(server_factory: object) -> None:
    server = await server_factory("--auto-register")  # type: ignore[operator]
    identity = unique("AUTO")
    async with OcppClient.connect(server.ws_url, identity) as client:
        assert (await client.boot())["status"] == "Accepted"
    async with api_client(server) as api:
        assert (await api.get(f"/charge-points/{identity}")).status_code == 200


async def test_sigterm_exits_cleanly(server_factory: object) -> None:
    server = await server_factory()  # type: ignore[operator]
    assert server.stop(signal.SIGTERM) == 0


async def test_what_the_server_creates_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "private.db"
    server = Server(f"sqlite:///{database}", tmp_path, ["--data-dir", str(tmp_path / "data")])
    server.start()
    try:
        async with api_client(server) as api:
            response = await api.post(
                "/firmware",
                files={"file": ("fw.bin", b"firmware bytes", "application/octet-stream")},
            )
            assert response.status_code == 201, response.text
        created = [database, tmp_path / "data", *(tmp_path / "data").rglob("*")]
        for path in created:
            assert path.stat().st_mode & 0o077 == 0, f"{path} is open to others"
    finally:
        server.stop()


async def test_generated_token_is_stored_and_printed_once(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'token.db'}"
    shown = subprocess.run(
        [sys.executable, "-m", "ampyre", "token", "--database", database],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    server = Server(database, tmp_path)
    server.start = _start_without_token(server)  # type: ignore[method-assign]
    server.start()
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{server.http_url}/api/v1/charge-points",
                headers={"Authorization": f"Bearer {shown}"},
            )
        assert response.status_code == 200
    finally:
        server.stop()


def _start_without_token(server: Server, *extra_args: str):  # type: ignore[no-untyped-def]
    def start() -> None:
        server.log_path = server.workdir / "token-server.log"
        server.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ampyre",
                "serve",
                "--port",
                str(server.port),
                "--database",
                server.database_url,
                *extra_args,
            ],
            stdout=server.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=server.workdir,
        )
        server.wait_ready()

    return start


async def test_sigkill_under_load_loses_nothing_that_was_accepted(server_factory: object) -> None:
    """Every transaction and meter value a charge point got an answer for survives."""
    server = await server_factory()  # type: ignore[operator]
    identities = [unique("LOAD") for _ in range(5)]
    async with api_client(server) as api:
        for identity in identities:
            await api.post("/charge-points", json={"id": identity})
    acknowledged: dict[int, int] = {}  # transaction id -> meter values acknowledged
    stops: set[int] = set()

    async def charge(identity: str) -> None:
        try:
            async with OcppClient.connect(server.ws_url, identity) as client:
                await client.boot()
                for session in range(1000):
                    started = await client.call(
                        "StartTransaction",
                        {
                            "connectorId": 1,
                            "idTag": "LOADTAG",
                            "meterStart": session,
                            "timestamp": f"2026-01-01T00:{session // 60 % 60:02d}:{session % 60:02d}Z",
                        },
                    )
                    transaction_id = started["transactionId"]
                    acknowledged[transaction_id] = 0
                    for value in range(3):
                        await client.call(
                            "MeterValues",
                            {
                                "connectorId": 1,
                                "transactionId": transaction_id,
                                "meterValue": [
                                    {
                                        "timestamp": "2026-01-01T00:00:00Z",
                                        "sampledValue": [{"value": str(value)}],
                                    }
                                ],
                            },
                        )
                        acknowledged[transaction_id] += 1
                    await client.call(
                        "StopTransaction",
                        {
                            "transactionId": transaction_id,
                            "meterStop": session + 10,
                            "timestamp": "2026-01-01T01:00:00Z",
                        },
                    )
                    stops.add(transaction_id)
        except Exception:
            return  # the server died under us: that is the point

    tasks = [asyncio.create_task(charge(identity)) for identity in identities]
    await asyncio.sleep(2.0)
    server.kill()
    await asyncio.gather(*tasks)
    assert len(acknowledged) > 5, "the load did not get going"

    server.start()
    async with api_client(server) as api:
        for transaction_id, count in acknowledged.items():
            record = (await api.get(f"/transactions/{transaction_id}")).json()
            assert record["transactionId"] == transaction_id
            assert len(record["meterValues"]) >= count
            if transaction_id in stops:
                assert record["stopTimestamp"] is not None
    assert TOKEN


async def test_sigterm_answers_in_flight_messages_before_closing(server_factory: object) -> None:
    server = await server_factory()  # type: ignore[operator]
    identity = unique("DRAIN")
    async with api_client(server) as api:
        await api.post("/charge-points", json={"id": identity})
    answered: list[list[object]] = []
    async with OcppClient.connect(server.ws_url, identity) as client:
        await client.boot()
        started = await client.call(
            "StartTransaction",
            {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"},
        )
        transaction_id = started["transactionId"]
        # A burst of messages, then SIGTERM while they are being handled.
        for number in range(200):
            await client.ws.send(
                json.dumps(
                    [
                        2,
                        f"mv{number}",
                        "MeterValues",
                        {
                            "connectorId": 1,
                            "transactionId": transaction_id,
                            "meterValue": [
                                {
                                    "timestamp": "2026-01-01T00:00:01Z",
                                    "sampledValue": [{"value": str(number)}],
                                }
                            ],
                        },
                    ]
                )
            )
        await asyncio.sleep(0.05)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(client.ws.wait_closed(), 20)
        await asyncio.sleep(0.1)
        while not client.raw.empty():
            answered.append(client.raw.get_nowait())
    assert server.process.wait(20) == 0
    assert answered, "nothing was answered before the shutdown"
    assert all(frame[0] == 3 for frame in answered)
    server.start()
    async with api_client(server) as api:
        record = (await api.get(f"/transactions/{transaction_id}")).json()
    assert len(record["meterValues"]) >= len(answered)


def test_start_up_failures_are_one_line(tmp_path: Path) -> None:
    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ampyre", "serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )

    unreachable = serve("--port", "0", "--database", "postgresql://ampyre:secret@127.0.0.1:1/x")
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("Error: cannot use the database postgresql")
    assert len(unreachable.stderr.strip().splitlines()) == 1
    assert "secret" not in unreachable.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        in_use = serve("--port", str(port), "--database", f"sqlite:///{tmp_path / 'x.db'}")
    assert in_use.returncode == 1
    assert (
        in_use.stderr.strip()
        == "Error: cannot listen on 127.0.0.1:"
        + str(port)
        + ": "
        + (in_use.stderr.strip().split(f":{port}: ", 1)[1])
    )
    assert "Traceback" not in in_use.stderr
    assert not (tmp_path / "x.db").exists()  # nothing started


def test_database_commands_elsewhere_do_not_create_an_empty_database(tmp_path: Path) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "ampyre", "account", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("AMPYRE_")},
    )
    assert listed.returncode == 1
    assert listed.stderr.startswith("Error: No database at ampyre.db")
    assert not (tmp_path / "ampyre.db").exists()
