"""Fixtures: a real server per database backend, an operator API client, charge points."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from ampyre.cli import main
from tests.server import (
    POSTGRES_ENV,
    TOKEN,
    Server,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)

BACKENDS = ["sqlite", "postgresql"]


async def make_database_url(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / f'ampyre-{uuid.uuid4().hex[:8]}.db'}"
    if postgres_admin_url() is None:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    return await create_postgres_database()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def running_server(backend: str, workdir: Path, *extra_args: str) -> AsyncIterator[Server]:
    """A server on a fresh database of `backend`, stopped (and its database dropped) after."""
    url = await make_database_url(backend, workdir)
    instance = Server(url, workdir, list(extra_args))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        if backend == "postgresql":
            await drop_postgres_database(url)


@pytest.fixture(scope="session")
async def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One shared server per backend; tests isolate themselves by unique ids."""
    async with running_server(backend, tmp_path_factory.mktemp(f"server-{backend}")) as instance:
        yield instance


@pytest.fixture
async def server_factory(backend: str, tmp_path: Path) -> AsyncIterator[Any]:
    """Start dedicated servers (own database, own flags) for tests that need them."""
    started: list[tuple[Server, str]] = []

    async def start(*extra_args: str, database_url: str | None = None) -> Server:
        url = database_url or await make_database_url(backend, tmp_path)
        instance = Server(url, tmp_path, list(extra_args))
        instance.start()
        started.append((instance, url))
        return instance

    yield start
    for instance, _url in started:
        instance.stop()
    if backend == "postgresql":
        for url in {url for _, url in started}:
            await drop_postgres_database(url)


def api_client(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{server.http_url}/api/v1",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )


async def run_cli(server: Server, *args: str) -> Result:
    """`ampyre ARGS` against `server`, in a thread: the test's charge points, answering on
    this loop, keep answering what the command makes the server send them."""
    env = {"AMPYRE_URL": server.http_url, "AMPYRE_API_TOKEN": TOKEN}
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), env=env)


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(server) as client:
        yield client


def unique(prefix: str = "CP") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def cp_id(api: httpx.AsyncClient) -> str:
    """A freshly registered charge point without a password."""
    identity = unique()
    response = await api.post("/charge-points", json={"id": identity})
    assert response.status_code == 201, response.text
    return identity


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
