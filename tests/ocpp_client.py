"""A bare OCPP-J 1.6 client over a real WebSocket, for frame-level tests.

It sends exactly what a test tells it to (also broken frames) and answers the CSMS's
CALLs from a table a test can change, recording each one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import websockets
from websockets.asyncio.client import ClientConnection

Answer = dict[str, Any] | Callable[[dict[str, Any]], Any] | tuple[str, str] | None
SILENT = object()


class CallErrorReceived(Exception):
    def __init__(self, code: str, description: str, details: dict[str, Any]) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


DEFAULT_ANSWERS: dict[str, Any] = {
    "RemoteStartTransaction": {"status": "Accepted"},
    "RemoteStopTransaction": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
    "UnlockConnector": {"status": "Unlocked"},
    "ChangeAvailability": {"status": "Accepted"},
    "ChangeConfiguration": {"status": "Accepted"},
    "GetConfiguration": {"configurationKey": [], "unknownKey": []},
    "ClearCache": {"status": "Accepted"},
    "DataTransfer": {"status": "Accepted"},
    "ReserveNow": {"status": "Accepted"},
    "CancelReservation": {"status": "Accepted"},
    "SetChargingProfile": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "SendLocalList": {"status": "Accepted"},
    "GetLocalListVersion": {"listVersion": 0},
    "TriggerMessage": {"status": "Accepted"},
    "UpdateFirmware": {},
    "GetDiagnostics": {},
}


class OcppClient:
    def __init__(self, websocket: ClientConnection) -> None:
        self.ws = websocket
        self.answers: dict[str, Any] = dict(DEFAULT_ANSWERS)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[list[Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self.raw: asyncio.Queue[list[Any]] = asyncio.Queue()

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        ws_url: str,
        charge_point_id: str,
        *,
        password: str | None = None,
        subprotocols: list[str] | None = None,
        username: str | None = None,
    ):  # type: ignore[no-untyped-def]
        headers = {}
        if password is not None:
            token = base64.b64encode(f"{username or charge_point_id}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        async with websockets.connect(
            f"{ws_url}/{quote(charge_point_id, safe='')}",
            subprotocols=subprotocols or ["ocpp1.6"],  # type: ignore[list-item]
            additional_headers=headers,
            open_timeout=10,
        ) as websocket:
            client = cls(websocket)
            try:
                yield client
            finally:
                client._reader.cancel()

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        unique_id: str | None = None,
        timeout: float = 10,
    ) -> dict[str, Any]:
        unique_id = unique_id or f"t{next(self._ids)}"
        frame = await self.send_frame([2, unique_id, action, payload], unique_id, timeout)
        if frame[0] == 4:
            raise CallErrorReceived(frame[2], frame[3], frame[4] if len(frame) > 4 else {})
        result: dict[str, Any] = frame[2]
        return result

    async def send_frame(self, frame: Any, unique_id: str, timeout: float = 10) -> list[Any]:
        return await self.send_text(json.dumps(frame), unique_id, timeout)

    async def send_text(self, text: str, unique_id: str, timeout: float = 10) -> list[Any]:
        """Send raw text and wait for the CALLRESULT/CALLERROR with `unique_id`."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting[unique_id] = future
        await self.ws.send(text)
        return await asyncio.wait_for(future, timeout)

    async def boot(self, **fields: Any) -> dict[str, Any]:
        payload = {"chargePointVendor": "TestVendor", "chargePointModel": "TestModel", **fields}
        return await self.call("BootNotification", payload)

    async def wait_for_call(self, action: str, timeout: float = 10) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for name, payload in self.received:
                if name == action:
                    return payload
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {action} received")

    async def _read(self) -> None:
        async for text in self.ws:
            frame = json.loads(text)
            if frame[0] == 2:
                await self._answer(frame)
            elif frame[1] in self._waiting:
                self._waiting.pop(frame[1]).set_result(frame)
            else:
                await self.raw.put(frame)

    async def _answer(self, frame: list[Any]) -> None:
        _, unique_id, action, payload = frame
        self.received.append((action, payload))
        answer = self.answers.get(action)
        if callable(answer):
            answer = answer(payload)
        if answer is SILENT:
            return
        if answer is None:
            reply: list[Any] = [4, unique_id, "NotImplemented", f"{action} not implemented", {}]
        elif isinstance(answer, tuple):
            reply = [4, unique_id, answer[0], answer[1], {}]
        else:
            reply = [3, unique_id, answer]
        await self.ws.send(json.dumps(reply))
