"""Transactions and their meter values: the records billing depends on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select

from ampyre.services.authorization import (
    ACCEPTED,
    CONCURRENT_TX,
    INVALID,
    Authorization,
    AuthorizationService,
)
from ampyre.services.charging_profiles import ChargingProfileService
from ampyre.services.clock import format_timestamp, now
from ampyre.services.errors import NotFound
from ampyre.services.id_tags import id_tag_key
from ampyre.services.listing import SortKey, order_by
from ampyre.services.remote_starts import RemoteStartService
from ampyre.services.reservations import ReservationService
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.models import MeterValue, Transaction, UnmatchedStop
from ampyre.storage.paging import fetch_page
from ampyre.storage.sql import Cursor

log = logging.getLogger("ampyre.transactions")

_transactions = repositories.transactions

#: OCPP 1.6, 7.45: a transaction stopped without a reason was stopped Locally.
DEFAULT_STOP_REASON = "Local"


class MeterReading(NamedTuple):
    """Values a meter sampled at one moment (OCPP 1.6's MeterValue).

    The sampled values are kept verbatim, as the charge point reported them: billing
    disputes are settled on them.
    """

    timestamp: datetime
    sampled_values: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """Which transactions a list holds; every given field must match."""

    charge_point_id: str | None = None
    id_tag: str | None = None
    #: Started at or after this time.
    started_from: datetime | None = None
    #: Started before this time.
    started_before: datetime | None = None
    #: Running (True) or stopped (False).
    active: bool | None = None

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.charge_point_id is not None:
            found.append(Transaction.charge_point_id == self.charge_point_id)
        if self.id_tag is not None:
            found.append(Transaction.id_tag_key == id_tag_key(self.id_tag))
        if self.started_from is not None:
            found.append(Transaction.start_timestamp >= self.started_from)
        if self.started_before is not None:
            found.append(Transaction.start_timestamp < self.started_before)
        if self.active is True:
            found.append(Transaction.stop_timestamp.is_(None))
        elif self.active is False:
            found.append(Transaction.stop_timestamp.is_not(None))
        return found


#: What a list of transactions may be sorted by (`SortKey.field`).
TRANSACTION_SORT: dict[str, Any] = {
    "transaction_id": Transaction.id,
    "charge_point_id": Transaction.charge_point_id,
    "id_tag": Transaction.id_tag,
    "start_timestamp": Transaction.start_timestamp,
    "stop_timestamp": Transaction.stop_timestamp,
    "energy_wh": Transaction.meter_stop - Transaction.meter_start,
}


class TransactionService:
    def __init__(
        self,
        db: Database,
        authorization: AuthorizationService,
        remote_starts: RemoteStartService,
        charging_profiles: ChargingProfileService,
        reservations: ReservationService,
    ) -> None:
        self.db = db
        self.authorization = authorization
        self.remote_starts = remote_starts
        self.charging_profiles = charging_profiles
        self.reservations = reservations

    async def start(
        self,
        charge_point_id: str,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        start_timestamp: datetime,
        reservation_id: int | None = None,
    ) -> tuple[int, Authorization]:
        """Assign a transaction id (always, also for an Invalid tag: OCPP 1.6, 4.8)."""

        def unit(cursor: Cursor) -> tuple[int, Authorization, bool]:
            info = self.authorization.decide_for_start(
                cursor, charge_point_id, connector_id, id_tag
            )
            moment = now()
            key = id_tag_key(id_tag)
            transaction_id = _transactions.insert(
                cursor,
                charge_point_id=charge_point_id,
                connector_id=connector_id,
                id_tag=id_tag,
                id_tag_key=key,
                authorization_status=info.status.value,
                reservation_id=reservation_id,
                meter_start=meter_start,
                start_timestamp=start_timestamp,
                created_at=moment,
            )
            if transaction_id is None:
                # The same StartTransaction again (a retry after a reconnect): the same
                # transaction, not a second one, answered as it was.
                existing = _transactions.find_start(
                    cursor, charge_point_id, connector_id, id_tag, meter_start, start_timestamp
                )
                assert existing is not None  # the insert met it
                info = self.authorization.decide(cursor, charge_point_id, id_tag)
                if existing[1] == CONCURRENT_TX:
                    info = Authorization(CONCURRENT_TX, info.expiry_date, info.parent_id_tag)
                return existing[0], info, False
            link = _transactions.may_need_linking(
                cursor, charge_point_id, connector_id, key, reservation_id, start_timestamp, moment
            )
            return transaction_id, info, link

        transaction_id, info, link = await self.db.commits.run(unit)
        if link:
            await self._link(charge_point_id, transaction_id, connector_id, id_tag, info)
        log.debug(
            "[%s] transaction %d started on connector %d for %s (%s)",
            charge_point_id,
            transaction_id,
            connector_id,
            id_tag,
            info.status.value,
        )
        return transaction_id, info

    async def _link(
        self,
        charge_point_id: str,
        transaction_id: int,
        connector_id: int,
        id_tag: str,
        info: Authorization,
    ) -> None:
        """Link a new transaction to the remote start and reservation it ends.

        Runs only when the start's unit of work found that one may match, which most
        StartTransactions never meet; the ORM work then runs in its own transaction.
        """
        async with self.db.sessions.begin() as session:
            remote_start_id = await self.remote_starts.claim(
                session, charge_point_id, connector_id, id_tag_key(id_tag), transaction_id
            )
            transaction = await session.get(Transaction, transaction_id)
            assert transaction is not None  # committed by the start's unit of work
            if remote_start_id is not None:
                transaction.remote_start_id = remote_start_id
                # OCPP 1.6, 5.16.2: a RemoteStart's TxProfile is the transaction's.
                await self.charging_profiles.install_held(
                    session, charge_point_id, remote_start_id, connector_id, transaction_id
                )
            await self.reservations.use(session, charge_point_id, transaction, info.parent_id_tag)

    async def stop(
        self,
        charge_point_id: str,
        transaction_id: int,
        meter_stop: int,
        stop_timestamp: datetime,
        *,
        id_tag: str | None = None,
        reason: str | None = None,
        readings: list[MeterReading] | None = None,
    ) -> Authorization | None:
        """Stop a transaction; the decision on the id tag that stopped it, if one did.

        A stop for a transaction this charge point does not have is kept as an unmatched
        stop, for the operator to reconcile.
        """
        reason = reason or DEFAULT_STOP_REASON
        values = readings or []

        def unit(cursor: Cursor) -> tuple[Authorization | None, bool, int]:
            info = self.authorization.decide(cursor, charge_point_id, id_tag) if id_tag else None
            moment = now()
            transaction = _transactions.stop(
                cursor,
                transaction_id,
                charge_point_id=charge_point_id,
                meter_stop=meter_stop,
                stop_timestamp=stop_timestamp,
                stop_reason=reason,
                stop_id_tag=id_tag,
                stopped_at=moment,
            )
            if transaction is None:
                transaction = _transactions.for_stop(cursor, transaction_id)
                if transaction is None or transaction.charge_point_id != charge_point_id:
                    _transactions.insert_unmatched_stop(
                        cursor,
                        charge_point_id=charge_point_id,
                        transaction_id=transaction_id,
                        id_tag=id_tag,
                        meter_stop=meter_stop,
                        timestamp=stop_timestamp,
                        reason=reason,
                        transaction_data=[
                            {"timestamp": format_timestamp(timestamp), "sampledValue": sampled}
                            for timestamp, sampled in values
                        ],
                        received_at=moment,
                    )
                    return info, False, 0
            if (
                info is not None
                and info.status is INVALID
                and transaction.remote_start_id is not None
                and id_tag_key(id_tag or "") == transaction.id_tag_key
            ):
                # The virtual token of a remote start stays valid for its own transaction.
                info = Authorization(ACCEPTED)
            if transaction.stopped:
                return info, True, 0  # already stopped: a retry changes nothing
            if values:
                _transactions.insert_meter_values(
                    cursor,
                    charge_point_id,
                    transaction.connector_id,
                    transaction_id,
                    values,
                    "StopTransaction",
                    moment,
                )
            return info, True, meter_stop - transaction.meter_start

        info, matched, energy = await self.db.commits.run(unit)
        if matched:
            log.debug(
                "[%s] transaction %d stopped (%s), %d Wh",
                charge_point_id,
                transaction_id,
                reason,
                energy,
            )
        else:
            log.warning(
                "[%s] StopTransaction for unknown transaction %d recorded",
                charge_point_id,
                transaction_id,
            )
        return info

    async def record_meter_values(
        self,
        charge_point_id: str,
        connector_id: int,
        readings: list[MeterReading],
        transaction_id: int | None = None,
    ) -> None:
        if not readings:
            return
        await self.db.commits.run(
            lambda cursor: _transactions.insert_meter_values(
                cursor,
                charge_point_id,
                connector_id,
                transaction_id,
                readings,
                "MeterValues",
                now(),
            )
        )

    async def get(self, transaction_id: int) -> tuple[Transaction, list[MeterValue]]:
        async with self.db.sessions() as session:
            transaction = await session.get(Transaction, transaction_id)
            if transaction is None:
                raise NotFound(f"Transaction {transaction_id} not found")
            values = await session.scalars(
                select(MeterValue)
                .where(
                    MeterValue.transaction_id == transaction_id,
                    MeterValue.charge_point_id == transaction.charge_point_id,
                )
                .order_by(MeterValue.timestamp, MeterValue.id)
            )
            return transaction, list(values)

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        where: TransactionFilter | None = None,
        sort: Sequence[SortKey] = (),
    ) -> tuple[list[Transaction], int]:
        """Newest first unless `sort` says otherwise."""
        query = select(Transaction).where(*(where.conditions() if where else ()))
        order = order_by(TRANSACTION_SORT, sort, Transaction.id.desc())
        return await fetch_page(self.db.sessions, query, *order, limit=limit, offset=offset)

    async def stream(
        self,
        where: TransactionFilter | None = None,
        sort: Sequence[SortKey] = (),
        *,
        batch: int = 500,
    ) -> AsyncIterator[Transaction]:
        """Every matching transaction, read `batch` rows at a time: an export of any size
        never holds more than one batch."""
        query = (
            select(Transaction)
            .where(*(where.conditions() if where else ()))
            .order_by(*order_by(TRANSACTION_SORT, sort, Transaction.id.desc()))
            .execution_options(yield_per=batch)
        )
        async with self.db.sessions() as session:
            rows = await session.stream_scalars(query)
            async for row in rows:
                yield row

    async def unmatched_stops(
        self, *, charge_point_id: str | None, limit: int, offset: int
    ) -> tuple[list[UnmatchedStop], int]:
        query = select(UnmatchedStop)
        if charge_point_id is not None:
            query = query.where(UnmatchedStop.charge_point_id == charge_point_id)
        return await fetch_page(
            self.db.sessions, query, UnmatchedStop.id.desc(), limit=limit, offset=offset
        )
