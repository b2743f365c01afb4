"""The container image (Dockerfile) and the compose file with PostgreSQL."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ampyre.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = ROOT / "compose.yaml"


def settings_variables() -> set[str]:
    return {f"AMPYRE_{name.upper()}" for name in Settings.model_fields}


def test_the_image_runs_unprivileged_with_a_health_check_on_ready() -> None:
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in DOCKERFILE and "/ready" in DOCKERFILE
    assert 'ENTRYPOINT ["ampyre"]' in DOCKERFILE


def test_every_variable_the_files_set_is_a_setting() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load(COMPOSE.read_text())
    used = set(re.findall(r"\b(AMPYRE_[A-Z_]+)=", DOCKERFILE))
    used |= set(compose["services"]["ampyre"]["environment"])
    assert used and used <= settings_variables(), used - settings_variables()
    assert compose["services"]["ampyre"]["environment"]["AMPYRE_DATABASE_URL"].startswith(
        "postgresql://"
    )
    assert compose["services"]["ampyre"]["depends_on"]["db"]["condition"] == "service_healthy"


def docker_engine() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("needs docker to build the image")
    info = subprocess.run([docker, "info"], capture_output=True, timeout=30)
    if info.returncode != 0:
        pytest.skip("needs a running Docker engine to build the image (docker info fails)")
    return docker


def test_the_image_builds_and_becomes_healthy() -> None:
    docker = docker_engine()
    tag = f"ampyre-test:{uuid.uuid4().hex[:8]}"
    subprocess.run([docker, "build", "-t", tag, str(ROOT)], check=True, timeout=1200)
    name = f"ampyre-test-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(
            [docker, "run", "-d", "--name", name, "-p", "127.0.0.1::8180", tag],
            check=True,
            timeout=60,
        )
        port = (
            subprocess.run(
                [docker, "port", name, "8180/tcp"], capture_output=True, text=True, check=True
            )
            .stdout.split(":")[-1]
            .strip()
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the container never became ready")
        user = subprocess.run(
            [docker, "exec", name, "id", "-u"], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert user != "0"
    finally:
        subprocess.run([docker, "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True, timeout=60)
