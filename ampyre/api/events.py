"""`GET /api/v1/events`: server-sent events, one per change, resumable.

`?chargePointId=` and `?type=` (repeatable) filter; a client that reconnects with
`Last-Event-ID` first gets what it missed (of the recent events kept). A comment line
every 15 s keeps proxies from closing a quiet stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from ampyre.api.dependencies import get_csms
from ampyre.services.central_system import CentralSystem
from ampyre.services.events import Event, Subscription

router = APIRouter(tags=["events"])

KEEPALIVE = 15.0


def _frame(event: Event) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (
        event.id,
        event.type.encode(),
        orjson.dumps(event.as_json()),
    )


@router.get(
    "/events",
    summary="Server-sent events: connects, boots, status, transactions, meter values, "
    "commands, remote starts (text/event-stream)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One `id:`/`event:`/`data:` frame per event (data: JSON)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def events(
    request: Request,
    chargePointId: str | None = Query(None, description="Only this charge point's events"),
    type: list[str] | None = Query(None, description="Only these event types"),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
    csms: CentralSystem = Depends(get_csms),
) -> StreamingResponse:
    subscription = csms.events.subscribe(type, chargePointId)
    missed: list[Event] = []
    if last_event_id is not None and last_event_id.strip().isdigit():
        missed = csms.events.since(int(last_event_id), subscription)
    return StreamingResponse(
        _stream(request, subscription, missed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(
    request: Request, subscription: Subscription, missed: list[Event]
) -> AsyncIterator[bytes]:
    try:
        yield b": ampyre events\n\n"
        for event in missed:
            yield _frame(event)
        while True:
            try:
                next_event: Event | None = await asyncio.wait_for(
                    subscription.queue.get(), KEEPALIVE
                )
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield b": keepalive\n\n"
                continue
            if next_event is None:
                return  # too slow: dropped; the client reconnects and resumes
            yield _frame(next_event)
    finally:
        subscription.close()
