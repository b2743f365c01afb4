"""Request dependencies: the Central System, operator authentication and roles, paging."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from ampyre.api.serializers.base import CallError, Error
from ampyre.services import access
from ampyre.services.access import Role
from ampyre.services.accounts import Principal, configured_principal
from ampyre.services.central_system import CentralSystem

#: The web console's session cookie (`api/sessions.py`), and the header its changes carry.
SESSION_COOKIE = "ampyre_session"
CONSOLE_HEADER = "ampyre-console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="The operator API token")


def get_csms(request: Request) -> CentralSystem:
    csms: CentralSystem = request.app.state.csms
    return csms


def configured_token(request: Request) -> str | None:
    """The digest of the server's `--api-token`, if it was started with one."""
    digest: str | None = getattr(request.app.state, "configured_token", None)
    return digest


async def authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Principal:
    """Who the request acts as, from its bearer token: an account's token, or the server's
    `--api-token` (an admin); else from the console's session cookie (a sign-in's token).
    401 without a valid (known, unrevoked, unexpired) token.

    The principal is kept in `request.state.principal` for the audit log."""
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known
    if credentials is not None and credentials.scheme.lower() == "bearer":
        secret = credentials.credentials
    elif SESSION_COOKIE in request.cookies:
        secret = request.cookies[SESSION_COOKIE]
        if request.method not in SAFE_METHODS and (
            request.headers.get("x-requested-with") != CONSOLE_HEADER
        ):
            raise HTTPException(
                403,
                f"A change made with the console's session cookie needs the header "
                f"X-Requested-With: {CONSOLE_HEADER} (protection against cross-site "
                "requests); API clients send Authorization: Bearer TOKEN",
            )
    else:
        raise HTTPException(
            401,
            "Missing bearer token: send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    configured = configured_token(request)
    principal: Principal | None = None
    if configured is not None and secrets.compare_digest(
        access.token_hash(secret).encode(), configured.encode()
    ):
        principal = configured_principal()
    else:
        principal = await get_csms(request).accounts.authenticate(secret)
    if principal is None:
        raise HTTPException(
            401,
            "Invalid API token (unknown, revoked or expired)",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.principal = principal
    return principal


#: Kept for routers that only need a valid token of any account (any role).
require_operator = authenticate


def allow(*, read: Role = Role.VIEWER, write: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the request needs a valid token whose account has `read` (GET, HEAD)
    or `write` (any other method); else 401 or 403."""

    async def check_role(
        request: Request, principal: Principal = Depends(authenticate)
    ) -> Principal:
        required = access.required_role(request.method, read=read, write=write)
        if not principal.may(required):
            raise forbidden(principal, required, f"{request.method} {request.url.path}")
        return principal

    check_role.__name__ = f"allow_{read}_{write}"
    return check_role


def forbidden(principal: Principal, required: str, what: str) -> HTTPException:
    return HTTPException(
        403,
        f"{what} needs the {required} role; account {principal.name!r} is {principal.role}",
    )


class Page:
    """`limit` and `offset` of a list request."""

    def __init__(
        self,
        limit: int = Query(50, ge=1, le=1000, description="Items per page"),
        offset: int = Query(0, ge=0, description="Items to skip"),
    ) -> None:
        self.limit = limit
        self.offset = offset


def call_timeout(
    request: Request,
    timeout: float | None = Query(
        None,
        gt=0,
        le=3600,
        description="Seconds to wait for the charge point's answer (for each answer, "
        "when there are several). Default: the server's --call-timeout.",
    ),
) -> float:
    """How long a command waits for the charge point: `?timeout=`, else `--call-timeout`.

    The one place a REST request's call timeout is worked out: every endpoint that waits
    for a charge point takes it with `Depends(call_timeout)`."""
    if timeout is not None:
        return timeout
    return float(request.app.state.settings.call_timeout)


def sent_responses(
    conflict: str,
    *,
    callerror: str = "The charge point answered CALLERROR",
    no_answer: str = "The charge point did not answer in time",
    conflict_model: type[BaseModel] = Error,
    **more: str,
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of an endpoint that sends the charge point a CALL: 409
    (`conflict`, its body a `conflict_model`), 502 CALLERROR, 504 no answer in time, and
    `more` by status code (e.g. `_201="..."`)."""
    responses: dict[int | str, dict[str, Any]] = {
        int(code.lstrip("_")): {"description": text} for code, text in more.items()
    }
    responses[409] = {"description": conflict, "model": conflict_model}
    responses[502] = {"description": callerror, "model": CallError}
    responses[504] = {"description": no_answer, "model": Error}
    return responses
