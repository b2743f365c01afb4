"""What a handler knows about the message it handles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ocpp.v16.enums import RegistrationStatus

from ampyre.ocpp.v16.messages import Confirmation
from ampyre.services.central_system import CentralSystem


@dataclass(slots=True)
class ChargePointSession:
    """Protocol state of one charge point across its messages on one connection."""

    charge_point_id: str
    #: The registration status of the last BootNotification answer (None: never booted).
    boot_status: RegistrationStatus | None = None


@dataclass(slots=True)
class MessageContext:
    csms: CentralSystem
    session: ChargePointSession

    @property
    def charge_point_id(self) -> str:
        return self.session.charge_point_id


#: A handler takes the typed request (`ocpp/v16/messages.py`) of its action and returns the
#: typed confirmation; `Any` here because each handler takes its own request type.
Handler = Callable[[MessageContext, Any], Awaitable[Confirmation]]
