"""Remote Trigger (OCPP 1.6, 5.17 Trigger Message; errata v4 3.35, 3.40).

Every TriggerMessage is recorded with the charge point's answer, whether the operator used
`POST /charge-points/{id}/trigger` or the generic commands endpoint. An accepted trigger
opens an arrival window in which the requested message is awaited:

- the message arriving in the window is noted on the record (one the charge point sent on
  its own in that time counts too: 5.17 "MAY be considered as complying with the request");
- while the charge point is Pending, the window is what lets that message through (4.2:
  a Pending charge point sends nothing "unless it has been instructed ... with a
  TriggerMessage.req"). A trigger for one message lets one through; a StatusNotification or
  MeterValues trigger without connectorId asks for one per connector (5.17), so it lets
  them through until the window closes.

The windows live in memory: they are short, and only this server process handles the
charge point's messages.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from ocpp.v16.enums import MessageTrigger, RegistrationStatus, TriggerMessageStatus
from sqlalchemy import select, update

from ampyre.ocpp.v16.csms_messages.remote_trigger import TriggerMessageConf, TriggerMessageReq
from ampyre.ocpp.v16.errors import NotImplementedError_, NotSupportedError
from ampyre.services.charge_points import ChargePointService
from ampyre.services.clock import now
from ampyre.services.commands import CommandService
from ampyre.services.errors import ChargePointCallError, ChargePointTimeout, Conflict
from ampyre.storage.database import Database
from ampyre.storage.models import TriggerRequest
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.triggers")

#: MessageTrigger (7.39): what a TriggerMessage may ask for.
RequestedMessage = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]
TRIGGERABLE: tuple[str, ...] = get_args(RequestedMessage)
#: The requested messages a connectorId applies to; it is ignored for the others (5.17).
PER_CONNECTOR = frozenset({"MeterValues", "StatusNotification"})
#: CALLERRORs by which a charge point without the Remote Trigger profile refuses.
UNSUPPORTED = frozenset({NotImplementedError_.code, NotSupportedError.code})


#: How far apart the holding node's window and the other node's record of the same answer
#: may be stamped (clocks of the nodes), and how soon an unfound record is looked for again.
LINK_TOLERANCE = timedelta(seconds=5)
LINK_RETRY = 0.1


def _spawn(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Future[None]] = set()


@dataclass(slots=True, eq=False)
class ArrivalWindow:
    """The time in which a triggered message is awaited, and what arrived in it."""

    charge_point_id: str
    #: The TriggerMessage.req that was answered Accepted.
    requested: TriggerMessageReq
    opened_at: datetime
    closes_at: datetime
    #: Taken by the record of the answer that opened it (set before that record exists).
    claimed: bool = False
    record_id: int | None = None
    arrivals: int = 0
    first_arrival: datetime | None = None
    #: Whether a Pending charge point's message was already let through on it.
    admitted: bool = False

    @property
    def message(self) -> str:
        return self.requested.requested_message.value

    @property
    def connector_id(self) -> int | None:
        return self.requested.connector_id

    @property
    def for_every_connector(self) -> bool:
        return self.connector_id is None and self.message in PER_CONNECTOR

    def matches(self, action: str, connector_id: int | None) -> bool:
        """Whether a message is the one triggered (`connector_id`: the message's, if any)."""
        if action != self.message:
            return False
        if self.message in PER_CONNECTOR and self.connector_id is not None:
            return connector_id == self.connector_id
        return True


@dataclass(slots=True)
class _Sending:
    """A trigger `TriggerService.trigger` is sending. The effect that records its answer
    runs inside that send, and hands the record back through this."""

    charge_point_id: str
    request: TriggerMessageReq
    requested_at: datetime
    record: TriggerRequest | None = None


_sending: contextvars.ContextVar[_Sending | None] = contextvars.ContextVar(
    "ampyre_trigger_sending", default=None
)


class TriggerService:
    def __init__(
        self,
        db: Database,
        charge_points: ChargePointService,
        commands: CommandService,
        *,
        arrival_window: float,
    ) -> None:
        self.db = db
        self.charge_points = charge_points
        self.commands = commands
        self.arrival_window = timedelta(seconds=arrival_window)
        self._windows: dict[str, list[ArrivalWindow]] = {}
        commands.register_check("TriggerMessage", self.check_trigger_request)
        commands.register_effect("TriggerMessage", self.on_trigger_answered)

    async def trigger(
        self,
        charge_point_id: str,
        requested_message: str,
        connector_id: int | None,
        *,
        timeout: float,
    ) -> TriggerRequest:
        """Send TriggerMessage and record the outcome.

        A CALLERROR NotImplemented/NotSupported is the charge point saying it has no Remote
        Trigger profile: recorded and returned as status NotImplemented. Other CALLERRORs
        and timeouts are recorded and raised.
        """
        request = TriggerMessageReq(MessageTrigger(requested_message), connector_id)
        sending = _Sending(charge_point_id, request, now())
        token = _sending.set(sending)
        try:
            await self.commands.ask(charge_point_id, request, TriggerMessageConf, timeout=timeout)
        except ChargePointCallError as exc:
            unsupported = exc.code in UNSUPPORTED
            record = await self._record(
                charge_point_id,
                request,
                TriggerMessageStatus.not_implemented.value if unsupported else "CallError",
                requested_at=sending.requested_at,
                error_code=exc.code,
                error_description=exc.description,
            )
            if unsupported:
                return record
            raise
        except ChargePointTimeout:
            await self._record(
                charge_point_id, request, "TimedOut", requested_at=sending.requested_at
            )
            raise
        finally:
            _sending.reset(token)
        if sending.record is None:
            raise RuntimeError("The TriggerMessage answer was not recorded")
        return sending.record

    async def check_trigger_request(self, charge_point_id: str, request: dict[str, Any]) -> None:
        """Errata v4 3.40: once the CSMS answered a BootNotification Accepted, it shall not
        trigger another until the charge point boots again (a charge point may refuse it
        anyway, 3.35). Also for the generic commands endpoint: nothing is sent."""
        if request.get("requestedMessage") != MessageTrigger.boot_notification.value:
            return
        charge_point = await self.charge_points.get(charge_point_id)
        if charge_point.boot_status == RegistrationStatus.accepted:
            raise Conflict(
                f"Charge point {charge_point_id!r} was Accepted at its last boot: the CSMS "
                "shall not trigger a BootNotification until the charge point boots again "
                "(OCPP 1.6 errata v4, 3.40)"
            )

    def on_answer_received(
        self, charge_point_id: str, request: TriggerMessageReq, response: TriggerMessageConf
    ) -> None:
        """Open the arrival window as the Accepted answer comes in: the charge point sends
        the message right after it (5.17), before the command's caller resumes."""
        if response.status is not TriggerMessageStatus.accepted:
            return
        opened = now()
        self._windows.setdefault(charge_point_id, []).append(
            ArrivalWindow(charge_point_id, request, opened, opened + self.arrival_window)
        )

    async def on_trigger_answered(
        self, charge_point_id: str, request: TriggerMessageReq, response: TriggerMessageConf
    ) -> None:
        """Record the answer (the effect of TriggerMessage, whichever endpoint sent it)."""
        status = response.status.value
        sending = _sending.get()
        if sending is not None and (sending.charge_point_id, sending.request) != (
            charge_point_id,
            request,
        ):
            sending = None
        accepted = response.status is TriggerMessageStatus.accepted
        window = self._claim_window(charge_point_id, request) if accepted else None
        record = await self._record(
            charge_point_id,
            request,
            status,
            requested_at=sending.requested_at if sending is not None else None,
            window=window,
        )
        if sending is not None:
            sending.record = record
        log.info(
            "[%s] TriggerMessage %s%s answered %s",
            charge_point_id,
            record.requested_message,
            f" (connector {record.connector_id})" if record.connector_id is not None else "",
            status,
        )

    def admits(self, charge_point_id: str, action: str, connector_id: int | None) -> bool:
        """Whether a Pending charge point's `action` is a message the CSMS asked for (4.2)."""
        for window in self._open_windows(charge_point_id):
            if window.matches(action, connector_id) and (
                window.for_every_connector or not window.admitted
            ):
                window.admitted = True
                return True
        return False

    def awaits_messages(self, charge_point_id: str) -> bool:
        """Whether an accepted TriggerMessage of this charge point may still be answered
        by a message (most messages are asked for by nobody: a dictionary lookup)."""
        return charge_point_id in self._windows

    async def note_message(
        self, charge_point_id: str, action: str, connector_id: int | None
    ) -> None:
        """Note a handled message (`connector_id`: the message's, if any) on the triggers
        that await it."""
        if action not in TRIGGERABLE:
            return
        for window in self._open_windows(charge_point_id):
            if not window.matches(action, connector_id):
                continue
            window.arrivals += 1
            if window.first_arrival is None:
                window.first_arrival = now()
            if window.record_id is not None:
                await self._store_arrivals(window)
            elif not window.claimed:
                await self._link(window)

    def close_ended_windows(self) -> None:
        """Forget the windows that closed (housekeeping for charge points gone quiet)."""
        for charge_point_id in list(self._windows):
            self._open_windows(charge_point_id)

    async def page(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[TriggerRequest], int]:
        query = select(TriggerRequest).where(TriggerRequest.charge_point_id == charge_point_id)
        return await fetch_page(
            self.db.sessions, query, TriggerRequest.id.desc(), limit=limit, offset=offset
        )

    # -- windows and records -------------------------------------------------------------

    def _open_windows(self, charge_point_id: str) -> list[ArrivalWindow]:
        windows = self._windows.get(charge_point_id)
        if not windows:
            return []
        current = now()
        still_open = [window for window in windows if window.closes_at > current]
        if still_open:
            self._windows[charge_point_id] = still_open
        else:
            del self._windows[charge_point_id]
        return still_open

    def _claim_window(
        self, charge_point_id: str, request: TriggerMessageReq
    ) -> ArrivalWindow | None:
        # Identical triggers sent at once may swap windows: they await the same message.
        for window in self._open_windows(charge_point_id):
            if not window.claimed and window.requested == request:
                window.claimed = True
                return window
        return None

    async def _record(
        self,
        charge_point_id: str,
        request: TriggerMessageReq,
        status: str,
        *,
        requested_at: datetime | None,
        window: ArrivalWindow | None = None,
        error_code: str | None = None,
        error_description: str | None = None,
    ) -> TriggerRequest:
        answered_at = None if status == "TimedOut" else now()
        expected_by = None
        if status == TriggerMessageStatus.accepted.value:
            # Without a window here, the charge point is connected to another node of the
            # cluster, which keeps the window and links its arrivals to this record.
            assert answered_at is not None
            expected_by = (
                window.closes_at if window is not None else answered_at + self.arrival_window
            )
        record = TriggerRequest(
            charge_point_id=charge_point_id,
            requested_message=request.requested_message.value,
            connector_id=request.connector_id,
            status=status,
            error_code=error_code,
            error_description=error_description,
            requested_at=requested_at or answered_at or now(),
            answered_at=answered_at,
            expected_by=expected_by,
            arrived_at=window.first_arrival if window is not None else None,
            arrivals=window.arrivals if window is not None else 0,
        )
        async with self.db.sessions.begin() as session:
            session.add(record)
            await session.flush()
        if window is not None:
            window.record_id = record.id
            if window.arrivals > record.arrivals:
                await self._store_arrivals(window)  # arrived while the record was written
        return record

    async def _link(self, window: ArrivalWindow, attempts: int = 30) -> None:
        """Find the record of a window's answer that another node wrote (the command came
        in there, the charge point is connected here) and store the arrivals on it. The
        record may not be written yet when the first message arrives: try again shortly."""
        async with self.db.sessions() as session:
            record_id = await session.scalar(
                select(TriggerRequest.id)
                .where(
                    TriggerRequest.charge_point_id == window.charge_point_id,
                    TriggerRequest.requested_message == window.message,
                    TriggerRequest.connector_id.is_(None)
                    if window.connector_id is None
                    else TriggerRequest.connector_id == window.connector_id,
                    TriggerRequest.status == TriggerMessageStatus.accepted.value,
                    TriggerRequest.answered_at >= window.opened_at - LINK_TOLERANCE,
                )
                .order_by(TriggerRequest.id.desc())
                .limit(1)
            )
        if record_id is not None:
            window.claimed = True
            window.record_id = record_id
            await self._store_arrivals(window)
        elif attempts > 1:
            loop = asyncio.get_running_loop()
            loop.call_later(LINK_RETRY, lambda: _spawn(self._link(window, attempts - 1)))

    async def _store_arrivals(self, window: ArrivalWindow) -> None:
        # Counts only grow: a slower write of an older count must not undo a newer one.
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(TriggerRequest)
                .where(
                    TriggerRequest.id == window.record_id,
                    TriggerRequest.arrivals < window.arrivals,
                )
                .values(arrivals=window.arrivals, arrived_at=window.first_arrival)
            )
