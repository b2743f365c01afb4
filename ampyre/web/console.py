"""Serve the operator console: `index.html` at `/`, its assets under `/static/`.

The console is a client of the REST API only (`/api/v1` with the operator token), so the
server side is nothing but files. Every answer revalidates (`no-cache` + ETag/304): the
modules import each other by plain relative URLs, so a long-lived cache could mix two
versions of the console after an upgrade, and revalidating a few small files on a local
operator console costs nothing. The Content-Security-Policy keeps the page to its own
origin: no inline scripts, no CDNs, no third-party requests.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
INDEX_FILE = STATIC_DIR / "index.html"

#: Explicit types: `mimetypes` reads the host's tables (Windows' registry, /etc/mime.types),
#: and a JavaScript module served as anything else is refused by the browser.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_COMMON_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _content_type(path: str) -> str:
    return CONTENT_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")


def _secure(response: Response, path: str) -> Response:
    response.headers["Content-Type"] = _content_type(path)
    response.headers.update(_COMMON_HEADERS)
    if path.endswith(".html"):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
    return response


class ConsoleStaticFiles(StaticFiles):
    """StaticFiles with fixed content types and the console's cache and security headers."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        return _secure(response, os.fspath(full_path))


def console_routes() -> list[BaseRoute]:
    """The console's routes: `/` and `/static/...`; nothing under /api, /ocpp or /files."""
    static = ConsoleStaticFiles(directory=STATIC_DIR)

    async def index(request: Request) -> Response:
        # Through StaticFiles too, for its ETag / If-None-Match handling.
        return await static.get_response(INDEX_FILE.name, request.scope)

    return [
        Route("/", index, methods=["GET", "HEAD"], include_in_schema=False),
        Mount("/static", app=static, name="console-static"),
    ]
