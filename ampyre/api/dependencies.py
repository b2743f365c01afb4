"""Request dependencies: the Central System, operator authentication and paging."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ampyre.services.central_system import CentralSystem

_bearer = HTTPBearer(auto_error=False, description="The operator API token")


def get_csms(request: Request) -> CentralSystem:
    csms: CentralSystem = request.app.state.csms
    return csms


async def require_operator(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> None:
    token: str = request.app.state.api_token
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "Missing bearer token: send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(401, "Invalid API token", headers={"WWW-Authenticate": "Bearer"})


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
    **more: str,
) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of an endpoint that sends the charge point a CALL: 409
    (`conflict`), 502 CALLERROR, 504 no answer in time, and `more` by status code
    (e.g. `_201="..."`)."""
    responses: dict[int | str, dict[str, Any]] = {
        int(code.lstrip("_")): {"description": text} for code, text in more.items()
    }
    responses[409] = {"description": conflict}
    responses[502] = {"description": callerror}
    responses[504] = {"description": no_answer}
    return responses
