"""Webhook deliveries: the tasks that fill the outbox and send from it (its rows in SQL:
`outbox_table`).

The OCPP path only appends this node's events to a bounded in-memory queue (`_accept`,
called by the event bus); a writer task moves them into the outbox table
(`webhook_deliveries`), one row per event and subscription, in one transaction per batch.
A sender task per subscription claims the due rows of its webhook, POSTs them one by one
and records each attempt; a failure is retried after `rules.retry_delay`. So a receiver
that is slow or down costs the message path nothing, and what is waiting survives a
restart.

Memory is bounded twice: the in-memory queue holds at most `INCOMING` events (the oldest
is dropped past it, e.g. while the database does not answer), and the outbox at most
`max_pending` undelivered rows per webhook (the oldest are marked `dropped`); both count
in the `dropped` outcome.

In a cluster each event is published by one node only (the bus hands webhooks the node's
own events, never the forwarded ones), so it enters the outbox once; and a row is sent by
the node that claimed it (`claim`, `claimed_until`: a node that dies mid-send loses its
claim when it lapses, and another node sends the row).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from ampyre import __version__
from ampyre.services.clock import format_timestamp, now
from ampyre.services.events import Event, EventBus
from ampyre.services.webhooks import outbox_table
from ampyre.services.webhooks.outbox_table import DELIVERED, DROPPED, FAILED, PENDING
from ampyre.services.webhooks.rules import retry_delay, signature, succeeded
from ampyre.storage.database import Database
from ampyre.storage.models import Webhook, WebhookDelivery

log = logging.getLogger("ampyre.webhooks")

#: Events waiting in memory for the outbox writer, at most.
INCOMING = 10_000
#: How often the subscriptions are reread (changes made through another node or worker).
REFRESH = 2.0
#: Due rows (retries, rows another node let lapse) are looked for at least this often (s).
POLL = 1.0
#: How often finished rows past `outbox_table.RETENTION` are deleted (s).
PRUNE_EVERY = 600.0


@dataclass(frozen=True, slots=True)
class Target:
    """An enabled subscription as the senders and the filter need it."""

    id: int
    url: str
    secret: str
    types: frozenset[str]
    charge_point_id: str | None

    def wants(self, event: Event) -> bool:
        return (not self.types or event.type in self.types) and (
            self.charge_point_id is None or event.charge_point_id == self.charge_point_id
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and succeeded(self.status_code)


class Outbox:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        attempts: int,
        backoff: float,
        timeout: float,
        max_pending: int,
    ) -> None:
        self.db = db
        self.bus = bus
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        self.max_pending = max_pending
        #: Deliveries by outcome, for /metrics: delivered, retried (an attempt failed and
        #: another is scheduled), failed (the last attempt failed), dropped.
        self.outcomes: Counter[str] = Counter()
        self._incoming: deque[Event] = deque()
        self._written = asyncio.Event()
        self._targets: dict[int, Target] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        #: The claims this node holds now, released at stop for another node or a restart.
        self._claims: set[str] = set()

    @property
    def waiting(self) -> int:
        """Events in memory, not yet in the outbox."""
        return len(self._incoming)

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": f"Ampyre/{__version__} (webhooks)"},
        )
        await self.reload()
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="webhooks-writer"),
            asyncio.create_task(self._refresh_loop(), name="webhooks-refresh"),
        ]

    async def stop(self) -> None:
        """Stop sending; what is still in memory goes to the outbox (sent after a restart)."""
        self.bus.local = None
        tasks = [*self._tasks, *self._senders.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks, self._senders = [], {}
        if self._claims:
            try:
                await outbox_table.release(self.db, self._claims)
            except Exception:
                log.exception("webhook claims not released at shutdown (they lapse)")
        if self._incoming:
            try:
                await self._write()
            except Exception:
                log.exception("webhook events not written to the outbox at shutdown")
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def reload(self) -> None:
        """Reread the enabled subscriptions: the filter, and one sender per webhook."""
        async with self.db.sessions() as session:
            rows = await session.scalars(select(Webhook).where(Webhook.enabled.is_(True)))
            self._targets = {
                row.id: Target(
                    row.id, row.url, row.secret, frozenset(row.event_types), row.charge_point_id
                )
                for row in rows
            }
        if self._client is None:
            return  # not started (an offline CLI command): nothing is collected or sent here
        # Only while a webhook is enabled does the message path build events for them.
        self.bus.local = self._accept if self._targets else None
        for webhook_id in self._targets.keys() - self._senders.keys():
            self._wake[webhook_id] = asyncio.Event()
            self._senders[webhook_id] = asyncio.create_task(
                self._send_loop(webhook_id), name=f"webhook-{webhook_id}"
            )
        for webhook_id in self._senders.keys() - self._targets.keys():
            self._senders.pop(webhook_id).cancel()
            self._wake.pop(webhook_id, None)

    # -- from the event bus to the outbox --------------------------------------------------

    def _accept(self, event: Event) -> None:
        """Called on the message path: an append, never a wait."""
        if not any(target.wants(event) for target in self._targets.values()):
            return
        if len(self._incoming) >= INCOMING:
            self._incoming.popleft()
            self.outcomes[DROPPED] += 1
        self._incoming.append(event)
        self._written.set()

    async def _write_loop(self) -> None:
        while True:
            await self._written.wait()
            self._written.clear()
            try:
                await self._write()
            except Exception:
                log.exception("webhook events not written to the outbox; retrying")
                await asyncio.sleep(1.0)
                self._written.set()

    async def _write(self) -> None:
        batch, self._incoming = self._incoming, deque()
        at = now()
        rows: list[dict[str, Any]] = []
        for event in batch:
            body: str | None = None
            for target in self._targets.values():
                if target.wants(event):
                    body = body or orjson.dumps(event.as_json()).decode()
                    rows.append(outbox_table.outbox_row(target.id, event, body, at))
        if not rows:
            return
        try:
            self.outcomes[DROPPED] += await outbox_table.append(
                self.db, rows, max_pending=self.max_pending, at=at
            )
        except Exception:
            # Put them back before what came meanwhile, within the cap.
            self._incoming.extendleft(reversed(batch))
            while len(self._incoming) > INCOMING:
                self._incoming.popleft()
                self.outcomes[DROPPED] += 1
            raise
        for webhook_id in {row["webhook_id"] for row in rows}:
            wake = self._wake.get(webhook_id)
            if wake is not None:
                wake.set()

    async def _refresh_loop(self) -> None:
        pruned = time.monotonic()
        while True:
            await asyncio.sleep(REFRESH)
            try:
                await self.reload()
                if time.monotonic() - pruned > PRUNE_EVERY:
                    pruned = time.monotonic()
                    await outbox_table.prune(self.db)
            except Exception:
                log.exception("webhook subscriptions not reloaded")

    # -- from the outbox to the receiver ---------------------------------------------------

    async def _send_loop(self, webhook_id: int) -> None:
        wake = self._wake[webhook_id]
        while True:
            try:
                claimed = await outbox_table.claim_due(self.db, webhook_id, timeout=self.timeout)
            except Exception:
                log.exception("webhook %s: due deliveries not read", webhook_id)
                claimed = []
            target = self._targets.get(webhook_id)
            if not claimed or target is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), POLL)
                wake.clear()
                continue
            claim = claimed[0].claim
            assert claim is not None
            self._claims.add(claim)
            for row in claimed:
                attempt = await self._post(target, row)
                try:
                    await self._record(row, attempt)
                except Exception:
                    log.exception("webhook %s: attempt not recorded", webhook_id)
            self._claims.discard(claim)

    async def _post(self, target: Target, row: WebhookDelivery) -> Attempt:
        assert self._client is not None
        body = row.body.encode()
        headers = {
            "Content-Type": "application/json",
            "X-Ampyre-Signature": signature(target.secret, body),
            "X-Ampyre-Timestamp": str(int(time.time())),
            "X-Ampyre-Event-Id": str(row.event_id),
            "X-Ampyre-Event-Type": row.event_type,
            "X-Ampyre-Delivery-Id": str(row.id),
            "X-Ampyre-Attempt": str(row.attempts + 1),
        }
        try:
            # Streamed and never read: a receiver's answer body costs no memory here.
            async with self._client.stream(
                "POST", target.url, content=body, headers=headers
            ) as response:
                status = response.status_code
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: {exc}".rstrip(": "))
        return Attempt(status, None if succeeded(status) else f"HTTP {status}")

    async def _record(self, row: WebhookDelivery, attempt: Attempt) -> None:
        number = row.attempts + 1
        at = now()
        next_at: datetime | None = None
        if attempt.ok:
            state = DELIVERED
        elif number >= self.attempts:
            state = FAILED
        else:
            state = PENDING
            next_at = at + timedelta(seconds=retry_delay(number, self.backoff))
        self.outcomes["retried" if state == PENDING else state] += 1
        entry = {
            "attempt": number,
            "time": format_timestamp(at),
            "status_code": attempt.status_code,
            "error": attempt.error,
            "next_attempt_at": format_timestamp(next_at),
        }
        await outbox_table.settle(
            self.db,
            row,
            state=state,
            attempts=number,
            next_attempt_at=next_at,
            last_status_code=attempt.status_code,
            last_error=attempt.error,
            history=[*row.history, entry],
            updated_at=at,
        )
        if not attempt.ok:
            log.info(
                "webhook %s: event %s attempt %d failed (%s)%s",
                row.webhook_id,
                row.event_id,
                number,
                attempt.error,
                "" if next_at is None else f"; next at {format_timestamp(next_at)}",
            )
