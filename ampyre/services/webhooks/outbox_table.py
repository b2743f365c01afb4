"""The outbox table (`webhook_deliveries`) in SQL: what the writer appends, and what the
senders claim, settle, release and prune. The tasks that do it are in `delivery`.

A row is one event for one subscription; it is `pending` until delivered, failed (its
last attempt failed) or dropped (past a webhook's cap). A sender claims due rows by
writing its claim id on them, with a time after which the claim lapses, so that in a
cluster each row is sent by one node, and by another if that one dies mid-send.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.services.clock import now
from ampyre.services.events import Event
from ampyre.storage.database import Database
from ampyre.storage.models import WebhookDelivery

log = logging.getLogger("ampyre.webhooks")

#: Rows a sender claims at a time.
BATCH = 50
#: Delivered, failed and dropped rows are kept this long for `GET .../deliveries`.
RETENTION = timedelta(days=7)

PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"


def outbox_row(webhook_id: int, event: Event, body: str, at: datetime) -> dict[str, Any]:
    """A new row: `event` (its JSON `body`) for the subscription `webhook_id`, due now."""
    return {
        "webhook_id": webhook_id,
        "event_id": event.id,
        "event_type": event.type,
        "charge_point_id": event.charge_point_id,
        "body": body,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": at,
        "history": [],
        "created_at": at,
        "updated_at": at,
    }


async def append(
    db: Database, rows: Sequence[dict[str, Any]], *, max_pending: int, at: datetime
) -> int:
    """Insert `rows` in one transaction, keeping each webhook they are for at most
    `max_pending` undelivered rows (the oldest are dropped); how many were dropped."""
    dropped = 0
    async with db.sessions.begin() as session:
        await session.execute(insert(WebhookDelivery), list(rows))
        for webhook_id in {row["webhook_id"] for row in rows}:
            dropped += await _keep_under_cap(session, webhook_id, max_pending, at)
    return dropped


async def _keep_under_cap(
    session: AsyncSession, webhook_id: int, max_pending: int, at: datetime
) -> int:
    pending = (WebhookDelivery.webhook_id == webhook_id) & (WebhookDelivery.state == PENDING)
    count = await session.scalar(select(func.count()).select_from(WebhookDelivery).where(pending))
    excess = int(count or 0) - max_pending
    if excess <= 0:
        return 0
    oldest = select(WebhookDelivery.id).where(pending).order_by(WebhookDelivery.id).limit(excess)
    ids = list(await session.scalars(oldest))
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(
            state=DROPPED,
            next_attempt_at=None,
            last_error=f"dropped: more than {max_pending} events were waiting",
            updated_at=at,
        )
    )
    log.warning(
        "webhook %s: %d undelivered events dropped (cap %d)", webhook_id, len(ids), max_pending
    )
    return len(ids)


async def prune(db: Database) -> None:
    """Forget the finished rows older than RETENTION."""
    async with db.sessions.begin() as session:
        await session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.state != PENDING,
                WebhookDelivery.updated_at < now() - RETENTION,
            )
        )


async def claim_due(db: Database, webhook_id: int, *, timeout: float) -> list[WebhookDelivery]:
    """Claim up to BATCH due rows of a webhook (unclaimed, or their claim lapsed), oldest
    first; the claim lasts long enough for each to time out once (`timeout` seconds)."""
    at = now()
    due = (
        (WebhookDelivery.webhook_id == webhook_id)
        & (WebhookDelivery.state == PENDING)
        & (WebhookDelivery.next_attempt_at <= at)
        & or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < at)
    )
    claim = uuid.uuid4().hex
    async with db.sessions.begin() as session:
        ids = list(
            await session.scalars(
                select(WebhookDelivery.id).where(due).order_by(WebhookDelivery.id).limit(BATCH)
            )
        )
        if not ids:
            return []
        # Long enough for every claimed row to time out once, and then some.
        until = at + timedelta(seconds=timeout * len(ids) + 60)
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), due)
            .values(claim=claim, claimed_until=until)
        )
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.claim == claim)
                .order_by(WebhookDelivery.id)
            )
        )


async def release(db: Database, claims: set[str]) -> None:
    """Give up claims (at shutdown): their pending rows are due again at once."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.claim.in_(claims), WebhookDelivery.state == PENDING)
            .values(claim=None, claimed_until=None)
        )


async def settle(db: Database, row: WebhookDelivery, **values: Any) -> None:
    """Record an attempt at a claimed row and let go of the claim; nothing if the row is
    not pending under that claim any more."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == row.id,
                WebhookDelivery.claim == row.claim,
                WebhookDelivery.state == PENDING,
            )
            .values(claim=None, claimed_until=None, **values)
        )
