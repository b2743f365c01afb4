"""The OpenAPI description's conventions and the documentation pages that show it.

- Operation ids are the routes' names in camelCase (`list_charge_points` ->
  `listChargePoints`): readable, and unique because route names are (a duplicate is a
  warning FastAPI gives and `tests/unit/test_openapi.py` turns into a failure).
- Answers: each endpoint declares its 2xx model (its return annotation, or
  `response_model=`); the error answers every operation shares are declared here, once,
  rather than on ~80 routes: 401/403 where a token is needed, 404 where the path names
  something, 422 in Ampyre's own shape, 503 when the database is away, and the `Error`
  body (`{"detail"}`) for any error a route declared without a body.
- `/docs` (Swagger UI) and `/redoc` load their scripts and styles from this server
  (`/docs/assets/`, the files the `fastapi-offline` package ships): many CSMS run in
  closed networks, where a CDN is out of reach.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ampyre.api.serializers.base import CallError, Error, InvalidRequestError

OPENAPI_URL = "/openapi.json"
ASSETS = "/docs/assets"
#: Swagger UI 5 and ReDoc 2, as `fastapi-offline` packages them (their own licences
#: beside them in the package); the `swagger-ui-bundle` package holds Swagger UI 4,
#: which cannot show an OpenAPI 3.1 description.
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))

#: A file's bytes, as the OpenAPI description writes them.
FILE_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}

_SHARED_ERRORS: dict[str, str] = {
    "401": "No valid bearer token",
    "403": "The token's account lacks the role this needs",
}
_NOT_FOUND = "Not found: the path names nothing that exists"
_UNAVAILABLE = "The database is unavailable; try again shortly (Retry-After)"
_ERROR_MODELS: dict[str, type[BaseModel]] = {"422": InvalidRequestError, "502": CallError}


def operation_id(route: APIRoute) -> str:
    """The route's name in camelCase; FastAPI's `generate_unique_id_function`."""
    return to_camel(route.name)


def install_openapi(app: FastAPI) -> None:
    """Generate `/openapi.json` with the shared error answers (see the module's doc)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()  # cached by FastAPI; describe_errors may run on it again
        describe_errors(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _schema_ref(spec: dict[str, Any], model: type[BaseModel]) -> dict[str, str]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(model.__name__, model.model_json_schema())
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def describe_errors(spec: dict[str, Any]) -> None:
    """Add the error answers every operation shares to an OpenAPI description, in place
    (idempotent)."""
    error = _schema_ref(spec, Error)
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if operation.get("security"):
                for code, description in _SHARED_ERRORS.items():
                    responses.setdefault(code, {"description": description})
            if "{" in path:
                responses.setdefault("404", {"description": _NOT_FOUND})
            if path != "/api/v1/health":
                responses.setdefault("503", {"description": _UNAVAILABLE})
            for code, response in responses.items():
                if code[0] not in "45":
                    continue
                model = _ERROR_MODELS.get(code)
                if model is not None and code == "422":
                    # FastAPI's own 422 body is not the one Ampyre answers.
                    response["content"] = {"application/json": {"schema": _schema_ref(spec, model)}}
                elif "content" not in response:
                    schema = _schema_ref(spec, model) if model is not None else error
                    response["content"] = {"application/json": {"schema": schema}}
    schemas = spec["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def docs_routes(title: str) -> list[BaseRoute]:
    """`/docs`, its OAuth2 redirect page, `/redoc` and their assets, all from here."""

    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            # The default validator badge is an image from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    return [
        Route("/docs", swagger_ui, methods=["GET", "HEAD"], include_in_schema=False),
        Route("/docs/oauth2-redirect", oauth2_redirect, include_in_schema=False),
        Route("/redoc", redoc, methods=["GET", "HEAD"], include_in_schema=False),
        Mount(ASSETS, app=StaticFiles(directory=ASSETS_DIR), name="docs-assets"),
    ]
