"""Accounts, their API tokens and audit log entries as the REST API shows them."""

from __future__ import annotations

from typing import Any

from ampyre.api.serializers.base import ApiModel, Timestamp
from ampyre.services.accounts import Principal, token_state
from ampyre.services.clock import format_timestamp, now
from ampyre.storage.models import Account as AccountRow
from ampyre.storage.models import ApiToken as ApiTokenRow
from ampyre.storage.models import AuditEntry as AuditEntryRow


class Account(ApiModel):
    name: str
    role: str
    disabled: bool
    has_password: bool
    created_at: Timestamp | None
    updated_at: Timestamp | None


def account(row: AccountRow) -> Account:
    return Account(
        name=row.name,
        role=row.role,
        disabled=row.disabled,
        has_password=row.password_hash is not None,
        created_at=format_timestamp(row.created_at),
        updated_at=format_timestamp(row.updated_at),
    )


class ApiToken(ApiModel):
    token_id: int
    prefix: str
    description: str | None
    state: str
    created_at: Timestamp | None
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None


class CreatedApiToken(ApiToken):
    """The answer that created a token: the only one with its secret."""

    token: str


def _token_fields(row: ApiTokenRow) -> dict[str, Any]:
    return {
        "token_id": row.id,
        "prefix": row.prefix,
        "description": row.description,
        "state": token_state(row, now()),
        "created_at": format_timestamp(row.created_at),
        "expires_at": format_timestamp(row.expires_at),
        "revoked_at": format_timestamp(row.revoked_at),
        "last_used_at": format_timestamp(row.last_used_at),
    }


def api_token(row: ApiTokenRow) -> ApiToken:
    """A token as listed: no secret."""
    return ApiToken(**_token_fields(row))


def created_api_token(row: ApiTokenRow, secret: str) -> CreatedApiToken:
    return CreatedApiToken(**_token_fields(row), token=secret)


class Me(ApiModel):
    name: str
    role: str
    token_id: int | None
    configured_token: bool


def principal(who: Principal) -> Me:
    return Me(name=who.name, role=who.role, token_id=who.token_id, configured_token=who.configured)


class AuditEntry(ApiModel):
    id: int
    timestamp: Timestamp | None
    account: str | None
    token_id: int | None
    method: str
    path: str
    target: str | None
    summary: str | None
    details: str | None
    status: int
    client: str | None


def audit_entry(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        timestamp=format_timestamp(row.timestamp),
        account=row.account,
        token_id=row.token_id,
        method=row.method,
        path=row.path,
        target=row.target,
        summary=row.summary,
        details=row.details,
        status=row.status,
        client=row.client,
    )
