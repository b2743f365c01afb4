"""The domain's `ChargePointGateway` over the transport's connections.

Services reach charge points only through the gateway protocol and know only domain
errors; the transport knows only its own (`transport/errors.py`). This adapter checks a
CSMS-initiated request against the protocol before it is sent and translates the
transport's errors into the domain's, which the API maps to HTTP statuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.validation import CSMS_INITIATED, MessageValidator
from ampyre.services.errors import (
    ChargePointCallError,
    ChargePointTimeout,
    Conflict,
    InvalidRequest,
    NotFound,
)
from ampyre.transport.errors import CallErrorAnswer, CallTimeout, NotConnected
from ampyre.transport.registry import ConnectionRegistry


class ConnectionGateway:
    def __init__(self, registry: ConnectionRegistry, validator: MessageValidator) -> None:
        self.registry = registry
        self.validator = validator

    def is_connected(self, charge_point_id: str) -> bool:
        return self.registry.is_connected(charge_point_id)

    def connected_ids(self) -> set[str]:
        return self.registry.connected_ids()

    def last_seen(self, charge_point_id: str) -> datetime | None:
        return self.registry.last_seen(charge_point_id)

    def check_request(self, action: str, payload: Any) -> None:
        if action not in CSMS_INITIATED:
            raise NotFound(
                f"{action!r} is not a CSMS-initiated OCPP 1.6 action; known: "
                + ", ".join(sorted(CSMS_INITIATED))
            )
        try:
            self.validator.validate_request(action, payload)
        except OcppError as exc:
            raise InvalidRequest(f"{action}: {exc.description}") from None

    async def call(
        self, charge_point_id: str, action: str, payload: dict[str, Any], timeout: float
    ) -> dict[str, Any]:
        try:
            return await self.registry.call(charge_point_id, action, payload, timeout)
        except NotConnected as exc:
            raise Conflict(str(exc)) from None
        except CallTimeout as exc:
            raise ChargePointTimeout(str(exc)) from None
        except CallErrorAnswer as exc:
            raise ChargePointCallError(exc.code, exc.description, exc.details) from None

    async def disconnect(self, charge_point_id: str, reason: str) -> None:
        await self.registry.disconnect(charge_point_id, reason)
