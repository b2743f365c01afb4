"""`/accounts`, `/accounts/{name}/tokens` and `/me`: operator accounts and their API tokens.

Accounts are an admin's business; an account may also read itself, change its own
password and manage its own tokens (a token never gives more than its account's role).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ampyre.api.dependencies import Page, allow, authenticate, forbidden, get_csms
from ampyre.api.serializers import Items, page
from ampyre.api.serializers import accounts as shown
from ampyre.api.serializers.accounts import Account, ApiToken, CreatedApiToken, Me
from ampyre.api.types import UTCTimestamp
from ampyre.services.access import Role
from ampyre.services.accounts import MIN_PASSWORD_LENGTH, Principal
from ampyre.services.central_system import CentralSystem
from ampyre.services.clock import now

router = APIRouter(tags=["accounts"])

RoleName = Role
AccountName = Path(description="The account's name", max_length=64)


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: RoleName
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = None
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    disabled: bool | None = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=255)
    expiresAt: UTCTimestamp | None = Field(None, description="When the token stops working")
    expiresInDays: float | None = Field(
        None, gt=0, le=36500, description="Or: how many days from now it stops working"
    )

    @model_validator(mode="after")
    def _one_expiry(self) -> TokenCreate:
        if self.expiresAt is not None and self.expiresInDays is not None:
            raise ValueError("give expiresAt or expiresInDays, not both")
        return self


admin_only = allow(read=Role.ADMIN, write=Role.ADMIN)


async def admin_or_self(
    request: Request, name: str = AccountName, principal: Principal = Depends(authenticate)
) -> Principal:
    """An admin, or the account `name` itself; else 403 (before the body is looked at)."""
    if (principal.configured or principal.name != name) and not principal.may(Role.ADMIN):
        raise forbidden(
            principal, Role.ADMIN, f"{request.method} {request.url.path} (another account's)"
        )
    return principal


@router.get("/me", summary="The account (and token) this request is made with")
async def me(principal: Principal = Depends(authenticate)) -> Me:
    return shown.principal(principal)


@router.get(
    "/accounts", summary="List operator accounts (admin)", dependencies=[Depends(admin_only)]
)
async def list_accounts(
    page_: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[Account]:
    rows, total = await csms.accounts.page(limit=page_.limit, offset=page_.offset)
    return page([shown.account(r) for r in rows], total)


@router.post(
    "/accounts",
    status_code=201,
    summary="Create an operator account (admin)",
    dependencies=[Depends(admin_only)],
)
async def create_account(
    body: AccountCreate,
    csms: CentralSystem = Depends(get_csms),
) -> Account:
    account = await csms.accounts.create(body.name, role=body.role, password=body.password)
    return shown.account(account)


@router.get("/accounts/{name}", summary="One account (admin, or the account itself)")
async def get_account(
    name: str = AccountName,
    _: Principal = Depends(admin_or_self),
    csms: CentralSystem = Depends(get_csms),
) -> Account:
    return shown.account(await csms.accounts.get(name))


@router.patch(
    "/accounts/{name}",
    summary="Change an account's role, password or disabled flag (admin; "
    "an account may change its own password)",
    responses={409: {"description": "It would leave no enabled admin"}},
)
async def update_account(
    body: AccountUpdate,
    name: str = AccountName,
    principal: Principal = Depends(admin_or_self),
    csms: CentralSystem = Depends(get_csms),
) -> Account:
    changes = body.model_dump(exclude_unset=True)
    if set(changes) - {"password"} and not principal.may(Role.ADMIN):
        raise forbidden(principal, Role.ADMIN, "Changing an account's role or disabled flag")
    return shown.account(await csms.accounts.update(name, changes))


@router.delete(
    "/accounts/{name}",
    status_code=204,
    summary="Remove an account and its tokens (admin)",
    dependencies=[Depends(admin_only)],
    responses={409: {"description": "It is the last enabled admin"}},
)
async def delete_account(
    name: str = AccountName,
    csms: CentralSystem = Depends(get_csms),
) -> Response:
    await csms.accounts.delete(name)
    return Response(status_code=204)


@router.get("/accounts/{name}/tokens", summary="An account's API tokens (no secrets)")
async def list_tokens(
    name: str = AccountName,
    page_: Page = Depends(),
    _: Principal = Depends(admin_or_self),
    csms: CentralSystem = Depends(get_csms),
) -> Items[ApiToken]:
    rows, total = await csms.accounts.tokens(name, limit=page_.limit, offset=page_.offset)
    return page([shown.api_token(r) for r in rows], total)


@router.post(
    "/accounts/{name}/tokens",
    status_code=201,
    summary="Create an API token: the answer's `token` is the only time it is shown",
)
async def create_token(
    body: TokenCreate,
    name: str = AccountName,
    _: Principal = Depends(admin_or_self),
    csms: CentralSystem = Depends(get_csms),
) -> CreatedApiToken:
    expires_at = body.expiresAt
    if body.expiresInDays is not None:
        expires_at = now() + timedelta(days=body.expiresInDays)
    token, secret = await csms.accounts.create_token(
        name, expires_at=expires_at, description=body.description
    )
    return shown.created_api_token(token, secret)


@router.delete(
    "/accounts/{name}/tokens/{token_id}",
    status_code=204,
    summary="Revoke an API token (it is a 401 from then on)",
)
async def revoke_token(
    token_id: int = Path(ge=1, le=2**63 - 1),
    name: str = AccountName,
    _: Principal = Depends(admin_or_self),
    csms: CentralSystem = Depends(get_csms),
) -> Response:
    await csms.accounts.revoke_token(name, token_id)
    return Response(status_code=204)
