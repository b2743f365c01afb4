"""Accounts, their API tokens and audit log entries as the REST API shows them."""

from __future__ import annotations

from typing import Any

from ampyre.services.accounts import Principal, token_state
from ampyre.services.clock import format_timestamp, now
from ampyre.storage.models import Account, ApiToken, AuditEntry


def account(row: Account) -> dict[str, Any]:
    return {
        "name": row.name,
        "role": row.role,
        "disabled": row.disabled,
        "hasPassword": row.password_hash is not None,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
    }


def api_token(row: ApiToken, *, secret: str | None = None) -> dict[str, Any]:
    """A token as listed; `secret` only in the answer that created it."""
    shown = {
        "tokenId": row.id,
        "prefix": row.prefix,
        "description": row.description,
        "state": token_state(row, now()),
        "createdAt": format_timestamp(row.created_at),
        "expiresAt": format_timestamp(row.expires_at),
        "revokedAt": format_timestamp(row.revoked_at),
        "lastUsedAt": format_timestamp(row.last_used_at),
    }
    if secret is not None:
        shown["token"] = secret
    return shown


def principal(who: Principal) -> dict[str, Any]:
    return {
        "name": who.name,
        "role": who.role,
        "tokenId": who.token_id,
        "configuredToken": who.configured,
    }


def audit_entry(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "timestamp": format_timestamp(row.timestamp),
        "account": row.account,
        "tokenId": row.token_id,
        "method": row.method,
        "path": row.path,
        "target": row.target,
        "summary": row.summary,
        "details": row.details,
        "status": row.status,
        "client": row.client,
    }
