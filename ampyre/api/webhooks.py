"""`/webhooks`: subscriptions that POST live events to integrators' URLs, and what became
of each delivery (docs/webhooks.md). Reading needs an operator, changing an admin."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from ampyre.api.dependencies import Page, get_csms
from ampyre.api.serializers import Items, page
from ampyre.api.serializers import webhooks as shown
from ampyre.services.central_system import CentralSystem

router = APIRouter(tags=["webhooks"])

#: http or https only, at most 2048 characters.
WebhookUrl = Annotated[
    AnyHttpUrl, UrlConstraints(max_length=2048, allowed_schemes=["http", "https"])
]
WebhookId = Path(ge=1, le=2**63 - 1, description="The webhook's id")
EventTypes: Any = Field(
    default_factory=list,
    max_length=64,
    description="The event types to send (those of GET /events); empty: all",
)
Secret = Field(
    None,
    min_length=16,
    max_length=255,
    description="The HMAC-SHA256 key of the signatures. Default: generated. Shown only in "
    "the answer that creates the webhook.",
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl
    eventTypes: list[str] = EventTypes
    chargePointId: str | None = Field(
        None, min_length=1, max_length=255, description="Only this charge point's events"
    )
    secret: str | None = Secret
    enabled: bool = True
    description: str | None = Field(None, max_length=255)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    eventTypes: list[str] | None = Field(None, max_length=64)
    chargePointId: str | None = Field(None, min_length=1, max_length=255)
    secret: str | None = Secret
    enabled: bool | None = None
    description: str | None = Field(None, max_length=255)


_FIELDS = {
    "url": "url",
    "eventTypes": "event_types",
    "chargePointId": "charge_point_id",
    "secret": "secret",
    "enabled": "enabled",
    "description": "description",
}


@router.post(
    "/webhooks",
    status_code=201,
    summary="Subscribe a URL to live events (admin): the answer's `secret` is the only "
    "time it is shown",
)
async def create_webhook(
    body: WebhookCreate, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    webhook, secret = await csms.webhooks.create(
        str(body.url),
        event_types=body.eventTypes,
        charge_point_id=body.chargePointId,
        secret=body.secret,
        enabled=body.enabled,
        description=body.description,
    )
    return shown.webhook(webhook, secret=secret)


@router.get("/webhooks", summary="List webhook subscriptions (no secrets)")
async def list_webhooks(
    page_: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> Items[dict[str, Any]]:
    rows, total = await csms.webhooks.page(limit=page_.limit, offset=page_.offset)
    return page([shown.webhook(row) for row in rows], total)


@router.get("/webhooks/{webhook_id}", summary="One webhook subscription (no secret)")
async def get_webhook(
    webhook_id: int = WebhookId, csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    return shown.webhook(await csms.webhooks.get(webhook_id))


@router.patch(
    "/webhooks/{webhook_id}",
    summary="Change a webhook's URL, event types, charge point, secret, enabled flag or "
    "description (admin)",
)
async def update_webhook(
    body: WebhookUpdate,
    webhook_id: int = WebhookId,
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    given = body.model_dump(exclude_unset=True)
    changes = {_FIELDS[name]: value for name, value in given.items()}
    if "url" in changes:
        if changes["url"] is None:
            changes.pop("url")
        else:
            changes["url"] = str(changes["url"])
    if changes.get("enabled", True) is None:
        changes.pop("enabled")
    return shown.webhook(await csms.webhooks.update(webhook_id, changes))


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    summary="Remove a webhook and its deliveries (admin); undelivered events are not sent",
)
async def delete_webhook(
    webhook_id: int = WebhookId, csms: CentralSystem = Depends(get_csms)
) -> Response:
    await csms.webhooks.delete(webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="A webhook's deliveries, newest event first: state, attempts (each with its "
    "status code or error) and the next attempt's time",
)
async def list_deliveries(
    webhook_id: int = WebhookId,
    state: Literal["pending", "delivered", "failed", "dropped"] | None = Query(
        None, description="Only deliveries in this state"
    ),
    page_: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[dict[str, Any]]:
    rows, total = await csms.webhooks.deliveries(
        webhook_id, limit=page_.limit, offset=page_.offset, state=state
    )
    return page([shown.delivery(row) for row in rows], total)
