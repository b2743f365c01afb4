"""Load benchmark: a fleet of simulated charge points charging against a real server.

Starts `ampyre serve` on a fresh database (SQLite by default; `--database postgresql://...`
for PostgreSQL), registers the fleet's id tag, runs `ampyre simulate` in load mode in its
own process and prints throughput, round-trip latency and the server's CPU time and memory.
Figures depend on the machine and on what else runs on it: compare runs made side by side.

    python benchmarks/load.py --count 50 --duration 20
    python benchmarks/load.py --database postgresql://postgres@127.0.0.1/test --count 200
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

TOKEN = "benchmark-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    import asyncio

    import asyncpg

    name = f"ampyre_bench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return f"{admin_url.rpartition('/')[0]}/{name}", name


def drop_postgres(admin_url: str, name: str) -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


def process_usage(pid: int) -> tuple[float, int]:
    """CPU seconds used and resident memory (bytes) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return cpu, rss_pages * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="default: a temporary SQLite file")
    parser.add_argument("--count", type=int, default=50, help="charge points")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load")
    parser.add_argument("--meter-values", type=int, default=3, help="MeterValues per session")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ampyre-bench-"))
    database, pg_name = args.database, None
    if database is None:
        database = f"sqlite:///{workdir / 'bench.db'}"
    elif database.startswith("postgres"):
        database, pg_name = fresh_postgres(args.database)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ampyre",
            "serve",
            "--port",
            str(port),
            "--database",
            database,
            "--api-token",
            TOKEN,
            "--auto-register",
            "--log-level",
            "warning",
        ],
        stdout=(workdir / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        httpx.post(
            f"{base}/id-tags",
            json={"idTag": "BENCH", "allowConcurrentTx": True},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).raise_for_status()
        cpu_before, _ = process_usage(server.pid)
        stats_path = workdir / "stats.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ampyre",
                "simulate",
                "--url",
                f"ws://127.0.0.1:{port}/ocpp",
                "--id-prefix",
                "BENCH-",
                "--count",
                str(args.count),
                "--duration",
                str(args.duration),
                "--meter-values",
                str(args.meter_values),
                "--id-tag",
                "BENCH",
                "--quiet",
                "--stats-json",
                str(stats_path),
            ],
            check=False,
        )
        cpu_after, rss = process_usage(server.pid)
        stats: dict[str, Any] = json.loads(stats_path.read_text())
    finally:
        server.terminate()
        server.wait(30)
        if pg_name is not None:
            drop_postgres(args.database, pg_name)

    latency = stats["latency"]
    figures = {
        "database": database.split(":", 1)[0],
        "charge_points": args.count,
        "messages_per_second": stats["messages_per_second"],
        "sessions_completed": stats["sessions"]["completed"],
        "errors": stats["errors"],
        "latency_ms": {key: latency[f"{key}_ms"] for key in ("p50", "p95", "p99", "max")},
        "server_cpu_seconds": round(cpu_after - cpu_before, 2),
        "server_cpu_per_message_ms": round(
            1000 * (cpu_after - cpu_before) / max(1, stats["calls_sent"]), 3
        ),
        "server_rss_mib": round(rss / 2**20, 1),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
