"""The life of an UpdateFirmware or GetDiagnostics attempt, common to both.

An attempt is recorded (status Sending) before its request goes out, because the charge
point may report progress before the CSMS has processed its answer: the notification and
the CALLRESULT travel on the same socket but are handled by different tasks. The answer
then marks it Sent (or Rejected / Error), and each status notification is stored and
moves the charge point's latest sent attempt along.

OCPP 1.6 gives notifications no reference to the request they report on (4.4, 4.5), so
"the latest attempt sent to that charge point" is the only link there is. A newer attempt
therefore supersedes older unfinished ones: the charge point reports on one at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.ocpp.v16.csms_messages import CsmsRequest
from ampyre.ocpp.v16.messages import unparse
from ampyre.services.clock import now
from ampyre.services.commands import CommandService
from ampyre.services.errors import (
    ChargePointCallError,
    ChargePointTimeout,
    Conflict,
    DomainError,
)
from ampyre.services.lookup import get_or_not_found
from ampyre.storage.database import Database
from ampyre.storage.paging import fetch_page

#: Attempts not (yet) sent, or refused outright: no notification reports on them.
NOT_REPORTED_ON = frozenset({"Pending", "Offline", "Cancelled", "Rejected"})
#: An attempt sent through the generic commands endpoint is recorded only after the answer;
#: unlinked notifications that came in this shortly before are taken to be about it.
ADOPTION_WINDOW = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class AttemptKind:
    """What tells one kind of attempt from the other."""

    action: str
    noun: str
    #: Statuses after which the attempt is over (finished_at is set).
    terminal: frozenset[str]
    #: Terminal statuses a later notification may reopen: the charge point retried after
    #: reporting a failure, or the answer that timed out did reach it after all.
    reopenable: frozenset[str]


class AttemptTracker:
    """Records attempts of one kind (`attempt_model`) and their notifications (`event_model`).

    Both models are of the same shape: attempts have charge_point_id, status, error,
    requested_at, sent_at, updated_at and finished_at; events have charge_point_id, status,
    received_at and the attempt id in the column named by `event_link`. `scope` (a condition
    on the attempt model) keeps apart two kinds sharing a table, whose notifications report
    on their own kind only (GetDiagnostics and GetLog).
    """

    def __init__(
        self,
        db: Database,
        commands: CommandService,
        kind: AttemptKind,
        attempt_model: type[Any],
        event_model: type[Any],
        event_link: str,
        scope: ColumnElement[bool] | None = None,
    ) -> None:
        self.db = db
        self.scope = scope if scope is not None else true()
        self.commands = commands
        self.kind = kind
        self.attempt_model = attempt_model
        self.event_model = event_model
        self.event_link = event_link
        # The attempt an operator endpoint is sending right now, for the command effect
        # (which runs inside commands.send, in the same task) to complete.
        self._sending: ContextVar[int | None] = ContextVar(f"{kind.action}_attempt", default=None)

    async def open(self, charge_point_id: str, unsent: CsmsRequest, **columns: Any) -> Any:
        """Record an attempt about to be sent (Sending), once what commands.send would
        refuse of its request (`unsent`: its id, if it carries one, not known yet) has been
        refused before anything is recorded."""
        self.commands.gateway.check_request(unsent.action, unparse(unsent))
        if not self.commands.gateway.is_connected(charge_point_id):
            raise Conflict(f"Charge point {charge_point_id!r} is not connected")
        return await self.create(charge_point_id, "Sending", **columns)

    def new(self, charge_point_id: str, status: str, **columns: Any) -> Any:
        """An attempt not yet stored (for the caller's own transaction)."""
        timestamp = now()
        return self.attempt_model(
            charge_point_id=charge_point_id,
            status=status,
            requested_at=timestamp,
            updated_at=timestamp,
            **columns,
        )

    async def create(self, charge_point_id: str, status: str, **columns: Any) -> Any:
        attempt = self.new(charge_point_id, status, **columns)
        async with self.db.sessions.begin() as session:
            session.add(attempt)
            await session.flush()
        return attempt

    async def send(
        self,
        attempt_id: int,
        charge_point_id: str,
        request: CsmsRequest,
        timeout: float,
        *,
        keep_if_offline: bool = False,
    ) -> None:
        """Send the attempt's request through the one command path, recording how it went.

        The registered command effect completes the attempt from the answer; a CALLERROR
        makes it Rejected, no answer or a refusal by the CSMS itself makes it Error. With
        `keep_if_offline`, an attempt whose charge point is not connected stays open as
        Offline, to be sent when it is. Errors are re-raised.
        """
        await self._set(attempt_id, status="Sending", sent_at=now(), error=None)
        token = self._sending.set(attempt_id)
        try:
            await self.commands.send(
                charge_point_id, request.action, unparse(request), timeout=timeout
            )
        except ChargePointCallError as exc:
            await self.finish(attempt_id, "Rejected", f"{exc.code}: {exc.description}")
            raise
        except ChargePointTimeout:
            await self.finish(attempt_id, "Error", f"no answer within {timeout:g} s")
            raise
        except Conflict as exc:
            if keep_if_offline and not self.commands.gateway.is_connected(charge_point_id):
                await self._set(attempt_id, status="Offline", sent_at=None, error=exc.detail)
            else:
                await self.finish(attempt_id, "Error", exc.detail)
            raise
        except DomainError as exc:  # refused before sending (schema, unknown charge point)
            await self.finish(attempt_id, "Error", exc.detail)
            raise
        finally:
            self._sending.reset(token)

    def sending_now(self) -> int | None:
        """The attempt being sent by `send` in this task, if any (for the command effect)."""
        return self._sending.get()

    async def complete(
        self,
        charge_point_id: str,
        status: str,
        recorded: Callable[[], Awaitable[dict[str, Any]]],
        **columns: Any,
    ) -> None:
        """The command effect: the charge point's answer makes the attempt `status` (with
        `columns` from the answer). An attempt sent through the generic commands endpoint,
        not by `send`, is recorded only now, with the columns `recorded` reads from its
        request, and takes the notifications that came before it."""
        attempt_id = self.sending_now()
        if attempt_id is not None:
            await self.answered(attempt_id, status, **columns)
            return
        attempt = await self.create(charge_point_id, "Sending", **await recorded(), sent_at=now())
        await self.answered(attempt.id, status, **columns)
        await self.adopt_recent_notifications(attempt.id)

    async def answered(self, attempt_id: int, status: str, **columns: Any) -> None:
        """The charge point answered: the attempt is `status` unless progress overtook it."""
        timestamp = now()
        async with self.db.sessions.begin() as session:
            attempt = await session.get(self.attempt_model, attempt_id)
            if attempt is None:
                return
            for name, value in columns.items():
                setattr(attempt, name, value)
            if attempt.sent_at is None:
                attempt.sent_at = timestamp
            if attempt.status == "Sending":
                self._apply(attempt, status, timestamp)
            await self._supersede_older(session, attempt)

    async def finish(self, attempt_id: int, status: str, error: str | None = None) -> None:
        await self._set(attempt_id, status=status, error=error, finished_at=now())

    async def record_notification(self, charge_point_id: str, status: str) -> int | None:
        """Store a status notification and move the attempt it reports on; returns its id."""
        timestamp = now()
        async with self.db.sessions.begin() as session:
            attempt = await self._reported_on(session, charge_point_id, status)
            session.add(
                self.event_model(
                    charge_point_id=charge_point_id,
                    status=status,
                    received_at=timestamp,
                    **{self.event_link: attempt.id if attempt is not None else None},
                )
            )
            if attempt is None:
                return None
            self._apply(attempt, status, timestamp)
            return int(attempt.id)

    async def adopt_recent_notifications(self, attempt_id: int) -> None:
        """Link notifications that arrived, unlinked, while the attempt's answer was on its way."""
        since = now() - ADOPTION_WINDOW
        link = getattr(self.event_model, self.event_link)
        async with self.db.sessions.begin() as session:
            attempt = await session.get(self.attempt_model, attempt_id)
            if attempt is None:
                return
            events = list(
                await session.scalars(
                    select(self.event_model)
                    .where(
                        self.event_model.charge_point_id == attempt.charge_point_id,
                        link.is_(None),
                        self.event_model.received_at >= since,
                        self.event_model.status != "Idle",
                    )
                    .order_by(self.event_model.id)
                )
            )
            for event in events:
                setattr(event, self.event_link, attempt.id)
                self._apply(attempt, event.status, event.received_at)

    async def get(self, charge_point_id: str, attempt_id: int) -> Any:
        async with self.db.sessions() as session:
            return await get_or_not_found(
                session,
                self.attempt_model,
                attempt_id,
                f"{self.kind.noun} {attempt_id}",
                charge_point_id=charge_point_id,
            )

    async def page(self, charge_point_id: str, *, limit: int, offset: int) -> tuple[list[Any], int]:
        """A charge point's attempts, newest first."""
        model = self.attempt_model
        query = select(model).where(model.charge_point_id == charge_point_id, self.scope)
        return await fetch_page(
            self.db.sessions, query, model.id.desc(), limit=limit, offset=offset
        )

    async def events_for(self, attempt_ids: Sequence[int]) -> dict[int, list[Any]]:
        """The notifications of each attempt, oldest first."""
        if not attempt_ids:
            return {}
        link = getattr(self.event_model, self.event_link)
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(self.event_model)
                .where(link.in_(list(attempt_ids)))
                .order_by(self.event_model.id)
            )
            grouped: dict[int, list[Any]] = {attempt_id: [] for attempt_id in attempt_ids}
            for row in rows:
                grouped[getattr(row, self.event_link)].append(row)
            return grouped

    def _apply(self, attempt: Any, status: str, at: Any) -> None:
        # Idle is only ever an answer to TriggerMessage (OCPP 1.6, 7.24 / 7.25): it says the
        # charge point is busy with nothing, which before retrieveDate is no news.
        if status == "Idle":
            return
        attempt.status = status
        attempt.updated_at = at
        attempt.finished_at = at if status in self.kind.terminal else None

    async def _reported_on(self, session: AsyncSession, charge_point_id: str, status: str) -> Any:
        model = self.attempt_model
        latest = await session.scalar(
            select(model)
            .where(
                model.charge_point_id == charge_point_id,
                model.sent_at.is_not(None),
                model.status.not_in(NOT_REPORTED_ON),
                self.scope,
            )
            .order_by(model.sent_at.desc(), model.id.desc())
            .limit(1)
        )
        if latest is None:
            return None
        if latest.finished_at is None:
            return latest
        if latest.status in self.kind.reopenable and status != "Idle":
            return latest
        return None

    async def _supersede_older(self, session: AsyncSession, attempt: Any) -> None:
        model = self.attempt_model
        timestamp = now()
        await session.execute(
            update(model)
            .where(
                model.charge_point_id == attempt.charge_point_id,
                model.id != attempt.id,
                model.sent_at.is_not(None),
                model.sent_at <= attempt.sent_at,
                model.finished_at.is_(None),
                model.status.not_in(("Pending", "Offline")),
                self.scope,
            )
            .values(status="Superseded", updated_at=timestamp, finished_at=timestamp)
        )

    async def _set(self, attempt_id: int, **values: Any) -> None:
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(self.attempt_model)
                .where(self.attempt_model.id == attempt_id)
                .values(updated_at=now(), **values)
            )


def mask_password(location: str) -> str:
    """A location as the history shows it: an FTP or HTTP password in it replaced by ***."""
    parts = urlsplit(location)
    if parts.password is None:
        return location
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
