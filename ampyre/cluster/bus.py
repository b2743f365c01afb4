"""Requests between nodes over Redis pub/sub: a command for a charge point held elsewhere.

Each node listens on its own channel. A request names the node to reply to and an id;
the holding node runs it on its local connection and publishes the outcome back. A
request nobody receives (the node is gone) fails at once as not connected; one whose
answer does not come back in time fails as a time-out, like a silent charge point. A
node that is not subscribed to its own channel (Redis has just come back and the
listener has not resubscribed yet) sends nothing: the reply could not reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from redis.asyncio import Redis

from ampyre.services.errors import (
    ChargePointCallError,
    ChargePointTimeout,
    Conflict,
    Unavailable,
)

log = logging.getLogger("ampyre.cluster")

#: Extra time a requesting node waits beyond the command's own time-out, for the trip.
REPLY_MARGIN = 2.0

#: What the holding node does for a request: (kind, message) -> reply fields.
Serve = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class NodeBus:
    def __init__(self, redis: Redis, namespace: str, node_id: str, serve: Serve) -> None:
        self.redis = redis
        self.namespace = namespace
        self.node_id = node_id
        self.channel = self.node_channel(node_id)
        self.serve = serve
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._gatherings: dict[str, _Gathering] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: Whether this node is subscribed to its channel, set by the node's listener.
        self.listening = False
        #: The channels this node listens to for requests (its own, its group's).
        self.channels = {self.channel}

    def node_channel(self, node_id: str) -> str:
        return f"{self.namespace}:node:{node_id}"

    async def request(
        self, node_id: str, message: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        """Send a request to a node and wait for its reply fields."""
        if not self.listening:
            raise Unavailable("The cluster's Redis is unreachable: not listening for replies")
        request_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        try:
            message = {**message, "id": request_id, "replyTo": self.node_id}
            receivers = await self.redis.publish(self.node_channel(node_id), orjson.dumps(message))
            if receivers == 0:
                raise Conflict(
                    f"Charge point {message.get('chargePointId')!r} is not connected "
                    "(its node is gone)"
                )
            async with asyncio.timeout(timeout + REPLY_MARGIN):
                return await future
        except TimeoutError:
            raise ChargePointTimeout(
                f"No answer from node {node_id} within {timeout + REPLY_MARGIN:g} s"
            ) from None
        finally:
            self._replies.pop(request_id, None)

    async def gather(
        self, channel: str, message: dict[str, Any], timeout: float
    ) -> list[dict[str, Any]]:
        """Ask every other node listening on `channel` and collect the replies that come
        within `timeout` (the sender, if it listens there too, does not answer itself)."""
        if not self.listening:
            raise Unavailable("The cluster's Redis is unreachable: not listening for replies")
        request_id = uuid.uuid4().hex
        gathering = _Gathering(asyncio.get_running_loop().create_future())
        self._gatherings[request_id] = gathering
        try:
            message = {**message, "id": request_id, "replyTo": self.node_id}
            receivers = await self.redis.publish(channel, orjson.dumps(message))
            gathering.expect(receivers - 1 if self._listens_on(channel) else receivers)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await asyncio.shield(gathering.complete)
            return list(gathering.replies)
        finally:
            self._gatherings.pop(request_id, None)

    def _listens_on(self, channel: str) -> bool:
        return channel in self.channels

    async def tell(self, node_id: str, message: dict[str, Any]) -> None:
        """Send a message that wants no reply (close a replaced connection)."""
        await self.redis.publish(self.node_channel(node_id), orjson.dumps(message))

    def received(self, data: str) -> None:
        message = orjson.loads(data)
        if message.get("kind") == "reply":
            request_id = message.get("id", "")
            future = self._replies.get(request_id)
            if future is not None and not future.done():
                future.set_result(message)
            gathering = self._gatherings.get(request_id)
            if gathering is not None:
                gathering.add(message)
            return
        if message.get("replyTo") == self.node_id:
            return  # this node's own question on a channel it listens to as well
        task = asyncio.create_task(self._answer(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, message: dict[str, Any]) -> None:
        try:
            reply = await self.serve(message)
        except Exception:
            log.exception("cluster request %s failed", message.get("kind"))
            reply = {"error": "internal", "detail": "the holding node failed to run it"}
        if "replyTo" not in message:
            return
        reply.update(kind="reply", id=message["id"])
        try:
            await self.tell(message["replyTo"], reply)
        except Exception:
            log.warning("could not reply to node %s", message["replyTo"])


class _Gathering:
    """The replies to one `NodeBus.gather`, complete once as many came as were sent."""

    def __init__(self, complete: asyncio.Future[None]) -> None:
        self.complete = complete
        self.replies: list[dict[str, Any]] = []
        self.expected: int | None = None

    def expect(self, count: int) -> None:
        self.expected = count
        self._check()

    def add(self, reply: dict[str, Any]) -> None:
        self.replies.append(reply)
        self._check()

    def _check(self) -> None:
        if (
            self.expected is not None
            and len(self.replies) >= self.expected
            and not self.complete.done()
        ):
            self.complete.set_result(None)


def outcome(reply: dict[str, Any]) -> dict[str, Any]:
    """The payload of a call's reply, or the domain error it stands for."""
    error = reply.get("error")
    if error is None:
        return dict(reply["payload"])
    if error == "timeout":
        raise ChargePointTimeout(reply["detail"])
    if error == "callError":
        raise ChargePointCallError(reply["code"], reply["description"], reply["details"])
    raise Conflict(reply["detail"])


async def run_call(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """Run a call on the holding node and describe its outcome as reply fields."""
    try:
        return {"payload": await call}
    except ChargePointTimeout as exc:
        return {"error": "timeout", "detail": exc.detail}
    except ChargePointCallError as exc:
        return {
            "error": "callError",
            "code": exc.code,
            "description": exc.description,
            "details": exc.details,
        }
    except Conflict as exc:
        return {"error": "notConnected", "detail": exc.detail}
