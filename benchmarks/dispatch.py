"""CPU per message of the OCPP message path without sockets: validation, dispatch, handler,
services and their SQLite units of work, response validation and encoding.

Charge points run the `ampyre bench` realistic mix concurrently (so group commit batches as
in a server) against a temporary SQLite database. What is left out (WebSocket framing, the
event loop's I/O) is the same for every version of the handlers, so comparing two versions
of the code with this script shows the difference of their message path alone, without
the noise of a bench client sharing the machine:

    python benchmarks/dispatch.py                        # this checkout
    PYTHONPATH=/path/to/other/checkout python benchmarks/dispatch.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from typing import Any

from ampyre.app import _tune_garbage_collector
from ampyre.config import Settings
from ampyre.handlers.context import ChargePointSession, MessageContext
from ampyre.handlers.dispatcher import Dispatcher
from ampyre.ocpp.v16.framing import CallResult
from ampyre.ocpp.v16.validation import get_validator
from ampyre.services.central_system import CentralSystem
from ampyre.services.gateway import OfflineGateway
from ampyre.storage.database import Database

NOW = "2024-05-01T12:00:00.123Z"


def _meter_value(wh: int) -> dict[str, Any]:
    return {
        "timestamp": NOW,
        "sampledValue": [
            {
                "value": str(wh),
                "context": "Sample.Periodic",
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
            },
            {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
        ],
    }


async def _charge_point(
    csms: CentralSystem, dispatcher: Dispatcher, index: int, sessions: int, counter: list[int]
) -> None:
    validator = get_validator()
    ctx = MessageContext(csms, ChargePointSession(f"bench-{index}"))
    message_id = 0

    async def call(action: str, payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal message_id
        message_id += 1
        validator.validate_request(action, payload)
        response = await dispatcher.dispatch(ctx, action, payload)
        validator.validate_response(action, response)
        CallResult(str(message_id), response).encode()
        counter[0] += 1
        return response

    await call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    for session in range(sessions):
        tag = f"TAG{(index + session) % 100}"
        status = {"connectorId": 1, "errorCode": "NoError", "timestamp": NOW}
        await call("StatusNotification", {**status, "status": "Preparing"})
        await call("Authorize", {"idTag": tag})
        started = await call(
            "StartTransaction",
            {"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": NOW},
        )
        transaction_id = started["transactionId"]
        for n in range(5):
            await call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": transaction_id,
                    "meterValue": [_meter_value(n * 100)],
                },
            )
        await call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 500,
                "timestamp": NOW,
                "idTag": tag,
                "reason": "EVDisconnected",
                "transactionData": [_meter_value(0), _meter_value(500)],
            },
        )
        await call("Heartbeat", {})


async def main(charge_points: int, sessions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        db = Database(f"sqlite:///{directory}/dispatch.db")
        await db.migrate()
        try:
            settings = Settings(
                database_url=f"sqlite:///{directory}/dispatch.db",
                heartbeat_interval=300,
                auto_register=True,
                remote_start_timeout=180,
                data_dir=f"{directory}/data",
            )
            csms = CentralSystem.build(db, OfflineGateway(), settings)
            for index in range(charge_points):
                await csms.charge_points.authorize_connection(
                    f"bench-{index}", None, tls=False, client_cert=False
                )
            dispatcher = Dispatcher()
            counter = [0]
            _tune_garbage_collector()  # as the server does once started
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(
                *(
                    _charge_point(csms, dispatcher, index, sessions, counter)
                    for index in range(charge_points)
                )
            )
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            batches = getattr(db.commits, "batches", 0)
        finally:
            await db.dispose()
    return {
        "messages": counter[0],
        "cpu_us_per_message": round(cpu / counter[0] * 1e6, 1),
        "wall_us_per_message": round(wall / counter[0] * 1e6, 1),
        "commits": batches,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--charge-points", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs; the cheapest is reported (least disturbed)"
    )
    args = parser.parse_args()
    runs = [asyncio.run(main(args.charge_points, args.sessions)) for _ in range(args.repeat)]
    print(json.dumps(min(runs, key=lambda run: run["cpu_us_per_message"])))
