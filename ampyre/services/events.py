"""Live events: what changed, for integrators' streams (`GET /api/v1/events`).

Each event has an id (increasing; a client resumes after the last one it saw with
`Last-Event-ID`), a type, the charge point it is about and its data. The recent ones are
kept for resuming, but only once someone has subscribed: until then publishing costs an
`if`. Subscribers get a bounded queue each; one that does not keep up is dropped rather
than let it hold memory (its client reconnects and resumes). In a cluster, each node's
events are forwarded to the others (`forward`) while any node has a subscriber, and every
node then keeps them all, so a client resumes on whichever node its reconnect reaches.

Ids are microseconds since the epoch, made unique and increasing per node, so the events
of several nodes interleave by time. A resume replays, in the order of their ids, what
arrived after the client's last event when this node has it, else the events after its
id.
Webhooks (`services/webhooks/`) take this node's own events only (`local`): each event is
published by exactly one node, so it is handed to the webhooks' outbox exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Events kept for resuming, and events a subscriber may have waiting.
KEPT = 10_000
QUEUE = 1_000

#: Every event type published: the messages' (`handlers/dispatcher.py` EVENTS), the
#: connection's and the commands'. Webhook subscriptions may only name these.
EVENT_TYPES = frozenset(
    {
        "connected",
        "disconnected",
        "boot",
        "status",
        "transactionStarted",
        "transactionStopped",
        "meterValues",
        "firmwareStatus",
        "diagnosticsStatus",
        "logStatus",
        "securityEvent",
        "commandAnswered",
        "commandFailed",
    }
)


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    charge_point_id: str | None
    time: float
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The event as integrators read it, in the SSE stream and in webhook bodies alike."""
        return {
            "id": self.id,
            "type": self.type,
            "chargePointId": self.charge_point_id,
            "time": self.time,
            **self.data,
        }


class Subscription:
    def __init__(self, bus: EventBus, types: frozenset[str] | None, charge_point_id: str | None):
        self.bus = bus
        self.types = types
        self.charge_point_id = charge_point_id
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE)

    def wants(self, event: Event) -> bool:
        return (self.types is None or event.type in self.types) and (
            self.charge_point_id is None or event.charge_point_id == self.charge_point_id
        )

    def close(self) -> None:
        self.bus.subscriptions.discard(self)


class EventBus:
    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()
        self.kept: deque[Event] | None = None
        #: Set by the cluster: hands this node's events to the others.
        self.forward: Callable[[Event], None] | None = None
        #: Set by the cluster: told when this node gets its first subscriber.
        self.on_listened: Callable[[], None] | None = None
        #: Set by the webhooks while any is enabled: takes the events this node publishes,
        #: not those forwarded from other nodes.
        self.local: Callable[[Event], None] | None = None
        self._last_id = 0

    @property
    def listened(self) -> bool:
        """Whether anyone may want events (else callers on hot paths skip building them)."""
        return self.kept is not None or self.forward is not None or self.local is not None

    def publish(self, type: str, charge_point_id: str | None, **data: Any) -> None:
        if self.kept is None and self.forward is None and self.local is None:
            return  # nobody has ever listened here, no other node does, and no webhook
        at = time.time()
        self._last_id = max(self._last_id + 1, int(at * 1_000_000))
        event = Event(self._last_id, type, charge_point_id, at, data)
        self.deliver(event)
        if self.forward is not None:
            self.forward(event)
        if self.local is not None:
            self.local(event)

    def deliver(self, event: Event) -> None:
        """An event of this node or, in a cluster, of another one."""
        if self.kept is None:
            return
        self.kept.append(event)
        for subscription in list(self.subscriptions):
            if subscription.wants(event):
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:  # too slow: dropped, it resumes on reconnect
                    subscription.close()
                    subscription.queue = asyncio.Queue(1)
                    subscription.queue.put_nowait(None)

    def subscribe(
        self, types: Iterable[str] | None = None, charge_point_id: str | None = None
    ) -> Subscription:
        self.keep()
        subscription = Subscription(self, frozenset(types) if types else None, charge_point_id)
        first = not self.subscriptions
        self.subscriptions.add(subscription)
        if first and self.on_listened is not None:
            self.on_listened()
        return subscription

    def keep(self) -> None:
        """Start keeping events for resuming (from now on)."""
        if self.kept is None:
            self.kept = deque(maxlen=KEPT)

    def since(self, last_id: int, subscription: Subscription) -> list[Event]:
        """The kept events after `last_id` that the subscription wants (to resume)."""
        kept = list(self.kept or ())
        after = next((i + 1 for i, e in enumerate(kept) if e.id == last_id), None)
        if after is None:
            missed = [e for e in kept if e.id > last_id and subscription.wants(e)]
        else:
            missed = [e for e in kept[after:] if subscription.wants(e)]
        # Another node's events come a batch late: replay them all in the order they
        # happened (ids are times).
        return sorted(missed, key=lambda event: event.id)
