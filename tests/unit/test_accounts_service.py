"""Accounts and tokens on a real SQLite file: authentication, revocation, expiry, the
last admin, the bootstrap token."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from ampyre.services.accounts import AccountService
from ampyre.services.clock import now
from ampyre.services.errors import Conflict, InvalidRequest, NotFound
from ampyre.storage.database import Database
from ampyre.storage.models import ApiToken


async def test_a_token_authenticates_its_account_until_revoked(db: Database) -> None:
    accounts = AccountService(db)
    await accounts.create("alice", role="operator", password="long password")
    token, secret = await accounts.create_token("alice")
    principal = await accounts.authenticate(secret)
    assert principal is not None and (principal.name, principal.role) == ("alice", "operator")
    assert principal.token_id == token.id and principal.may("viewer")
    assert not principal.may("admin")
    async with db.sessions() as session:
        stored = await session.get(ApiToken, token.id)
    assert stored is not None and secret not in (stored.secret_hash, stored.prefix)
    assert stored.last_used_at is not None
    await accounts.revoke_token("alice", token.id)
    assert await accounts.authenticate(secret) is None
    assert await accounts.authenticate(secret + "x") is None
    with pytest.raises(NotFound):
        await accounts.revoke_token("bob", token.id)


async def test_expired_tokens_and_disabled_accounts_authenticate_nobody(db: Database) -> None:
    accounts = AccountService(db)
    await accounts.create("bob", role="viewer")
    _, lasting = await accounts.create_token("bob", expires_at=now() + timedelta(days=1))
    _, short = await accounts.create_token("bob", expires_at=now() + timedelta(seconds=0.2))
    assert await accounts.authenticate(short) is not None
    with pytest.raises(InvalidRequest):
        await accounts.create_token("bob", expires_at=now() - timedelta(seconds=1))
    await asyncio.sleep(0.3)
    assert await accounts.authenticate(short) is None
    assert await accounts.authenticate(lasting) is not None
    await accounts.create("root", role="admin")
    await accounts.update("bob", {"disabled": True})
    assert await accounts.authenticate(lasting) is None


async def test_the_last_enabled_admin_stays(db: Database) -> None:
    accounts = AccountService(db)
    await accounts.create("first", role="admin")
    for change in ({"role": "viewer"}, {"disabled": True}):
        with pytest.raises(Conflict, match="last enabled admin"):
            await accounts.update("first", change)
    with pytest.raises(Conflict):
        await accounts.delete("first")
    await accounts.create("second", role="admin")
    await accounts.update("first", {"disabled": True})
    with pytest.raises(Conflict):
        await accounts.delete("second")
    await accounts.delete("first")  # a disabled admin may go


async def test_passwords_are_argon2id_and_checked(db: Database) -> None:
    accounts = AccountService(db)
    account = await accounts.create("carol", role="viewer", password="s3cret-enough")
    assert account.password_hash is not None and account.password_hash.startswith("$argon2id$")
    assert await accounts.check_password("carol", "s3cret-enough")
    assert not await accounts.check_password("carol", "wrong password")
    with pytest.raises(InvalidRequest, match="at least 8"):
        await accounts.create("dave", role="viewer", password="short")
    with pytest.raises(InvalidRequest, match="role"):
        await accounts.create("erin", role="root")
    with pytest.raises(InvalidRequest, match="name"):
        await accounts.create("--api-token", role="viewer")
    with pytest.raises(Conflict):
        await accounts.create("carol", role="viewer")


async def test_bootstrap_makes_one_admin_token_and_only_once(db: Database) -> None:
    accounts = AccountService(db)
    made = await accounts.bootstrap()
    assert made is not None and made[0] == "admin"
    secret = made[1]
    principal = await accounts.authenticate(secret)
    assert principal is not None and (principal.name, principal.role) == ("admin", "admin")
    assert await accounts.bootstrap() is None
    owner, another = await accounts.admin_token()
    assert owner == "admin" and another != secret
    await accounts.create("viewer1", role="viewer")
    with pytest.raises(InvalidRequest, match="not an enabled admin"):
        await accounts.admin_token("viewer1")
