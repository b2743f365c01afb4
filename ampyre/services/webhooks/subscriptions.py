"""Webhook subscriptions: where events go, which ones, signed with what; and what became
of each delivery.

A change takes effect on this node at once (the outbox rereads the subscriptions) and on
the other nodes and workers within `delivery.REFRESH` seconds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from ampyre.services.clock import now
from ampyre.services.errors import NotFound
from ampyre.services.webhooks.delivery import Outbox
from ampyre.services.webhooks.rules import check_event_types, check_secret, new_secret
from ampyre.storage.database import Database
from ampyre.storage.models import Webhook, WebhookDelivery

#: What `update` may change.
CHANGEABLE = frozenset(
    {"url", "event_types", "charge_point_id", "secret", "enabled", "description"}
)


class WebhookService:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox

    async def create(
        self,
        url: str,
        *,
        event_types: list[str],
        charge_point_id: str | None = None,
        secret: str | None = None,
        enabled: bool = True,
        description: str | None = None,
    ) -> tuple[Webhook, str]:
        """The new subscription and its secret (the given one, or a generated one)."""
        chosen = check_secret(secret) if secret is not None else new_secret()
        at = now()
        webhook = Webhook(
            url=url,
            event_types=check_event_types(event_types),
            charge_point_id=charge_point_id,
            secret=chosen,
            description=description,
            enabled=enabled,
            created_at=at,
            updated_at=at,
        )
        async with self.db.sessions.begin() as session:
            session.add(webhook)
        await self.outbox.reload()
        return webhook, chosen

    async def get(self, webhook_id: int) -> Webhook:
        async with self.db.sessions() as session:
            return await _webhook(session, webhook_id)

    async def page(self, *, limit: int, offset: int) -> tuple[list[Webhook], int]:
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(Webhook))
            rows = await session.scalars(
                select(Webhook).order_by(Webhook.id).limit(limit).offset(offset)
            )
            return list(rows), int(total or 0)

    async def update(self, webhook_id: int, changes: dict[str, Any]) -> Webhook:
        """Change any of `CHANGEABLE`; a new secret signs the deliveries from now on."""
        unknown = set(changes) - CHANGEABLE
        if unknown:
            raise ValueError(f"not changeable: {sorted(unknown)}")
        if "event_types" in changes:
            changes["event_types"] = check_event_types(changes["event_types"] or [])
        if changes.get("secret") is not None:
            check_secret(changes["secret"])
        async with self.db.sessions.begin() as session:
            webhook = await _webhook(session, webhook_id)
            for name, value in changes.items():
                if name == "secret" and value is None:
                    continue
                setattr(webhook, name, value)
            webhook.updated_at = now()
        await self.outbox.reload()
        return webhook

    async def delete(self, webhook_id: int) -> None:
        """The subscription and its outbox rows (undelivered ones are not sent)."""
        async with self.db.sessions.begin() as session:
            webhook = await _webhook(session, webhook_id)
            await session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
            )
            await session.delete(webhook)
        await self.outbox.reload()

    async def deliveries(
        self, webhook_id: int, *, limit: int, offset: int, state: str | None = None
    ) -> tuple[list[WebhookDelivery], int]:
        """A webhook's deliveries, newest event first."""
        async with self.db.sessions() as session:
            await _webhook(session, webhook_id)
            where = WebhookDelivery.webhook_id == webhook_id
            if state is not None:
                where = where & (WebhookDelivery.state == state)
            total = await session.scalar(
                select(func.count()).select_from(WebhookDelivery).where(where)
            )
            rows = await session.scalars(
                select(WebhookDelivery)
                .where(where)
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)


async def _webhook(session: Any, webhook_id: int) -> Webhook:
    webhook = await session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} not found")
    return webhook
