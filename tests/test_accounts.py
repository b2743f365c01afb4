"""Operator accounts, roles, API tokens and the audit log, over real HTTP on both backends."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from ampyre.services import access
from ampyre.storage.database import MIGRATIONS_DIR, Database
from tests.conftest import make_database_url, unique
from tests.ocpp_client import OcppClient
from tests.server import (
    Server,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)
from tests.test_server_lifecycle import _start_without_token

ROLES = ["viewer", "operator", "admin"]
MISSING = "NO-SUCH-THING"


def client_with(server: Server, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{server.http_url}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


async def new_account(api: httpx.AsyncClient, role: str, **token_fields: object) -> tuple[str, str]:
    """A new account of `role` and a token of it: (name, token)."""
    name = unique(role)
    created = await api.post("/accounts", json={"name": name, "role": role})
    assert created.status_code == 201, created.text
    token = await api.post(f"/accounts/{name}/tokens", json=token_fields)
    assert token.status_code == 201, token.text
    return name, token.json()["token"]


# (method, path, required role): representative endpoints of every router. Changes carry
# an empty or missing target, so an allowed request is refused for another reason (404,
# 409, 422) and changes nothing; a refused one is a 403 before anything is looked at.
CASES = [
    ("GET", "/charge-points", "viewer"),
    ("GET", "/charge-points/{cp}", "viewer"),
    ("GET", "/charge-points/{cp}/events", "viewer"),
    ("POST", "/charge-points", "admin"),
    ("PATCH", "/charge-points/{missing}", "admin"),
    ("DELETE", "/charge-points/{missing}", "admin"),
    ("POST", "/charge-points/{cp}/commands/Reset", "operator"),
    ("GET", "/id-tags", "viewer"),
    ("POST", "/id-tags", "operator"),
    ("DELETE", "/id-tags/{missing}", "operator"),
    ("GET", "/transactions", "viewer"),
    ("GET", "/remote-starts", "viewer"),
    ("GET", "/reservations", "viewer"),
    ("POST", "/reservations", "operator"),
    ("DELETE", "/reservations/999999999", "operator"),
    ("GET", "/local-lists", "viewer"),
    ("POST", "/charge-points/{cp}/local-list/sync", "operator"),
    ("GET", "/charge-points/{cp}/charging-profiles", "viewer"),
    ("POST", "/charge-points/{cp}/charging-profiles", "operator"),
    ("POST", "/charge-points/{cp}/trigger", "operator"),
    ("GET", "/charge-points/{cp}/triggers", "viewer"),
    ("GET", "/charge-points/{cp}/firmware-updates", "viewer"),
    ("POST", "/charge-points/{cp}/firmware-updates", "operator"),
    ("POST", "/charge-points/{cp}/diagnostics-requests", "operator"),
    ("GET", "/firmware", "viewer"),
    ("POST", "/firmware", "admin"),
    ("DELETE", "/firmware/999999999", "admin"),
    ("GET", "/firmware-rollouts", "viewer"),
    ("GET", "/dashboard", "viewer"),
    ("GET", "/commands/schemas", "viewer"),
    ("POST", "/firmware-rollouts", "admin"),
    ("GET", "/ca", "viewer"),
    ("GET", "/charge-points/{cp}/certificates", "viewer"),
    ("POST", "/charge-points/{cp}/certificates/renew", "admin"),
    ("POST", "/charge-points/{cp}/certificates/install", "admin"),
    ("DELETE", "/charge-points/{cp}/certificates/installed/ab12", "admin"),
    ("GET", "/audit-log", "admin"),
    ("GET", "/webhooks", "operator"),
    ("GET", "/webhooks/999999999/deliveries", "operator"),
    ("POST", "/webhooks", "admin"),
    ("PATCH", "/webhooks/999999999", "admin"),
    ("DELETE", "/webhooks/999999999", "admin"),
    ("GET", "/me", "viewer"),
    ("GET", "/accounts", "admin"),
    ("POST", "/accounts", "admin"),
    ("DELETE", "/accounts/{missing}", "admin"),
]


async def test_each_role_is_allowed_and_refused_where_it_should_be(
    server: Server, api: httpx.AsyncClient, cp_id: str
) -> None:
    tokens = {role: (await new_account(api, role))[1] for role in ROLES}
    wrong: list[str] = []
    for method, template, required in CASES:
        path = template.format(cp=cp_id, missing=MISSING)
        body = None if method in ("GET", "DELETE") else {}
        for role in ROLES:
            async with client_with(server, tokens[role]) as client:
                response = await client.request(method, path, json=body)
            allowed = ROLES.index(role) >= ROLES.index(required)
            if response.status_code == 401 or (response.status_code == 403) == allowed:
                wrong.append(f"{role} {method} {path}: {response.status_code} {response.text}")
            elif response.status_code == 403:
                detail = response.json()["detail"]
                assert f"needs the {required} role" in detail and role in detail
    assert not wrong, "\n".join(wrong)


async def test_the_configured_token_is_a_full_rights_admin(api: httpx.AsyncClient) -> None:
    me = (await api.get("/me")).json()
    assert me == {"name": "--api-token", "role": "admin", "tokenId": None, "configuredToken": True}


async def test_token_create_list_revoke(server: Server, api: httpx.AsyncClient) -> None:
    name, token = await new_account(api, "viewer", description="dashboards")
    assert token.startswith("amp_") and len(token) > 40
    async with client_with(server, token) as viewer:
        me = (await viewer.get("/me")).json()
        assert me["name"] == name and me["role"] == "viewer" and me["configuredToken"] is False
        # An account manages its own tokens, not another's.
        own = await viewer.post(f"/accounts/{name}/tokens", json={"description": "second"})
        assert own.status_code == 201
        assert (await viewer.get("/accounts/admin/tokens")).status_code == 403
    listed = (await api.get(f"/accounts/{name}/tokens")).json()
    assert listed["total"] == 2
    first = next(t for t in listed["items"] if t["description"] == "dashboards")
    assert first["tokenId"] == me["tokenId"] and first["state"] == "active"
    assert token.startswith(first["prefix"]) and "token" not in first
    assert token not in str(listed)
    assert first["lastUsedAt"] is not None
    revoked = await api.delete(f"/accounts/{name}/tokens/{first['tokenId']}")
    assert revoked.status_code == 204
    async with client_with(server, token) as viewer:
        refused = await viewer.get("/charge-points")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    listed = (await api.get(f"/accounts/{name}/tokens")).json()
    assert {t["state"] for t in listed["items"]} == {"active", "revoked"}
    async with client_with(server, own.json()["token"]) as viewer:
        assert (await viewer.get("/charge-points")).status_code == 200
    missing = await api.delete(f"/accounts/{name}/tokens/999999999")
    assert missing.status_code == 404


async def test_an_expired_token_is_a_401(server: Server, api: httpx.AsyncClient) -> None:
    name = unique("viewer")
    await api.post("/accounts", json={"name": name, "role": "viewer"})
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    created = await api.post(f"/accounts/{name}/tokens", json={"expiresAt": soon})
    assert created.status_code == 201, created.text
    async with client_with(server, created.json()["token"]) as viewer:
        assert (await viewer.get("/charge-points")).status_code == 200
        await asyncio.sleep(2.5)
        assert (await viewer.get("/charge-points")).status_code == 401
    states = [t["state"] for t in (await api.get(f"/accounts/{name}/tokens")).json()["items"]]
    assert states == ["expired"]
    past = await api.post(f"/accounts/{name}/tokens", json={"expiresAt": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422
    days = await api.post(f"/accounts/{name}/tokens", json={"expiresInDays": 30})
    expires = datetime.fromisoformat(days.json()["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - datetime.now(UTC) < timedelta(days=31)


async def test_accounts_crud_and_the_last_admin(server: Server, api: httpx.AsyncClient) -> None:
    name, token = await new_account(api, "operator")
    shown = (await api.get(f"/accounts/{name}")).json()
    assert shown["role"] == "operator" and shown["disabled"] is False
    assert shown["hasPassword"] is False
    assert (await api.post("/accounts", json={"name": name, "role": "viewer"})).status_code == 409
    bad = await api.post("/accounts", json={"name": "x", "role": "root"})
    assert bad.status_code == 422
    short = await api.post(
        "/accounts", json={"name": unique("u"), "role": "viewer", "password": "1"}
    )
    assert short.status_code == 422
    async with client_with(server, token) as operator:
        # Its own password it may change; its role it may not.
        changed = await operator.patch(f"/accounts/{name}", json={"password": "long enough pw"})
        assert changed.status_code == 200 and changed.json()["hasPassword"] is True
        assert (
            await operator.patch(f"/accounts/{name}", json={"role": "admin"})
        ).status_code == 403
        assert (
            await operator.post("/id-tags", json={"idTag": unique("T")[:20]})
        ).status_code == 201
    demoted = await api.patch(f"/accounts/{name}", json={"role": "viewer"})
    assert demoted.json()["role"] == "viewer"
    async with client_with(server, token) as viewer:
        # The role is the account's, read on every request: the same token is now a viewer.
        assert (await viewer.post("/id-tags", json={"idTag": "X"})).status_code == 403
    assert (await api.patch(f"/accounts/{name}", json={"disabled": True})).status_code == 200
    async with client_with(server, token) as disabled:
        assert (await disabled.get("/charge-points")).status_code == 401
    # The only enabled admin can be neither demoted, disabled nor removed.
    admin, _ = await new_account(api, "admin")
    admins = [
        a["name"]
        for a in (await api.get("/accounts", params={"limit": 1000})).json()["items"]
        if a["role"] == "admin" and not a["disabled"]
    ]
    for other in admins:
        if other != admin:
            await api.patch(f"/accounts/{other}", json={"disabled": True})
    for change in ({"role": "operator"}, {"disabled": True}):
        refused = await api.patch(f"/accounts/{admin}", json=change)
        assert refused.status_code == 409 and "last enabled admin" in refused.json()["detail"]
    assert (await api.delete(f"/accounts/{admin}")).status_code == 409
    assert (await api.delete(f"/accounts/{name}")).status_code == 204
    assert (await api.get(f"/accounts/{name}")).status_code == 404


async def test_changes_and_commands_are_audited_reads_are_not(
    server: Server, api: httpx.AsyncClient
) -> None:
    name, token = await new_account(api, "operator")
    identity = unique()
    assert (
        await api.post("/charge-points", json={"id": identity, "password": "secret-pw-1"})
    ).status_code == 201
    async with (
        client_with(server, token) as operator,
        OcppClient.connect(server.ws_url, identity, password="secret-pw-1") as charge_point,
    ):
        charge_point.answers["Reset"] = {"status": "Accepted"}
        await charge_point.boot()
        sent = await operator.post(
            f"/charge-points/{identity}/commands/Reset", json={"type": "Soft"}
        )
        assert sent.status_code == 200, sent.text
        assert (await operator.get(f"/charge-points/{identity}")).status_code == 200
        refused = await operator.delete(f"/charge-points/{identity}")
        assert refused.status_code == 403
    entries = (await api.get("/audit-log", params={"account": name})).json()
    # Its GET is not there; its token was made by the admin, an entry of the admin's.
    mine = entries["items"]
    assert [(e["method"], e["status"]) for e in mine] == [("DELETE", 403), ("POST", 200)]
    command = mine[1]
    assert command["path"] == f"/api/v1/charge-points/{identity}/commands/Reset"
    assert command["target"] == identity and command["summary"].startswith("Reset")
    assert command["details"] == '{"type":"Soft"}' and command["client"] == "127.0.0.1"
    assert command["tokenId"] is not None and command["account"] == name
    admin_entries = (await api.get("/audit-log", params={"account": "--api-token"})).json()
    registered = next(e for e in admin_entries["items"] if e["target"] == identity)
    assert registered["method"] == "POST" and registered["status"] == 201
    assert (
        "secret-pw-1" not in registered["details"] and '"password":"***"' in registered["details"]
    )


async def test_audit_log_is_read_only_and_filtered_by_time(api: httpx.AsyncClient) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    await api.post("/id-tags", json={"idTag": unique("A")[:20]})
    recent = (await api.get("/audit-log", params={"since": before.isoformat()})).json()
    assert recent["total"] >= 1
    assert all(e["timestamp"] >= before.isoformat()[:19] for e in recent["items"])
    old = (await api.get("/audit-log", params={"until": "2000-01-01T00:00:00Z"})).json()
    assert old == {"items": [], "total": 0}
    entry = recent["items"][0]["id"]
    for method in ("PATCH", "PUT", "DELETE"):
        assert (await api.request(method, f"/audit-log/{entry}")).status_code in (404, 405)
        assert (await api.request(method, "/audit-log")).status_code == 405


async def test_bootstrap_token_and_cli(tmp_path: Path) -> None:
    """Without --api-token: the first start makes account admin and prints its token once;
    `ampyre token` and `ampyre account ...` work on the database."""
    database = f"sqlite:///{tmp_path / 'boot.db'}"
    server = Server(database, tmp_path)
    server.start = _start_without_token(server)  # type: ignore[method-assign]
    server.start()
    try:
        printed = _printed_token(server)
        async with client_with(server, printed) as admin:
            me = (await admin.get("/me")).json()
            assert me["name"] == "admin" and me["role"] == "admin"
        server.stop()
        server.start()
        assert _printed_token(server, count=True) == 1  # printed once, not on the next start
        cli = [sys.executable, "-m", "ampyre"]
        created = subprocess.run(
            [
                *cli,
                "account",
                "create",
                "alice",
                "--role",
                "viewer",
                "--password-stdin",
                "--database",
                database,
            ],
            input="correct horse battery\n",
            capture_output=True,
            text=True,
            check=True,
        )
        assert "alice" in created.stdout
        alice = subprocess.run(
            [*cli, "account", "token", "alice", "--expires-in", "7", "--database", database],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        another = subprocess.run(
            [*cli, "token", "--database", database], capture_output=True, text=True, check=True
        ).stdout.strip()
        listed = subprocess.run(
            [*cli, "account", "list", "--json", "--database", database],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert '"alice"' in listed and '"admin"' in listed
        audit = subprocess.run(
            [*cli, "audit-log", "--json", "--database", database],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "cli:" in audit and "Create account" in audit
        async with client_with(server, alice) as viewer, client_with(server, another) as admin:
            assert (await viewer.get("/me")).json()["role"] == "viewer"
            assert (await admin.get("/me")).json()["name"] == "admin"
            assert (await admin.get("/accounts/alice")).json()["hasPassword"] is True
            subprocess.run(
                [*cli, "account", "set", "alice", "--role", "operator", "--database", database],
                check=True,
                capture_output=True,
            )
            assert (await viewer.get("/me")).json()["role"] == "operator"
            last = subprocess.run(
                [*cli, "account", "set", "admin", "--disable", "--database", database],
                capture_output=True,
                text=True,
            )
            assert last.returncode == 1 and "last enabled admin" in last.stderr
            subprocess.run(
                [*cli, "account", "remove", "alice", "--database", database],
                check=True,
                capture_output=True,
            )
            assert (await viewer.get("/me")).status_code == 401
        help_text = subprocess.run(
            [*cli, "token", "--help"], capture_output=True, text=True, check=True
        ).stdout
        assert "AMPYRE_DATABASE_URL" in help_text and "new admin" in help_text
    finally:
        server.stop()


async def test_a_stored_plain_token_is_migrated_hashed(backend: str, tmp_path: Path) -> None:
    """A database of the previous version, its token stored in plain text: after the
    upgrade the same token works (as account admin) and no plain copy is left."""
    url = await make_database_url(backend, tmp_path)
    db = Database(url)
    try:
        await _migrate_to(db, "0008")
        async with db.engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO settings (key, value) VALUES ('api_token', :token)"),
                {"token": OLD_TOKEN},
            )
        server = Server(url, tmp_path)
        server.start = _start_without_token(server)  # type: ignore[method-assign]
        server.start()
        try:
            assert _printed_token(server, count=True) == 0  # there is an admin: nothing made
            async with client_with(server, OLD_TOKEN) as admin:
                me = (await admin.get("/me")).json()
                assert me["name"] == "admin" and me["role"] == "admin"
                tokens = (await admin.get("/accounts/admin/tokens")).json()["items"]
                assert [t["prefix"] for t in tokens] == [OLD_TOKEN[:4]]
        finally:
            server.stop()
        async with db.engine.connect() as connection:
            settings = (await connection.execute(text("SELECT key, value FROM settings"))).all()
            stored = (await connection.execute(text("SELECT * FROM api_tokens"))).all()
        assert all(OLD_TOKEN not in row for row in [*settings, *stored])
        assert [row.secret_hash for row in stored] == [access.token_hash(OLD_TOKEN)]
    finally:
        await db.dispose()
        if backend == "postgresql":
            await drop_postgres_database(url)


async def test_workers_print_the_first_token_once_and_share_revocations(tmp_path: Path) -> None:
    redis_url = os.environ.get("AMPYRE_TEST_REDIS_URL")
    if not redis_url or postgres_admin_url() is None:
        pytest.skip("needs AMPYRE_TEST_REDIS_URL and AMPYRE_TEST_POSTGRES_URL")
    url = await create_postgres_database()
    server = Server(url, tmp_path)
    server.start = _start_without_token(server, "--workers", "2", "--redis", redis_url)  # type: ignore[method-assign]
    try:
        await asyncio.to_thread(server.start)
        token = _printed_token(server)
        async with client_with(server, token) as admin:
            name, viewer_token = await new_account(admin, "viewer")
            async with client_with(server, viewer_token) as viewer:
                assert (await viewer.get("/me")).status_code == 200
                token_id = (await viewer.get("/me")).json()["tokenId"]
                await admin.delete(f"/accounts/{name}/tokens/{token_id}")
                # Whichever worker answers, the revoked token is refused at once.
                for _ in range(10):
                    assert (await viewer.get("/me")).status_code == 401
    finally:
        await asyncio.to_thread(server.stop)
        await drop_postgres_database(url)


OLD_TOKEN = "an-old-plain-token-from-0.1"


async def _migrate_to(db: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    async with db.engine.begin() as connection:

        def upgrade(sync_connection: Any) -> None:
            config.attributes["connection"] = sync_connection
            command.upgrade(config, revision)

        await connection.run_sync(upgrade)


def _printed_token(server: Server, *, count: bool = False):  # type: ignore[no-untyped-def]
    assert server.log_path is not None
    lines = [
        line.rpartition(": ")[2].strip()
        for line in server.log_path.read_text().splitlines()
        if line.startswith("Ampyre API token")
    ]
    if count:
        return len(lines)
    assert len(lines) == 1, server.log_path.read_text()
    return lines[0]


async def test_audit_entries_keep_text_no_database_refuses(api: httpx.AsyncClient) -> None:
    """A NUL in a client's body (PostgreSQL's text holds none) is kept escaped, and a
    value no column can hold is a 422, not a 500."""
    response = await api.post("/charge-points", json={"id": "NUL-CP", "password": "a\u0000b" * 4})
    assert response.status_code in (201, 409, 422), response.text
    response = await api.post("/id-tags", json={"idTag": "x\u0000y"})
    assert response.status_code in (201, 422), response.text  # 422 on PostgreSQL
    entries = (await api.get("/audit-log?limit=5")).json()["items"]
    assert [entry for entry in entries if entry["path"] == "/api/v1/id-tags"]
