"""Accounts, their API tokens and audit log entries as the REST API shows them."""

from __future__ import annotations

from ampyre.api.serializers.base import ApiModel, Timestamp
from ampyre.services.accounts import Principal, token_state
from ampyre.services.clock import now
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
    return Account.from_record(row, has_password=row.password_hash is not None)


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


def api_token(row: ApiTokenRow) -> ApiToken:
    """A token as listed: no secret."""
    return ApiToken.from_record(row, token_id=row.id, state=token_state(row, now()))


def created_api_token(row: ApiTokenRow, secret: str) -> CreatedApiToken:
    return CreatedApiToken.from_record(
        row, token_id=row.id, state=token_state(row, now()), token=secret
    )


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
    return AuditEntry.from_record(row)
