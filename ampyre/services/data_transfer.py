"""DataTransfer from charge points: vendor-specific extensions, by vendorId and messageId.

OCPP 1.6 (4.3) leaves the content to vendors. A deployment plugs in a handler per vendorId
(optionally per messageId) through `DataTransferService.register`, or by installing a
package that exposes an `ampyre.data_transfer` entry point: a callable that receives the
service and registers its handlers. Unknown vendors are answered `UnknownVendorId`, known
vendors with an unknown messageId `UnknownMessageId`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any

log = logging.getLogger("ampyre.data_transfer")

#: (charge point id, messageId or None, data or None) -> DataTransfer.conf payload.
DataTransferHandler = Callable[[str, str | None, str | None], Awaitable[dict[str, Any]]]

#: Ampyre's own vendor id, with an `echo` message for integrators' smoke tests.
AMPYRE_VENDOR_ID = "org.ampyre"


class DataTransferService:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str | None], DataTransferHandler] = {}
        self.register(AMPYRE_VENDOR_ID, _echo, message_id="echo")

    def register(
        self, vendor_id: str, handler: DataTransferHandler, *, message_id: str | None = None
    ) -> None:
        """Handle DataTransfer for `vendor_id` (and `message_id`, or any when None)."""
        self._handlers[(vendor_id, message_id)] = handler

    def load_plugins(self) -> None:
        for entry_point in entry_points(group="ampyre.data_transfer"):
            try:
                entry_point.load()(self)
                log.info("DataTransfer plugin %s loaded", entry_point.name)
            except Exception:
                log.exception("DataTransfer plugin %s failed to load", entry_point.name)

    async def handle(self, charge_point_id: str, request: dict[str, Any]) -> dict[str, Any]:
        vendor_id = request["vendorId"]
        message_id = request.get("messageId")
        handler = self._handlers.get((vendor_id, message_id))
        if handler is None:
            handler = self._handlers.get((vendor_id, None))
        if handler is None:
            if any(vendor == vendor_id for vendor, _ in self._handlers):
                return {"status": "UnknownMessageId"}
            return {"status": "UnknownVendorId"}
        return await handler(charge_point_id, message_id, request.get("data"))


async def _echo(charge_point_id: str, message_id: str | None, data: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"status": "Accepted"}
    if data is not None:
        answer["data"] = data
    return answer
