"""The web console as the server serves it: `/`, its assets, their headers, no shadowing."""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin

import httpx
import pytest

from ampyre.web.console import STATIC_DIR
from tests.server import Server

ROOT = Path(__file__).resolve().parents[1]
JS_TYPE = "text/javascript; charset=utf-8"
EXPECTED_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": JS_TYPE,
    ".svg": "image/svg+xml",
}
# Static and dynamic import specifiers of an ES module.
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")


class _References(HTMLParser):
    """Every URL the page itself loads or links to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))


def references(html: str) -> list[tuple[str, str]]:
    parser = _References()
    parser.feed(html)
    return parser.urls


def static_files() -> list[Path]:
    return sorted(p for p in STATIC_DIR.rglob("*") if p.is_file())


async def test_root_serves_the_console_page(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        response = await client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert '<script type="module" src="/static/js/main.js"></script>' in response.text
        assert "<title>Ampyre console</title>" in response.text

        # Revalidation instead of a long-lived cache: an upgrade never mixes two versions.
        etag = response.headers["etag"]
        again = await client.get("/", headers={"If-None-Match": etag})
        assert again.status_code == 304
        head = await client.head("/")
        assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")
        assert (await client.post("/")).status_code == 405


async def test_every_static_file_is_served_with_its_content_type(server: Server) -> None:
    files = static_files()
    assert {p.suffix for p in files} <= set(EXPECTED_TYPES), "add the type to CONTENT_TYPES"
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        for path in files:
            url = f"/static/{path.relative_to(STATIC_DIR).as_posix()}"
            response = await client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"] == EXPECTED_TYPES[path.suffix], url
            assert response.headers["cache-control"] == "no-cache", url
            assert response.headers["x-content-type-options"] == "nosniff", url
            assert response.content == path.read_bytes(), url
        assert (await client.get("/static/js/missing.js")).status_code == 404
        for escape in ("/static/%2e%2e/console.py", "/static/..%2fconsole.py"):
            assert (await client.get(escape)).status_code == 404, escape


async def test_the_page_loads_only_local_assets_and_every_module_resolves(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        html = (await client.get("/")).text
        urls = references(html)
        assert urls, "the page references nothing"
        for tag, url in urls:
            if url.startswith("#"):
                continue
            assert url.startswith("/") and not url.startswith("//"), (tag, url)
            assert url.startswith("/static/"), (tag, url)
            assert (await client.get(url)).status_code == 200, url

        # Follow the module graph from main.js: every import is relative and is served as JS.
        pending = ["/static/js/main.js"]
        seen: set[str] = set()
        while pending:
            url = pending.pop()
            if url in seen:
                continue
            seen.add(url)
            response = await client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"] == JS_TYPE, url
            for specifier in IMPORT.findall(response.text):
                assert specifier.startswith("./") or specifier.startswith("../"), (url, specifier)
                pending.append(urljoin(url, specifier))
        served_modules = {
            f"/static/{p.relative_to(STATIC_DIR).as_posix()}" for p in STATIC_DIR.rglob("*.js")
        }
        assert seen == served_modules, "a module is unused or missing from the graph"


def test_stylesheets_and_scripts_reach_nothing_outside() -> None:
    for path in STATIC_DIR.rglob("*.css"):
        text = path.read_text()
        assert "@import" not in text, path
        for target in re.findall(r"url\(([^)]*)\)", text):
            assert not re.match(r"""["']?(https?:)?//""", target), (path, target)
    for path in STATIC_DIR.rglob("*.js"):
        text = path.read_text()
        assert not re.search(r"""fetch\(\s*["'`]https?:""", text), path
        assert not re.search(r"""import\s*\(?\s*["']https?:""", text), path


@pytest.mark.parametrize(
    "sink",
    ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"],
)
def test_scripts_never_parse_data_as_markup(sink: str) -> None:
    """Charge points and operators choose ids, vendors, keys: all of it is rendered as text."""
    for path in STATIC_DIR.rglob("*.js"):
        assert sink not in path.read_text(), f"{path.name} uses {sink}"


def test_package_data_ships_every_static_file() -> None:
    """`pip install .` must install the console: the package-data globs cover every file."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["ampyre"]
    package = ROOT / "ampyre"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    missing = [
        str(PurePosixPath(p.relative_to(package))) for p in static_files() if p not in shipped
    ]
    assert not missing, f"not in package-data: {missing}"


async def test_the_console_shadows_nothing(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        health = await client.get("/api/v1/health")
        assert health.json() == {"status": "ok"}
        unauthorized = await client.get("/api/v1/charge-points")
        assert unauthorized.status_code == 401
        assert unauthorized.headers["content-type"] == "application/json"
        missing = await client.get("/api/v1/no-such-thing")
        assert missing.status_code in (401, 404)
        assert missing.headers["content-type"] == "application/json"
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "Ampyre"
        assert (await client.get("/docs")).status_code == 200
        firmware = await client.get("/files/firmware/nothing/here.bin")
        assert firmware.status_code == 404
        assert firmware.headers["content-type"] == "application/json"
        # An OCPP upgrade to an unknown identity is still the OCPP endpoint's answer.
        ocpp = await client.get("/ocpp/nobody")
        assert ocpp.status_code != 200
        assert not ocpp.headers.get("content-type", "").startswith("text/html")
        # The console adds no routes to the API description.
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert not [p for p in paths if p == "/" or p.startswith("/static")]
