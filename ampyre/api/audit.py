"""The audit log: written for every changing request by `AuditMiddleware`, read by
admins at `GET /audit-log`. There is no way to change or remove an entry.

Every request to `/api/v1` other than GET, HEAD and OPTIONS that got as far as a valid
token (refused with 403 or not) becomes one entry: the account and token, the method and
path, the target (the route's first path parameter: a charge point, an id tag, an
account, ...), the route's summary, the JSON body with secrets redacted, the answer's
status and the client's address. The entry is written before the answer leaves, so it can
be read by the time the answer arrives.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ampyre.api.dependencies import Page, get_csms
from ampyre.api.serializers import Items, page
from ampyre.api.serializers import accounts as shown
from ampyre.api.serializers.accounts import AuditEntry
from ampyre.api.types import UTCTimestamp
from ampyre.services.access import READ_METHODS
from ampyre.services.accounts import Principal
from ampyre.services.audit import AuditRecord, body_excerpt, body_target
from ampyre.services.central_system import CentralSystem

log = logging.getLogger("ampyre.audit")

router = APIRouter(tags=["audit log"])

API_PREFIX = "/api/v1/"
#: How much of a JSON body is read for the entry (longer ones are not kept).
MAX_BODY = 64 * 1024


@router.get("/audit-log", summary="Who changed what, newest first (admin)")
async def audit_log(
    account: str | None = Query(None, max_length=64, description="Only this account's"),
    since: UTCTimestamp | None = Query(None, description="From this time on (inclusive)"),
    until: UTCTimestamp | None = Query(None, description="Before this time"),
    page_: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[AuditEntry]:
    rows, total = await csms.audit.page(
        account=account, since=since, until=until, limit=page_.limit, offset=page_.offset
    )
    return page([shown.audit_entry(r) for r in rows], total)


class AuditMiddleware:
    """Writes the audit entry of each changing `/api/v1` request (see the module's doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or not scope["path"].startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type")
        keep = "json" in content_type
        body = bytearray()
        recorded = False

        async def receive_and_keep() -> Message:
            message = await receive()
            if keep and message["type"] == "http.request" and len(body) <= MAX_BODY:
                body.extend(message.get("body", b"")[: MAX_BODY + 1 - len(body)])
            return message

        async def record_then_send(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                await _record(scope, message["status"], bytes(body), content_type)
            await send(message)

        try:
            await self.app(scope, receive_and_keep, record_then_send)
        except Exception:
            if not recorded:
                recorded = True
                await _record(scope, 500, bytes(body), content_type)
            raise


async def _record(scope: Scope, status: int, body: bytes, content_type: str) -> None:
    principal: Principal | None = scope.get("state", {}).get("principal")
    if principal is None:
        return  # no valid token: nobody to name (401s are not audited)
    route = scope.get("route")
    params: dict[str, Any] = scope.get("path_params") or {}
    summary = getattr(route, "summary", None) or getattr(route, "name", None) or ""
    if "action" in params:
        summary = f"{params['action']}: {summary}"
    target = next(iter(params.values()), None) if params else body_target(body, content_type)
    details = (
        "(body too long to keep)" if len(body) > MAX_BODY else body_excerpt(body, content_type)
    )
    client = scope.get("client")
    record = AuditRecord(
        account=principal.name,
        token_id=principal.token_id,
        method=scope["method"],
        path=scope["path"],
        target=None if target is None else str(target),
        summary=summary,
        status=status,
        client=client[0] if client else None,
        details=details,
    )
    try:
        await scope["app"].state.csms.audit.record(record)
    except Exception:
        log.exception("could not write the audit entry of %s %s", record.method, record.path)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""
