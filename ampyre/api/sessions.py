"""`/session`: signing in to the web console with an account's name and password.

A sign-in makes a token of the account (`AccountService.sign_in`) and sets its secret as
a cookie the page's scripts cannot read (HttpOnly), sent only to this site (SameSite=
Strict) and only over TLS when the server serves TLS (Secure). Requests authenticated by
the cookie that change something must also carry `X-Requested-With: ampyre-console`, a
header another site's page cannot send here without a CORS preflight that Ampyre never
allows: with SameSite, two defences against cross-site request forgery
(`dependencies.authenticate`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api.dependencies import SESSION_COOKIE, authenticate, get_csms
from ampyre.services.accounts import Principal
from ampyre.services.central_system import CentralSystem

router = APIRouter(prefix="/session", tags=["accounts"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="The account's name")
    password: str = Field(min_length=1, max_length=1024)


class SessionView(BaseModel):
    """Who the request acts as."""

    account: str
    role: str
    expiresAt: datetime | None = Field(None, description="When a console sign-in ends")


@router.post(
    "",
    summary="Sign in to the console: sets the session cookie",
    response_model=SessionView,
    responses={
        401: {"description": "Wrong account name or password"},
        429: {"description": "Too many failed sign-ins lately"},
    },
)
async def sign_in(
    body: SignIn,
    request: Request,
    response: Response,
    csms: CentralSystem = Depends(get_csms),
) -> SessionView:
    hours = float(request.app.state.settings.console_session_hours)
    token, secret, account = await csms.accounts.sign_in(
        body.name,
        body.password,
        address=request.client.host if request.client else None,
        lifetime=timedelta(hours=hours),
    )
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return SessionView(account=account.name, role=account.role, expiresAt=token.expires_at)


@router.get("", summary="Who this request acts as", response_model=SessionView)
async def current(principal: Principal = Depends(authenticate)) -> SessionView:
    return SessionView(account=principal.name, role=principal.role, expiresAt=None)


@router.delete(
    "", summary="Sign out: ends a console sign-in and clears the cookie", status_code=204
)
async def sign_out(
    response: Response,
    principal: Principal = Depends(authenticate),
    csms: CentralSystem = Depends(get_csms),
) -> Response:
    await csms.accounts.sign_out(principal)
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
