"""Transactions and their meter values: the records billing depends on."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ampyre.services.authorization import AuthorizationService
from ampyre.services.charging_profiles import ChargingProfileService
from ampyre.services.clock import now, parse_timestamp
from ampyre.services.errors import NotFound
from ampyre.services.id_tags import id_tag_key
from ampyre.services.remote_starts import RemoteStartService
from ampyre.services.reservations import ReservationService
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.models import MeterValue, Transaction, UnmatchedStop
from ampyre.storage.paging import fetch_page
from ampyre.storage.sql import Cursor

log = logging.getLogger("ampyre.transactions")

_transactions = repositories.transactions


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
        self, charge_point_id: str, request: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Assign a transaction id (always, also for an Invalid tag: OCPP 1.6, 4.8)."""
        connector_id = int(request["connectorId"])
        id_tag = request["idTag"]
        meter_start = int(request["meterStart"])
        start_timestamp = parse_timestamp(request["timestamp"])
        reservation_id = request.get("reservationId")

        def unit(cursor: Cursor) -> tuple[int, dict[str, Any], bool]:
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
                authorization_status=info["status"],
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
                if existing[1] == "ConcurrentTx":
                    info["status"] = "ConcurrentTx"
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
            info["status"],
        )
        return transaction_id, info

    async def _link(
        self,
        charge_point_id: str,
        transaction_id: int,
        connector_id: int,
        id_tag: str,
        info: dict[str, Any],
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
            await self.reservations.use(
                session, charge_point_id, transaction, info.get("parentIdTag")
            )

    async def stop(self, charge_point_id: str, request: dict[str, Any]) -> dict[str, Any] | None:
        transaction_id = int(request["transactionId"])
        stop_timestamp = parse_timestamp(request["timestamp"])
        id_tag = request.get("idTag")
        meter_stop = int(request["meterStop"])
        # OCPP 1.6, 7.45: a StopTransaction without a reason was stopped Locally.
        reason = request.get("reason") or "Local"
        transaction_data = request.get("transactionData") or []
        values = _meter_values(transaction_data)

        def unit(cursor: Cursor) -> tuple[dict[str, Any] | None, bool, int]:
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
                        transaction_data=transaction_data,
                        received_at=moment,
                    )
                    return info, False, 0
            if (
                info is not None
                and info["status"] == "Invalid"
                and transaction.remote_start_id is not None
                and id_tag_key(id_tag or "") == transaction.id_tag_key
            ):
                # The virtual token of a remote start stays valid for its own transaction.
                info = {"status": "Accepted"}
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

    async def record_meter_values(self, charge_point_id: str, request: dict[str, Any]) -> None:
        values = _meter_values(request.get("meterValue") or [])
        if not values:
            return
        connector_id = int(request["connectorId"])
        transaction_id = request.get("transactionId")
        await self.db.commits.run(
            lambda cursor: _transactions.insert_meter_values(
                cursor, charge_point_id, connector_id, transaction_id, values, "MeterValues", now()
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
        charge_point_id: str | None,
        active: bool | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Transaction], int]:
        query = select(Transaction)
        if charge_point_id is not None:
            query = query.where(Transaction.charge_point_id == charge_point_id)
        if active is True:
            query = query.where(Transaction.stop_timestamp.is_(None))
        elif active is False:
            query = query.where(Transaction.stop_timestamp.is_not(None))
        return await fetch_page(
            self.db.sessions, query, Transaction.id.desc(), limit=limit, offset=offset
        )

    async def unmatched_stops(
        self, *, charge_point_id: str | None, limit: int, offset: int
    ) -> tuple[list[UnmatchedStop], int]:
        query = select(UnmatchedStop)
        if charge_point_id is not None:
            query = query.where(UnmatchedStop.charge_point_id == charge_point_id)
        return await fetch_page(
            self.db.sessions, query, UnmatchedStop.id.desc(), limit=limit, offset=offset
        )


def _meter_values(meter_values: list[dict[str, Any]]) -> list[tuple[Any, list[Any]]]:
    """(timestamp, sampled values) of an OCPP meterValue (or transactionData) list."""
    return [
        (parse_timestamp(value["timestamp"]), value.get("sampledValue") or [])
        for value in meter_values
    ]
