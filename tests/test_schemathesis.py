"""The REST API driven from its own OpenAPI description by schemathesis: whatever a
client sends, no operation answers with a server error."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import running_server
from tests.server import TOKEN


async def test_no_operation_answers_a_server_error(backend: str, workdir: Path) -> None:
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    async with running_server(backend, workdir) as server:
        result = await asyncio.to_thread(
            subprocess.run,
            [
                command,
                "run",
                f"{server.http_url}/openapi.json",
                "--header",
                f"Authorization: Bearer {TOKEN}",
                "--checks",
                "not_a_server_error",
                # A stream that never ends: each case would wait for the client's time-out
                # (tests/test_events.py covers it).
                "--exclude-path",
                "/api/v1/events",
                "--max-examples",
                "15",
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert "Traceback" not in server.log(), server.log()[-5000:]
    assert result.returncode == 0, result.stdout[-6000:]
