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
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from ocpp.v16.enums import DataTransferStatus

log = logging.getLogger("ampyre.data_transfer")


@dataclass(slots=True, frozen=True)
class DataTransferReply:
    """The answer to a DataTransfer: a status and optional vendor data."""

    status: DataTransferStatus
    data: str | None = None


#: (charge point id, messageId or None, data or None) -> the answer: a DataTransferReply,
#: or, as documented for plugins (docs/integrators.md), a dict shaped like DataTransfer.conf
#: (`status`, optional `data`).
DataTransferHandler = Callable[
    [str, str | None, str | None], Awaitable[DataTransferReply | dict[str, Any]]
]

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

    async def handle(
        self, charge_point_id: str, vendor_id: str, message_id: str | None, data: str | None
    ) -> DataTransferReply:
        handler = self._handlers.get((vendor_id, message_id))
        if handler is None:
            handler = self._handlers.get((vendor_id, None))
        if handler is None:
            if any(vendor == vendor_id for vendor, _ in self._handlers):
                return DataTransferReply(DataTransferStatus.unknown_message_id)
            return DataTransferReply(DataTransferStatus.unknown_vendor_id)
        answer = await handler(charge_point_id, message_id, data)
        if isinstance(answer, DataTransferReply):
            return answer
        # A plugin's dict: a status outside the enumeration or another key is the
        # plugin's bug, answered InternalError.
        unknown = set(answer) - {"status", "data"}
        if unknown:
            raise ValueError(f"DataTransfer handler answered unknown keys {sorted(unknown)}")
        return DataTransferReply(DataTransferStatus(answer["status"]), answer.get("data"))


async def _echo(
    charge_point_id: str, message_id: str | None, data: str | None
) -> DataTransferReply:
    return DataTransferReply(DataTransferStatus.accepted, data)
