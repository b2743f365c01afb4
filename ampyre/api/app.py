"""The REST API application: routers and the roles they need, error mapping."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ampyre.api import (
    accounts,
    audit,
    certificates,
    charge_points,
    commands,
    dashboard,
    events,
    id_tags,
    local_lists,
    messages,
    reservations,
    sessions,
    smart_charging,
    transactions,
    triggers,
    webhooks,
)
from ampyre.api.dependencies import allow, authenticate, get_csms
from ampyre.api.firmware import diagnostics, images, logs, rollouts, updates
from ampyre.services.access import Role
from ampyre.services.central_system import CentralSystem
from ampyre.services.errors import (
    ChargePointCallError,
    ChargePointTimeout,
    Conflict,
    DomainError,
    InvalidRequest,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)


class Health(BaseModel):
    status: str


class Unready(Health):
    detail: str


_STATUS = {
    Unauthenticated: 401,
    TooManyAttempts: 429,
    NotFound: 404,
    Conflict: 409,
    InvalidRequest: 422,
    Unavailable: 503,
    ChargePointTimeout: 504,
}


#: The one place the REST API is mapped to roles: each router, the role its reads (GET,
#: HEAD) need and the role its changes need. A viewer reads; an operator also sends
#: commands and manages what charge points are told; an admin also manages charge points,
#: accounts, tokens, firmware images, rollouts and charge point certificates.
#: (docs/operators.md shows this table.)
ROLES: list[tuple[APIRouter, Role, Role]] = [
    (charge_points.router, Role.VIEWER, Role.ADMIN),
    (messages.router, Role.VIEWER, Role.ADMIN),
    (commands.router, Role.VIEWER, Role.OPERATOR),
    (id_tags.router, Role.VIEWER, Role.OPERATOR),
    (transactions.router, Role.VIEWER, Role.OPERATOR),
    (reservations.router, Role.VIEWER, Role.OPERATOR),
    (local_lists.router, Role.VIEWER, Role.OPERATOR),
    (smart_charging.router, Role.VIEWER, Role.OPERATOR),
    (triggers.router, Role.VIEWER, Role.OPERATOR),
    (updates.router, Role.VIEWER, Role.OPERATOR),
    (diagnostics.router, Role.VIEWER, Role.OPERATOR),
    (logs.router, Role.VIEWER, Role.OPERATOR),
    (images.router, Role.VIEWER, Role.ADMIN),
    (rollouts.router, Role.VIEWER, Role.ADMIN),
    (certificates.router, Role.VIEWER, Role.ADMIN),
    (events.router, Role.VIEWER, Role.VIEWER),
    (dashboard.router, Role.VIEWER, Role.VIEWER),
    (audit.router, Role.ADMIN, Role.ADMIN),
    (webhooks.router, Role.OPERATOR, Role.ADMIN),
]


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/health", tags=["health"], summary="Alive when this answers 200")
    async def health() -> Health:
        return Health(status="ok")

    for module_router, read, write in ROLES:
        router.include_router(module_router, dependencies=[Depends(allow(read=read, write=write))])
    # Accounts and tokens: admins, and each account for itself (the routes check).
    router.include_router(accounts.router, dependencies=[Depends(authenticate)])
    # Console sign-in: open (it is the way in); reading and ending it need the session.
    router.include_router(sessions.router)
    return router


def readiness_router() -> APIRouter:
    """`GET /ready`, beside `/metrics`: for load balancers and orchestrators, no token."""
    router = APIRouter()

    @router.get(
        "/ready",
        tags=["health"],
        summary="Ready to serve: 200 while the database answers, else 503",
        response_model=Health,
        responses={503: {"description": "The database does not answer", "model": Unready}},
    )
    async def ready(csms: CentralSystem = Depends(get_csms)) -> JSONResponse:
        if await csms.ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse(
            {"status": "unavailable", "detail": "the database does not answer"}, 503
        )

    return router


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, ChargePointCallError):
            return JSONResponse(
                {
                    "detail": exc.detail,
                    "errorCode": exc.code,
                    "errorDescription": exc.description,
                    "errorDetails": exc.details,
                },
                status_code=502,
            )
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": exc.detail}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": _describe_validation(exc.errors()), "errors": _plain(exc.errors())},
            status_code=422,
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DBAPIError)
    async def out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # A value no column can hold is the client's mistake: a number of 2**63 (SQLite
        # refuses it with OverflowError), or anything asyncpg refuses as a DataError (out
        # of range, a NUL in text). Any other database error stays a server error.
        if isinstance(exc, OverflowError):
            return JSONResponse(
                {"detail": "A number in the request is out of range"}, status_code=422
            )
        refused = _data_error(exc)
        if refused is not None:
            reason = str(refused).strip().splitlines()[0]
            return JSONResponse(
                {"detail": f"A value in the request is out of range or cannot be stored: {reason}"},
                status_code=422,
            )
        if isinstance(exc, OperationalError | InterfaceError):
            return _database_unavailable()
        raise exc

    @app.exception_handler(ConnectionError)
    async def database_unreachable(request: Request, exc: Exception) -> JSONResponse:
        return _database_unavailable()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )


def _database_unavailable() -> JSONResponse:
    # The database is unreachable (restarting, failing over): a clear 503 the client may
    # retry, not a 500 with a traceback in the log.
    return JSONResponse(
        {"detail": "The database is unavailable; try again shortly"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def _data_error(exc: BaseException) -> BaseException | None:
    """The asyncpg DataError (a parameter's value refused) behind a database error."""
    cause: BaseException | None = exc
    for _ in range(5):  # DBAPIError -> adapted error -> asyncpg's
        if cause is None:
            return None
        if any(
            kind.__name__ == "DataError" and kind.__module__.startswith("asyncpg")
            for kind in type(cause).__mro__
        ):
            return cause
        cause = getattr(cause, "orig", None) or cause.__cause__
    return None


def _describe_validation(errors: Any) -> str:
    parts = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        parts.append(f"{location or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"


def _plain(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg"), "type": error.get("type")}
        for error in errors
    ]
