"""Operator commands: any CSMS-initiated OCPP message, sent and its answer recorded.

The body is forwarded unchanged; it is checked against the message's schema only, so an
operator can send what a charge point will refuse (an unknown transaction id, a missing
connector). What the answer means is recorded before the operator gets it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from ocpp.v16.enums import RegistrationStatus, RemoteStartStopStatus

from ampyre.ocpp.v16.csms_messages import COMMANDS, CsmsRequest
from ampyre.ocpp.v16.csms_messages.core import RemoteStartTransactionConf, RemoteStartTransactionReq
from ampyre.ocpp.v16.messages import Confirmation, unparse
from ampyre.services.charge_points import ChargePointService
from ampyre.services.charging_profiles import ChargingProfileService
from ampyre.services.errors import (
    ChargePointCallError,
    ChargePointTimeout,
    Conflict,
)
from ampyre.services.events import EventBus
from ampyre.services.gateway import ChargePointGateway
from ampyre.services.remote_starts import FAILED, REJECTED, RemoteStartService

log = logging.getLogger("ampyre.commands")

C = TypeVar("C", bound=Confirmation)

#: OCPP 1.6, 4.2: while Pending, the CSMS must not send these.
NOT_ALLOWED_WHILE_PENDING = frozenset({"RemoteStartTransaction", "RemoteStopTransaction"})

#: What an answer means, recorded: (charge point id, request, answer). Typed (the action's
#: `COMMANDS` request and confirmation) for an action in `COMMANDS`, JSON objects otherwise.
Effect = Callable[[str, Any, Any], Awaitable[None]]
#: A domain rule a request must keep beyond its schema: raises InvalidRequest (nothing sent).
Check = Callable[[str, dict[str, Any]], Awaitable[None]]


_OUTCOME = {
    ChargePointCallError: "callError",
    ChargePointTimeout: "timeout",
    Conflict: "notConnected",
}


@dataclass(slots=True)
class CommandResult:
    payload: dict[str, Any]
    #: Set for RemoteStartTransaction: the id to follow it by (GET /remote-starts/{id}).
    remote_start_id: int | None = None


class CommandService:
    def __init__(
        self,
        gateway: ChargePointGateway,
        charge_points: ChargePointService,
        remote_starts: RemoteStartService,
        charging_profiles: ChargingProfileService,
        *,
        events: EventBus | None = None,
    ) -> None:
        self.gateway = gateway
        self.events = events or EventBus()
        self.charge_points = charge_points
        self.remote_starts = remote_starts
        self.charging_profiles = charging_profiles
        self.checks: dict[str, Check] = {
            "SetChargingProfile": charging_profiles.check_set_request,
            "RemoteStartTransaction": charging_profiles.check_remote_start_request,
        }
        #: (action, outcome) -> commands sent: answered, callError, timeout, notConnected.
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self.effects: dict[str, Effect] = {
            "SetChargingProfile": charging_profiles.on_set_answered,
            "ClearChargingProfile": charging_profiles.on_clear_answered,
            # GetConfiguration, ChangeConfiguration: registered by ConfigurationService;
            # SendLocalList and GetLocalListVersion: LocalListService; ReserveNow,
            # CancelReservation: ReservationService; TriggerMessage: TriggerService.
        }

    def register_effect(self, action: str, effect: Effect) -> None:
        """Let a domain service record what an answer to `action` means."""
        self.effects[action] = effect

    def register_check(self, action: str, check: Check) -> None:
        """Let a domain service refuse a schema-valid `action` request before it is sent."""
        self.checks[action] = check

    async def ask(
        self, charge_point_id: str, request: CsmsRequest, answer_type: type[C], *, timeout: float
    ) -> C:
        """Send a typed request the way `send` does and return its typed answer."""
        result, answer = await self._send(
            charge_point_id, request.action, unparse(request), request, timeout
        )
        if isinstance(answer, answer_type):  # typed already for its effect
            return answer
        return _answer(result.payload, answer_type)

    async def send(
        self, charge_point_id: str, action: str, payload: Any, *, timeout: float
    ) -> CommandResult:
        """Send an operator's request as it is (checked against its schema only)."""
        typed = COMMANDS.get(action)
        # None: a schema-valid request beyond what the CSMS records (a negative connector, an
        # id past 32 bits). It is sent as it is (an operator may send what a charge point
        # will refuse), and its answer is relayed but means nothing to the records.
        request = _request(payload, typed[0]) if typed else None
        result, _ = await self._send(charge_point_id, action, payload, request, timeout)
        return result

    async def _send(
        self,
        charge_point_id: str,
        action: str,
        payload: Any,
        request: CsmsRequest | None,
        timeout: float,
    ) -> tuple[CommandResult, Confirmation | None]:
        """The command path of both: the result, and the typed answer when an effect or
        a remote start read it."""
        charge_point = await self.charge_points.get(charge_point_id)
        self.gateway.check_request(action, payload)
        check = self.checks.get(action)
        if check is not None:
            await check(charge_point_id, payload)
        if not self.gateway.is_connected(charge_point_id):
            raise Conflict(f"Charge point {charge_point_id!r} is not connected")
        if charge_point.boot_status == RegistrationStatus.rejected.value:
            raise Conflict(
                f"Charge point {charge_point_id!r} was Rejected at its last boot: "
                "the CSMS sends it nothing (OCPP 1.6, 4.2)"
            )
        pending = charge_point.boot_status == RegistrationStatus.pending.value
        if pending and action in NOT_ALLOWED_WHILE_PENDING:
            raise Conflict(
                f"{action} is not allowed while charge point {charge_point_id!r} is Pending "
                "(OCPP 1.6, 4.2)"
            )
        remote_start_id = None
        if isinstance(request, RemoteStartTransactionReq):
            remote_start_id = await self.remote_starts.open(
                charge_point_id, request.connector_id, request.id_tag
            )
            if request.charging_profile is not None:
                await self.charging_profiles.hold_for_remote_start(
                    charge_point_id, remote_start_id, request.charging_profile
                )
        try:
            answer = await self.gateway.call(charge_point_id, action, payload, timeout)
        except (ChargePointCallError, ChargePointTimeout, Conflict) as exc:
            outcome = _OUTCOME[type(exc)]
            self.outcomes[action, outcome] += 1
            self.events.publish("commandFailed", charge_point_id, action=action, outcome=outcome)
            if remote_start_id is not None:
                await self.remote_starts.settle(remote_start_id, FAILED)
            raise
        self.outcomes[action, "answered"] += 1
        typed = COMMANDS.get(action)
        effect = self.effects.get(action)
        # Typed once, where something reads it: an effect, a remote start (and `ask`).
        needed = effect is not None or remote_start_id is not None
        typed_answer = (
            _answer(answer, typed[1]) if typed and request is not None and needed else None
        )
        if remote_start_id is not None:
            assert isinstance(typed_answer, RemoteStartTransactionConf)
            if typed_answer.status is not RemoteStartStopStatus.accepted:
                await self.remote_starts.settle(remote_start_id, REJECTED)
        if effect is not None:
            if typed is None:
                await effect(charge_point_id, payload, answer)
            elif typed_answer is not None:
                await effect(charge_point_id, request, typed_answer)
            else:
                log.warning(
                    "[%s] %s answered; its request is beyond what the CSMS records: "
                    "nothing recorded",
                    charge_point_id,
                    action,
                )
        log.info("[%s] %s answered %s", charge_point_id, action, answer.get("status", "-"))
        self.events.publish(
            "commandAnswered",
            charge_point_id,
            action=action,
            answer=answer,
            remoteStartId=remote_start_id,
        )
        return CommandResult(answer, remote_start_id), typed_answer


def _request(payload: Any, request_type: type[CsmsRequest]) -> Any:
    """A schema-valid request as its type, or None where it breaks the type's bounds."""
    try:
        return msgspec.convert(payload, request_type)
    except msgspec.ValidationError:
        return None


def _answer(payload: Any, answer_type: type[C]) -> C:
    """A schema-checked answer as its type; one that breaks the type's bounds is the charge
    point's error, reported like a CALLERROR."""
    try:
        return msgspec.convert(payload, answer_type)
    except msgspec.ValidationError as exc:
        raise ChargePointCallError(
            "PropertyConstraintViolation", f"answer does not fit {answer_type.__name__}: {exc}", {}
        ) from None
