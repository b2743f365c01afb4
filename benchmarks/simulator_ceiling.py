"""How fast the simulator itself goes, against a CSMS that does nothing but answer.

The load benchmark measures the server through `ampyre simulate`; its figures only mean
something well below this ceiling. The trivial CSMS runs in its own process so that the
two do not share an event loop. Run: `python benchmarks/simulator_ceiling.py [--count 50
--duration 10]`; add `--json FILE` to keep the statistics.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from itertools import count
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from ampyre.simulator import Fleet, LoadProfile, fleet_ids


def answer(action: str, transaction_ids: count[int]) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    accepted = {"idTagInfo": {"status": "Accepted"}}
    if action == "BootNotification":
        return {"status": "Accepted", "currentTime": now, "interval": 3600}
    if action == "StartTransaction":
        return {"transactionId": next(transaction_ids), **accepted}
    if action in ("Authorize", "StopTransaction"):
        return accepted
    if action == "Heartbeat":
        return {"currentTime": now}
    return {}


async def trivial_csms() -> None:
    transaction_ids = count(1)

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            frame = json.loads(message)
            if frame[0] == 2:
                await ws.send(json.dumps([3, frame[1], answer(frame[2], transaction_ids)]))

    async with serve(handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        print(next(iter(server.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()


async def measure(arguments: argparse.Namespace, port: int) -> dict[str, Any]:
    fleet = Fleet(
        f"ws://127.0.0.1:{port}/ocpp",
        fleet_ids("BENCH-", arguments.count),
        connect_rate=0,
        meter_interval=0,
    )
    outcome = await fleet.run_load(
        LoadProfile(duration=arguments.duration, meter_values=arguments.meter_values)
    )
    for line in fleet.stats.report_lines():
        print(line)
    if not outcome.ok:
        print(f"{len(outcome.failures)} charge points failed", file=sys.stderr)
    return fleet.stats.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="charge points")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--meter-values", type=int, default=2, help="MeterValues per session")
    parser.add_argument("--json", default=None, help="write the statistics to this file")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(trivial_csms())
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = server.stdout.readline().strip()
        if not port.isdigit():
            raise SystemExit("the trivial CSMS did not start")
        started = time.perf_counter()
        summary = asyncio.run(measure(arguments, int(port)))
        print(f"wall time: {time.perf_counter() - started:.1f} s")
        if arguments.json:
            with open(arguments.json, "w", encoding="utf-8") as output:
                json.dump(summary, output, indent=2)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
