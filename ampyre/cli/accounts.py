"""`ampyre account ...`, `ampyre token` and `ampyre audit-log`: operator accounts, their
API tokens and the audit log, on the database directly (server running or not).

What these commands change is written to the audit log too, as account `cli:USER`.
"""

from __future__ import annotations

import getpass
import sys
from datetime import datetime, timedelta
from typing import Any

import click

from ampyre.api.serializers import accounts as shown
from ampyre.api.serializers import page
from ampyre.cli.admin import _print, _run, _timestamp
from ampyre.cli.options import database_option
from ampyre.cli.rest import json_option
from ampyre.services.access import ROLES
from ampyre.services.accounts import MIN_PASSWORD_LENGTH
from ampyre.services.audit import AuditRecord
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now


async def _audit(csms: CentralSystem, summary: str, target: str, status: int = 200) -> None:
    await csms.audit.record(
        AuditRecord(
            account=f"cli:{getpass.getuser()}",
            token_id=None,
            method="CLI",
            path="ampyre " + " ".join(sys.argv[1:3]),
            target=target,
            summary=summary,
            status=status,
            client="local",
        )
    )


@click.group("account")
def account() -> None:
    """Operator accounts (viewer, operator, admin) and their API tokens."""


@account.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([str(role) for role in ROLES]),
    required=True,
    help="What the account may do.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
@click.option("--no-password", is_flag=True, help="No password: the account uses tokens only.")
@database_option
def account_create(
    name: str, role: str, password_stdin: bool, no_password: bool, database: str
) -> None:
    """Create account NAME with ROLE; asks for its password (Argon2id-hashed)."""
    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not no_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"at least {MIN_PASSWORD_LENGTH} characters", param_hint="password"
        )

    async def work(csms: CentralSystem) -> None:
        await csms.accounts.create(name, role=role, password=password)
        await _audit(csms, f"Create account ({role})", name, 201)

    _run(database, work)
    click.echo(f"Created account {name} ({role})")


@account.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice([str(role) for role in ROLES]), help="A new role.")
@click.option("--disable/--enable", "disabled", default=None, help="Refuse or allow its tokens.")
@click.option("--password-stdin", is_flag=True, help="Set the password read from standard input.")
@database_option
def account_set(
    name: str, role: str | None, disabled: bool | None, password_stdin: bool, database: str
) -> None:
    """Change account NAME: its role, whether it is disabled, its password."""
    changes: dict[str, Any] = {}
    if role is not None:
        changes["role"] = role
    if disabled is not None:
        changes["disabled"] = disabled
    if password_stdin:
        changes["password"] = sys.stdin.readline().rstrip("\r\n")
    if not changes:
        raise click.UsageError(
            "nothing to change: give --role, --disable/--enable or --password-stdin"
        )

    async def work(csms: CentralSystem) -> None:
        await csms.accounts.update(name, changes)
        await _audit(csms, "Change account: " + ", ".join(sorted(changes)), name)

    _run(database, work)
    click.echo(f"Changed account {name}")


@account.command("remove")
@click.argument("name")
@database_option
def account_remove(name: str, database: str) -> None:
    """Remove account NAME and its tokens."""

    async def work(csms: CentralSystem) -> None:
        await csms.accounts.delete(name)
        await _audit(csms, "Remove account", name, 204)

    _run(database, work)
    click.echo(f"Removed account {name}")


@account.command("list")
@click.option("--limit", default=100, show_default=True)
@json_option
@database_option
def account_list(limit: int, as_json: bool, database: str) -> None:
    """List accounts."""

    async def work(csms: CentralSystem) -> dict[str, Any]:
        rows, total = await csms.accounts.page(limit=limit, offset=0)
        return page([shown.account(r) for r in rows], total).as_json()

    _print(_run(database, work), as_json, ["name", "role", "disabled", "hasPassword", "createdAt"])


@account.command("token")
@click.argument("name")
@click.option(
    "--expires-in", type=click.FloatRange(min=0, min_open=True), help="Days until it expires."
)
@click.option("--description", help="What the token is for.")
@database_option
def account_token(
    name: str, expires_in: float | None, description: str | None, database: str
) -> None:
    """Create an API token of account NAME and print it (the only time it is shown)."""
    expires_at = now() + timedelta(days=expires_in) if expires_in else None

    async def work(csms: CentralSystem) -> str:
        token, secret = await csms.accounts.create_token(
            name, expires_at=expires_at, description=description
        )
        await _audit(csms, f"Create token {token.id}", name, 201)
        return secret

    click.echo(_run(database, work))


@account.command("tokens")
@click.argument("name")
@json_option
@database_option
def account_tokens(name: str, as_json: bool, database: str) -> None:
    """List the API tokens of account NAME (never their secrets)."""

    async def work(csms: CentralSystem) -> dict[str, Any]:
        rows, total = await csms.accounts.tokens(name, limit=1000, offset=0)
        return page([shown.api_token(r) for r in rows], total).as_json()

    _print(
        _run(database, work),
        as_json,
        ["tokenId", "prefix", "state", "description", "expiresAt", "lastUsedAt"],
    )


@account.command("revoke")
@click.argument("name")
@click.argument("token_id", type=click.IntRange(min=1))
@database_option
def account_revoke(name: str, token_id: int, database: str) -> None:
    """Revoke token TOKEN_ID of account NAME."""

    async def work(csms: CentralSystem) -> None:
        await csms.accounts.revoke_token(name, token_id)
        await _audit(csms, f"Revoke token {token_id}", name, 204)

    _run(database, work)
    click.echo(f"Revoked token {token_id} of {name}")


@click.command("token")
@click.option("--account", "account_name", help="The admin account (default: the first one).")
@database_option
def token(account_name: str | None, database: str) -> None:
    """Create a new admin API token and print it (the only time it is shown).

    Tokens are stored hashed, so an existing one cannot be shown again: each call makes
    another, of account `admin` (created if there is no admin) or of --account. Revoke
    the ones no longer used (`ampyre account tokens`, `ampyre account revoke`)."""

    async def work(csms: CentralSystem) -> str:
        owner, secret = await csms.accounts.admin_token(
            account_name, description="made by `ampyre token`"
        )
        await _audit(csms, "Create admin token", owner, 201)
        return secret

    click.echo(_run(database, work, create=True))  # also before the first start


@click.command("audit-log")
@click.option("--account", "account_name", help="Only this account's entries.")
@click.option("--since", callback=_timestamp, help="From this time on, ISO 8601.")
@click.option("--until", callback=_timestamp, help="Before this time, ISO 8601.")
@click.option("--limit", default=50, show_default=True)
@json_option
@database_option
def audit_log(
    account_name: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    as_json: bool,
    database: str,
) -> None:
    """Who changed what through the REST API or this CLI, newest first."""

    async def work(csms: CentralSystem) -> dict[str, Any]:
        rows, total = await csms.audit.page(
            account=account_name, since=since, until=until, limit=limit, offset=0
        )
        return page([shown.audit_entry(r) for r in rows], total).as_json()

    _print(
        _run(database, work),
        as_json,
        ["timestamp", "account", "method", "path", "status", "summary", "client"],
    )


COMMANDS = [account, token, audit_log]
