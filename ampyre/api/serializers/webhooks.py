"""Webhook subscriptions and their deliveries as the REST API shows them."""

from __future__ import annotations

from typing import Any

from ampyre.services.clock import format_timestamp
from ampyre.storage.models import Webhook, WebhookDelivery


def webhook(row: Webhook, *, secret: str | None = None) -> dict[str, Any]:
    """A subscription; its `secret` only in the answer that created it."""
    shown: dict[str, Any] = {
        "id": row.id,
        "url": row.url,
        "eventTypes": list(row.event_types),
        "chargePointId": row.charge_point_id,
        "enabled": row.enabled,
        "description": row.description,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
    }
    if secret is not None:
        shown["secret"] = secret
    return shown


def delivery(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "deliveryId": row.id,
        "eventId": row.event_id,
        "eventType": row.event_type,
        "chargePointId": row.charge_point_id,
        "state": row.state,
        "attempts": row.attempts,
        "lastStatusCode": row.last_status_code,
        "lastError": row.last_error,
        "nextAttemptAt": format_timestamp(row.next_attempt_at) if row.state == "pending" else None,
        "createdAt": format_timestamp(row.created_at),
        "updatedAt": format_timestamp(row.updated_at),
        "attemptLog": [
            {
                "attempt": entry["attempt"],
                "time": entry["time"],
                "statusCode": entry["status_code"],
                "error": entry["error"],
                "nextAttemptAt": entry["next_attempt_at"],
            }
            for entry in row.history
        ],
    }
