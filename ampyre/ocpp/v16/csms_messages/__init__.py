"""The CSMS-initiated OCPP 1.6 messages as types: each CALL the CSMS sends and the
confirmation the charge point answers with, one module per profile.

The other direction of `messages.py`, on the same base types (msgspec Structs, snake_case
fields, camelCase on the wire, unset optional fields left out, statuses as the
`ocpp.v16.enums` enumerations). A request type names its action (`CsmsRequest.action`);
`COMMANDS` maps every typed action to its request and confirmation types.

Who uses them: a service sends one with `CommandService.ask` (which unparses it, sends it
through the one command path, and parses the answer into the confirmation type) and an
answer effect registered with `CommandService.register_effect` receives the typed request
and confirmation, whether the service or an operator (the generic commands endpoint) sent
it. The simulated charge point reads them the other way round.
"""

from __future__ import annotations

from typing import ClassVar

from ampyre.ocpp.v16.messages import Confirmation, Request

__all__ = ["COMMANDS", "CsmsRequest"]


class CsmsRequest(Request, frozen=True):
    """The payload of a CALL the CSMS sends."""

    action: ClassVar[str]


#: Action -> (request type, confirmation type) of every typed CSMS-initiated message.
#: Each profile module adds its own (`COMMANDS.update(module.COMMANDS)` below).
COMMANDS: dict[str, tuple[type[CsmsRequest], type[Confirmation]]] = {}


def _collect() -> None:
    """Every profile module's commands, in `COMMANDS` (imported here, after the base type
    they build on is defined)."""
    from ampyre.ocpp.v16.csms_messages import (
        core,
        firmware,
        local_list,
        remote_trigger,
        reservation,
        security,
        smart_charging,
    )

    modules = (core, firmware, local_list, remote_trigger, reservation, security, smart_charging)
    for module in modules:
        COMMANDS.update(module.COMMANDS)


_collect()
