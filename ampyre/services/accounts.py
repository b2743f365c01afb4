"""Operator accounts and their API tokens.

An account has a role (`access.Role`), an optional Argon2id password and any number of
bearer tokens. A token is stored as the SHA-256 of its secret; the secret is returned
once, when the token is made. A revoked or expired token, or one of a disabled account,
authenticates nobody.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.services import access
from ampyre.services.clock import now
from ampyre.services.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from ampyre.services.login_throttle import LoginThrottle
from ampyre.services.lookup import add_new
from ampyre.services.passwords import hash_password, verify_password
from ampyre.storage.database import Database
from ampyre.storage.models import Account, ApiToken

#: The account the first start (or `ampyre token` on an empty database) creates.
BOOTSTRAP_ACCOUNT = "admin"
#: A token's last use is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: an account (by name) through one of its tokens, or the
    server's configured `--api-token` (no account, no token id, admin)."""

    name: str
    role: str
    token_id: int | None = None
    configured: bool = False

    def may(self, required: str) -> bool:
        return access.role_allows(self.role, required)


def configured_principal() -> Principal:
    return Principal(access.CONFIGURED_TOKEN_ACCOUNT, access.Role.ADMIN, configured=True)


def token_state(token: ApiToken, at: datetime) -> str:
    """`active`, `revoked` or `expired`."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= at:
        return "expired"
    return "active"


#: The description of the tokens that console sign-ins make (listed with the others).
SIGN_IN_TOKEN = "console sign-in"


class AccountService:
    def __init__(self, db: Database) -> None:
        self.db = db
        #: Failed sign-ins per account name and per address (each a password check).
        self.sign_in_throttle = LoginThrottle()

    # -- accounts ------------------------------------------------------------------------

    async def create(self, name: str, *, role: str, password: str | None = None) -> Account:
        if not access.valid_account_name(name):
            raise InvalidRequest(
                "name: letters, digits and . _ @ -, starting with a letter or digit, "
                "at most 64 characters"
            )
        checked = _role(role)
        password_hash = await _hash(password) if password is not None else None
        async with self.db.sessions.begin() as session:
            account = await _insert_account(session, name, checked, password_hash)
        return account

    async def get(self, name: str) -> Account:
        async with self.db.sessions() as session:
            return await _account(session, name)

    async def page(self, *, limit: int, offset: int) -> tuple[list[Account], int]:
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(Account))
            rows = await session.scalars(
                select(Account).order_by(Account.name).limit(limit).offset(offset)
            )
            return list(rows), int(total or 0)

    async def update(self, name: str, changes: dict[str, Any]) -> Account:
        """Change `role`, `password` (None removes it) or `disabled`. The last enabled
        admin can be neither demoted nor disabled (409)."""
        role = _role(changes["role"]) if changes.get("role") is not None else None
        password_hash: str | None = None
        if changes.get("password") is not None:
            password_hash = await _hash(changes["password"])
        async with self.db.sessions.begin() as session:
            account = await _account(session, name)
            demoted = role is not None and role != access.Role.ADMIN
            disabled = bool(changes.get("disabled"))
            if account.role == access.Role.ADMIN and (demoted or disabled):
                await _keep_an_admin(session, account)
            if role is not None:
                account.role = role
            if "password" in changes:
                account.password_hash = password_hash
            if changes.get("disabled") is not None:
                account.disabled = bool(changes["disabled"])
            account.updated_at = now()
        return account

    async def delete(self, name: str) -> None:
        async with self.db.sessions.begin() as session:
            account = await _account(session, name)
            if account.role == access.Role.ADMIN:
                await _keep_an_admin(session, account)
            await session.delete(account)

    async def check_password(self, name: str, password: str) -> bool:
        """Whether `password` is the (enabled) account's password."""
        async with self.db.sessions() as session:
            account = await session.scalar(select(Account).where(Account.name == name))
        if account is None or account.disabled or account.password_hash is None:
            return False
        return await asyncio.to_thread(verify_password, account.password_hash, password)

    async def sign_in(
        self, name: str, password: str, *, address: str | None, lifetime: timedelta
    ) -> tuple[ApiToken, str, Account]:
        """A web console sign-in: the account's password checked (off the event loop, and
        refused at once after too many failures), then a token of the account that expires
        after `lifetime`, whose secret the console keeps in an HttpOnly cookie. Being a
        token, a sign-in is listed and revoked like one."""
        if self.sign_in_throttle.blocked(name, address):
            raise TooManyAttempts("Too many failed sign-ins: wait a minute and try again")
        if not await self.check_password(name, password):
            self.sign_in_throttle.failed(name, address)
            raise Unauthenticated("Wrong account name or password")
        self.sign_in_throttle.succeeded(name)
        async with self.db.sessions.begin() as session:
            account = await _account(session, name)
            token, secret = await _add_token(session, account, now() + lifetime, SIGN_IN_TOKEN)
        return token, secret, account

    async def sign_out(self, principal: Principal) -> None:
        """Revoke the token a console session signed in with (nothing for other tokens:
        an API token is revoked through its account)."""
        if principal.token_id is None:
            return
        async with self.db.sessions.begin() as session:
            token = await session.get(ApiToken, principal.token_id)
            if (
                token is not None
                and token.description == SIGN_IN_TOKEN
                and token.revoked_at is None
            ):
                token.revoked_at = now()

    # -- tokens --------------------------------------------------------------------------

    async def tokens(self, name: str, *, limit: int, offset: int) -> tuple[list[ApiToken], int]:
        async with self.db.sessions() as session:
            account = await _account(session, name)
            where = ApiToken.account_id == account.id
            total = await session.scalar(select(func.count()).select_from(ApiToken).where(where))
            rows = await session.scalars(
                select(ApiToken)
                .where(where)
                .order_by(ApiToken.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)

    async def create_token(
        self,
        name: str,
        *,
        expires_at: datetime | None = None,
        description: str | None = None,
    ) -> tuple[ApiToken, str]:
        """A new token of the account: the row and the secret (shown once, never stored)."""
        if expires_at is not None and expires_at <= now():
            raise InvalidRequest("expiresAt must be in the future")
        async with self.db.sessions.begin() as session:
            account = await _account(session, name)
            return await _add_token(session, account, expires_at, description)

    async def revoke_token(self, name: str, token_id: int) -> ApiToken:
        async with self.db.sessions.begin() as session:
            account = await _account(session, name)
            token = await session.get(ApiToken, token_id)
            if token is None or token.account_id != account.id:
                raise NotFound(f"Token {token_id} of {name!r} not found")
            if token.revoked_at is None:
                token.revoked_at = now()
        return token

    async def authenticate(self, secret: str) -> Principal | None:
        """The principal a bearer token stands for, or None (unknown, revoked, expired,
        or its account disabled)."""
        if not access.plausible_token(secret):
            return None
        digest = access.token_hash(secret)
        async with self.db.sessions() as session:
            found = (
                await session.execute(
                    select(ApiToken, Account)
                    .join(Account, Account.id == ApiToken.account_id)
                    .where(ApiToken.secret_hash == digest)
                )
            ).first()
        if found is None:
            return None
        token, account = found
        at = now()
        if account.disabled or token_state(token, at) != "active":
            return None
        if token.last_used_at is None or at - token.last_used_at > LAST_USED_RESOLUTION:
            async with self.db.sessions.begin() as session:
                row = await session.get(ApiToken, token.id)
                if row is not None:
                    row.last_used_at = at
        return Principal(account.name, account.role, token.id)

    async def bootstrap(self) -> tuple[str, str] | None:
        """On a database without an enabled admin: create the `admin` account with a token
        and return (account name, token) (the token is printed once). Otherwise None."""
        async with self.db.sessions.begin() as session:
            if await _enabled_admin(session) is not None:
                return None
        try:
            return await self.admin_token(description="generated on first start")
        except Conflict:
            return None  # another process of the cluster made it at the same moment

    async def admin_token(
        self, account: str | None = None, *, description: str | None = None
    ) -> tuple[str, str]:
        """A new token of admin `account` (default: the first enabled admin, created as
        `admin` if there is none): (account name, secret)."""
        async with self.db.sessions.begin() as session:
            if account is not None:
                owner = await _account(session, account)
                if owner.role != access.Role.ADMIN or owner.disabled:
                    raise InvalidRequest(f"Account {account!r} is not an enabled admin")
            else:
                owner = await _enabled_admin(session) or await _create_bootstrap(session)
            _, secret = await _add_token(session, owner, None, description)
            return owner.name, secret


async def _account(session: AsyncSession, name: str) -> Account:
    account = await session.scalar(select(Account).where(Account.name == name))
    if account is None:
        raise NotFound(f"Account {name!r} not found")
    return account


async def _enabled_admin(session: AsyncSession) -> Account | None:
    return await session.scalar(
        select(Account)
        .where(Account.role == access.Role.ADMIN, Account.disabled.is_(False))
        .order_by(Account.id)
        .limit(1)
    )


async def _keep_an_admin(session: AsyncSession, account: Account) -> None:
    others = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(
            Account.role == access.Role.ADMIN,
            Account.disabled.is_(False),
            Account.id != account.id,
        )
    )
    if not others and not account.disabled:
        raise Conflict(f"{account.name!r} is the last enabled admin account")


async def _create_bootstrap(session: AsyncSession) -> Account:
    name = BOOTSTRAP_ACCOUNT
    taken = set(await session.scalars(select(Account.name).where(Account.name.like("admin%"))))
    number = 1
    while name in taken:
        number += 1
        name = f"{BOOTSTRAP_ACCOUNT}-{number}"
    return await _insert_account(session, name, access.Role.ADMIN, None)


async def _insert_account(
    session: AsyncSession, name: str, role: access.Role, password_hash: str | None
) -> Account:
    timestamp = now()
    account = Account(
        name=name,
        role=role,
        password_hash=password_hash,
        disabled=False,
        created_at=timestamp,
        updated_at=timestamp,
    )
    return await add_new(session, account, f"Account {name!r}")


async def _add_token(
    session: AsyncSession, account: Account, expires_at: datetime | None, description: str | None
) -> tuple[ApiToken, str]:
    secret = access.new_token()
    token = ApiToken(
        account_id=account.id,
        prefix=access.token_prefix(secret),
        secret_hash=access.token_hash(secret),
        description=description,
        created_at=now(),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, secret


def _role(value: Any) -> access.Role:
    try:
        return access.check_role(str(value))
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


async def _hash(password: Any) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    # Argon2id is slow on purpose: off the event loop.
    return await asyncio.to_thread(hash_password, password)
