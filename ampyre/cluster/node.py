"""This node's part in the cluster: its claims, its listener, its upkeep.

`ClusterNode.start` connects to Redis, subscribes to the presence broadcasts and to the
node's own channel, and keeps three jobs going: renewing the claims of the charge points
connected here, broadcasting their lastSeen times, and rebuilding the presence mirror.
When Redis goes away the node keeps serving the charge points it holds; it reconnects by
itself and puts its claims back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ampyre.cluster.answers import RedisAnswers
from ampyre.cluster.bus import NodeBus, run_call
from ampyre.cluster.gateway import ClusterGateway
from ampyre.cluster.lease import Lease
from ampyre.cluster.locks import RedisLocks
from ampyre.cluster.presence import RENEW_INTERVAL, RESYNC_INTERVAL, Presence
from ampyre.handlers.gateway import ConnectionGateway
from ampyre.services.events import Event, EventBus
from ampyre.services.message_log import MessageLog
from ampyre.transport.application import Application
from ampyre.transport.registry import CLOSE_REPLACED, ConnectionRegistry

log = logging.getLogger("ampyre.cluster")

#: How often the lastSeen times of this node's charge points are broadcast (s).
SEEN_INTERVAL = 0.25
#: How often a node says whether it has event listeners, and how long that holds (s).
LISTENING_CHECK = 1.0
LISTENING_TTL = 5
#: How long this node's live events are gathered before they go to the others (s).
EVENTS_FLUSH = 0.05
#: How long a read of the message log waits for the holding node's frames (s).
MESSAGE_LOG_FLUSH_TIMEOUT = 1.0
#: Longest wait between attempts to reach Redis again (s).
MAX_RETRY_DELAY = 5.0


class ClusterNode:
    def __init__(
        self,
        redis_url: str,
        namespace: str,
        registry: ConnectionRegistry,
        local: ConnectionGateway,
        *,
        group: str | None = None,
    ) -> None:
        self.node_id = uuid.uuid4().hex[:12]
        self.redis: Redis = Redis.from_url(
            redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5
        )
        self.registry = registry
        self.local = local
        self.presence = Presence(self.redis, namespace, self.node_id)
        self.bus = NodeBus(self.redis, namespace, self.node_id, self._serve)
        self.gateway = ClusterGateway(local, self.presence, self.bus)
        self.answers = RedisAnswers(self.redis, namespace)
        self.locks = RedisLocks(self.redis, namespace)
        #: The workers of one `ampyre serve --workers N` form a group: they answer for
        #: the whole server together where a scrape or a question reaches one of them.
        self.group_channel = f"{namespace}:group:{group}" if group else None
        if self.group_channel:
            self.bus.channels.add(self.group_channel)
        self._questions: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {}
        #: Every node listens here too: a question for the whole cluster.
        self.all_nodes_channel = f"{namespace}:nodes"
        self.bus.channels.add(self.all_nodes_channel)
        self.sweep_lease_key = f"{namespace}:lease:sweep"
        self.events_channel = f"{namespace}:events"
        self.listening_key = f"{namespace}:listening"
        self.events: EventBus | None = None
        self.message_log: MessageLog | None = None
        self._outgoing_events: list[dict[str, Any]] = []
        self._events_flush: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task[None]] = []
        #: The claim or release last started per charge point: they run in order.
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._seen_since: datetime | None = None
        self._event_tasks: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()

    def share_events(self, bus: EventBus) -> None:
        """This node's live events go to the other nodes while one of them has a listener
        (checked every second: `_share_while_listened`); theirs come into `bus`."""
        self.events = bus
        bus.on_listened = self._listened

    def _listened(self) -> None:
        """This node's first subscriber: the others start forwarding now, not at their
        next check, so the subscriber misses none of the events that follow."""
        task = asyncio.create_task(self._say_listening())
        self._event_tasks.add(task)
        task.add_done_callback(self._event_tasks.discard)

    async def _say_listening(self) -> None:
        try:
            await self._mark_listening()
            await self.redis.publish(
                self.events_channel, orjson.dumps({"node": self.node_id, "listening": True})
            )
        except RedisError as exc:
            log.debug("could not say this node listens: %s", exc)

    async def _mark_listening(self) -> None:
        await self.redis.zadd(self.listening_key, {self.node_id: time.time() + LISTENING_TTL})

    def share_message_log(self, message_log: MessageLog) -> None:
        """Each node writes the frames it sees; a read on any node first asks the node
        holding the charge point to write out those still waiting, so every node answers
        with the same frames."""
        self.message_log = message_log
        message_log.flush_elsewhere = self._flush_message_log_of

    async def _flush_message_log_of(self, charge_point_id: str) -> None:
        try:
            node = await self.presence.holder(charge_point_id)
            if node == self.node_id:
                return
            message = {"kind": "flushMessageLog", "chargePointId": charge_point_id}
            if node is None:
                # Gone from every node: its last frames may still wait on the one it left.
                await self.bus.gather(self.all_nodes_channel, message, MESSAGE_LOG_FLUSH_TIMEOUT)
                return
            await self.bus.request(node, message, MESSAGE_LOG_FLUSH_TIMEOUT)
        except Exception as exc:  # the read goes on with what the database has
            log.debug("message log of %s: the holding node did not flush: %s", charge_point_id, exc)

    async def _share_while_listened(self) -> None:
        """Say whether this node has event listeners, and forward this node's events only
        while another node has: building and sending every message's event to Redis for
        nobody would cost the message path a good part of its speed. The listening nodes
        are one sorted set, scored by when their word runs out: two commands a second."""
        bus = self.events
        if bus is None:
            return
        if bus.subscriptions:
            await self._mark_listening()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(self.listening_key, "-inf", time.time())
            pipe.zrange(self.listening_key, 0, -1)
            _, listening = await pipe.execute()
        self._forwarding(any(str(node) != self.node_id for node in listening))

    def _forwarding(self, on: bool) -> None:
        """Forward this node's events while another node listens; meanwhile keep every
        event here too, so a client resuming on this node finds them."""
        bus = self.events
        if bus is None:
            return
        bus.forward = self._forward_event if on else None
        if on:
            bus.keep()

    def _forward_event(self, event: Event) -> None:
        self._outgoing_events.append(
            {
                "id": event.id,
                "type": event.type,
                "chargePointId": event.charge_point_id,
                "time": event.time,
                "data": event.data,
            }
        )
        if self._events_flush is None:
            loop = asyncio.get_running_loop()
            self._events_flush = loop.call_later(EVENTS_FLUSH, self._flush_events)

    def _flush_events(self) -> None:
        self._events_flush = None
        batch, self._outgoing_events = self._outgoing_events, []
        message = orjson.dumps({"node": self.node_id, "events": batch})
        task = asyncio.create_task(self._publish_events(message))
        self._event_tasks.add(task)
        task.add_done_callback(self._event_tasks.discard)

    async def _publish_events(self, message: bytes) -> None:
        try:
            await self.redis.publish(self.events_channel, message)
        except RedisError as exc:
            log.debug("events not shared with the other nodes: %s", exc)

    def _receive_events(self, data: str) -> None:
        message = orjson.loads(data)
        if self.events is None or message.get("node") == self.node_id:
            return
        if message.get("listening"):
            self._forwarding(True)
            return
        for item in message.get("events", ()):
            self.events.deliver(
                Event(item["id"], item["type"], item["chargePointId"], item["time"], item["data"])
            )

    def answer(self, kind: str, reply: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        """Answer the group's questions of `kind` (e.g. "metrics") with `reply`."""
        self._questions[kind] = reply

    async def ask_group(self, kind: str, timeout: float) -> list[dict[str, Any]]:
        """The replies of the other workers of this server (none without a group)."""
        if self.group_channel is None:
            return []
        return await self.bus.gather(self.group_channel, {"kind": kind}, timeout)

    def lease(self, name: str, ttl: float) -> Lease:
        return Lease(self.redis, f"{self.presence.namespace}:lease:{name}", self.node_id, ttl)

    async def start(self) -> None:
        await self.redis.ping()  # a wrong URL is a start-up error, not a silent retry loop
        await self.presence.resync()
        self._tasks = [
            asyncio.create_task(self._listen(), name="cluster-listen"),
            asyncio.create_task(self._upkeep(), name="cluster-upkeep"),
        ]
        # Commands sent before the node hears its own channel could not get their replies.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)
        log.info("cluster node %s joined (%s)", self.node_id, self.presence.namespace)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in [*self._tasks, *self._pending.values()]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.answers.close()
        with contextlib.suppress(RedisError):
            for charge_point_id in self.registry.connected_ids():
                await self.presence.release(charge_point_id)
        await self.redis.aclose()

    # -- connection hooks -------------------------------------------------------------------

    def connected(self, charge_point_id: str) -> None:
        self._in_order(charge_point_id, self._claim(charge_point_id))

    def disconnected(self, charge_point_id: str, last_seen: datetime) -> None:
        self._in_order(charge_point_id, self.presence.release(charge_point_id, last_seen))

    async def _claim(self, charge_point_id: str) -> None:
        previous = await self.presence.claim(charge_point_id)
        if previous is not None:
            log.info(
                "[%s] connected here: node %s closes its connection", charge_point_id, previous
            )
            await self.bus.tell(previous, {"kind": "replaced", "chargePointId": charge_point_id})

    def _in_order(self, charge_point_id: str, step: Any) -> None:
        before = self._pending.get(charge_point_id)

        async def run() -> None:
            if before is not None:
                with contextlib.suppress(Exception):
                    await before
            try:
                await step
            except RedisError as exc:
                # The upkeep puts the claims back once Redis returns.
                log.warning("[%s] presence not updated: %s", charge_point_id, exc)
            finally:
                if self._pending.get(charge_point_id) is task:
                    del self._pending[charge_point_id]

        task = asyncio.create_task(run())
        self._pending[charge_point_id] = task

    # -- requests from other nodes ----------------------------------------------------------

    async def _serve(self, message: dict[str, Any]) -> dict[str, Any]:
        kind, charge_point_id = message.get("kind"), str(message.get("chargePointId"))
        question = self._questions.get(str(kind))
        if question is not None:
            return await question()
        if kind == "call":
            return await run_call(
                self.local.call(
                    charge_point_id, message["action"], message["payload"], message["timeout"]
                )
            )
        if kind == "replaced":
            await self.registry.disconnect(
                charge_point_id, "replaced by a new connection on another node", CLOSE_REPLACED
            )
        elif kind == "disconnect":
            await self.registry.disconnect(charge_point_id, str(message.get("reason", "")))
        elif kind == "flushMessageLog" and self.message_log is not None:
            await self.message_log.flush()
        return {}

    # -- background jobs --------------------------------------------------------------------

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(
                    self.presence.channel, self.events_channel, *self.bus.channels
                )
                await self._restore()
                self.bus.listening = True
                self._subscribed.set()
                delay = 0.5
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message["type"] != "message":
                        continue
                    channel = message["channel"]
                    if channel in self.bus.channels:
                        self.bus.received(message["data"])
                    elif channel == self.events_channel:
                        self._receive_events(message["data"])
                    else:
                        self.presence.apply(message["data"])
            except (RedisError, OSError) as exc:
                log.warning("cluster: Redis unreachable (%s); retrying in %.1f s", exc, delay)
            finally:
                self.bus.listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)

    async def _restore(self) -> None:
        """After (re)subscribing: put this node's claims back and rebuild the mirror."""
        await self.presence.renew(self.registry.connected_ids())
        await self.presence.resync()

    async def _upkeep(self) -> None:
        loop = asyncio.get_running_loop()
        next_renew = next_resync = next_listen = loop.time()
        while True:
            await asyncio.sleep(SEEN_INTERVAL)
            try:
                await self._announce_seen()
                if loop.time() >= next_listen:
                    next_listen = loop.time() + LISTENING_CHECK
                    await self._share_while_listened()
                if loop.time() >= next_renew:
                    next_renew = loop.time() + RENEW_INTERVAL
                    await self.presence.renew(self.registry.connected_ids())
                if loop.time() >= next_resync:
                    next_resync = loop.time() + RESYNC_INTERVAL
                    await self.presence.resync()
            except (RedisError, OSError) as exc:
                log.debug("cluster upkeep skipped: %s", exc)

    async def _announce_seen(self) -> None:
        since = self._seen_since
        seen = {
            connection.charge_point_id: connection.last_activity
            for connection in self.registry.all()
            if not connection.closed and (since is None or connection.last_activity > since)
        }
        if seen:
            self._seen_since = max(seen.values())
        await self.presence.announce_seen(seen)


class ClusterApplication:
    """The CSMS application plus the cluster's claims on connect and disconnect."""

    def __init__(self, inner: Application[Any], node: ClusterNode) -> None:
        self.inner = inner
        self.node = node
        # Admission and sessions are the inner application's, unchanged.
        self.admit = inner.admit
        self.open_session = inner.open_session

    def connected(self, identity: str, at: datetime) -> None:
        self.inner.connected(identity, at)
        self.node.connected(identity)

    def disconnected(self, identity: str, at: datetime) -> None:
        self.inner.disconnected(identity, at)
        self.node.disconnected(identity, at)
