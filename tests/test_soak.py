"""A soak run: rounds of load and reconnect storms against one server, which must end
each round where it started: no growing memory, no leaked sockets or file descriptors.

Minutes here (CI); an hour by hand with the same commands (docs/benchmarks.md, "Soak").
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.conftest import running_server
from tests.test_bench import bench_command

ROUNDS = 5


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def resident_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_rounds_of_load_and_reconnects_leak_nothing(backend: str, workdir: Path) -> None:
    async with running_server(backend, workdir, "--auto-register") as server:
        assert server.process is not None
        pid = server.process.pid

        async def round_of_load() -> None:
            for mix, cps in (("realistic", 200), ("connect", 400)):
                result = await asyncio.to_thread(
                    bench_command,
                    "--url",
                    server.ws_url,
                    "--mix",
                    mix,
                    "--cps",
                    str(cps),
                    "--duration",
                    "3",
                    "--warmup",
                    "0",
                    "--json",
                )
                assert result.returncode == 0, result.stderr
                report = json.loads(result.stdout)
                assert report["counts"]["timeouts"] == 0
                assert report["connections"]["failed"] == 0
            await asyncio.sleep(1.5)  # the last connections' closings are handled

        await round_of_load()  # warm: caches, pools, the allocator's arenas
        descriptors, memory = open_descriptors(pid), resident_mib(pid)
        for _ in range(ROUNDS):
            await round_of_load()
        # Every socket of the rounds is closed again (a few for the database may come and go).
        assert open_descriptors(pid) <= descriptors + 5
        # What a round allocates is given back: far less growth than one round's worth.
        assert resident_mib(pid) - memory < 25, (memory, resident_mib(pid))
