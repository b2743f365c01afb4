"""A real Ampyre server in a subprocess, and the databases it runs on, for the tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

POSTGRES_ENV = "AMPYRE_TEST_POSTGRES_URL"
TOKEN = "test-operator-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_args(database_url: str) -> list[str]:
    """AMPYRE_TEST_WORKERS=N runs every PostgreSQL server of the suite with N workers
    (a cluster of processes on AMPYRE_TEST_REDIS_URL): the suite as proof that
    `--workers` serves everything one process does."""
    workers = os.environ.get("AMPYRE_TEST_WORKERS")
    redis_url = os.environ.get("AMPYRE_TEST_REDIS_URL")
    if not workers or not redis_url or not database_url.startswith("postgresql"):
        return []
    return ["--workers", workers, "--redis", redis_url]


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


async def create_postgres_database() -> str:
    """A fresh database on the test PostgreSQL server; returns its URL."""
    import asyncpg

    admin = postgres_admin_url()
    assert admin is not None
    name = f"ampyre_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = admin.rpartition("/")
    return f"{base}/{name}"


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    admin = postgres_admin_url()
    assert admin is not None
    name = url.rpartition("/")[2]
    connection = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@dataclass
class Server:
    """`ampyre serve` as a user starts it, on a free port."""

    database_url: str
    workdir: Path
    extra_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def tls(self) -> bool:
        return "--tls-cert" in self.extra_args

    @property
    def http_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def start(self) -> None:
        self.log_path = self.workdir / f"server-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ampyre",
                "serve",
                "--port",
                str(self.port),
                "--database",
                self.database_url,
                "--api-token",
                TOKEN,
                "--heartbeat-interval",
                "60",
                *worker_args(self.database_url),
                *self.extra_args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        try:
            self.wait_ready()
        except BaseException:
            self.kill()  # never leave a half-started server behind
            raise

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                health = httpx.get(f"{self.http_url}/api/v1/health", timeout=1, verify=False)
                if health.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll an async predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
