"""Transactions and their meter values: the records billing depends on."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ampyre.services.authorization import AuthorizationService
from ampyre.services.charging_profiles import ChargingProfileService
from ampyre.services.clock import now, parse_timestamp
from ampyre.services.errors import NotFound
from ampyre.services.id_tags import id_tag_key
from ampyre.services.remote_starts import RemoteStartService
from ampyre.services.reservations import ReservationService
from ampyre.storage.database import Database
from ampyre.storage.models import (
    InstalledChargingProfile,
    MeterValue,
    Transaction,
    UnmatchedStop,
)
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.transactions")

_INSERT_METER_VALUE = insert(MeterValue)

# The statements of StartTransaction and StopTransaction, built once and run on a plain
# connection: the ORM unit of work was most of these messages' CPU cost.

#: The transaction a repeated StartTransaction already made (uq_transactions_start).
_FIND_START = select(Transaction.id, Transaction.authorization_status).where(
    Transaction.charge_point_id == bindparam("charge_point_id"),
    Transaction.connector_id == bindparam("connector_id"),
    Transaction.id_tag == bindparam("id_tag"),
    Transaction.meter_start == bindparam("meter_start"),
    Transaction.start_timestamp == bindparam("start_timestamp"),
)
_INSERT_TRANSACTION = insert(Transaction).returning(Transaction.id)
# (An UPDATE's bind names must differ from the table's column names.)
_SET_REMOTE_START = (
    update(Transaction)
    .where(Transaction.id == bindparam("transaction_id"))
    .values(remote_start_id=bindparam("claimed_remote_start_id"))
)
_TRANSACTION_FOR_STOP = select(
    Transaction.charge_point_id,
    Transaction.connector_id,
    Transaction.id_tag_key,
    Transaction.remote_start_id,
    Transaction.meter_start,
    Transaction.stop_timestamp,
).where(Transaction.id == bindparam("id"))
_STOP_TRANSACTION = (
    update(Transaction)
    .where(Transaction.id == bindparam("transaction_id"))
    .values(
        meter_stop=bindparam("new_meter_stop"),
        stop_timestamp=bindparam("new_stop_timestamp"),
        stop_reason=bindparam("new_stop_reason"),
        stop_id_tag=bindparam("new_stop_id_tag"),
        stopped_at=bindparam("new_stopped_at"),
    )
)
_INSERT_UNMATCHED_STOP = insert(UnmatchedStop)
_DELETE_TX_PROFILES = delete(InstalledChargingProfile).where(
    InstalledChargingProfile.charge_point_id == bindparam("charge_point_id"),
    InstalledChargingProfile.transaction_id == bindparam("transaction_id"),
)


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
        values = {
            "charge_point_id": charge_point_id,
            "connector_id": connector_id,
            "id_tag": id_tag,
            "id_tag_key": id_tag_key(id_tag),
            "reservation_id": request.get("reservationId"),
            "meter_start": meter_start,
            "start_timestamp": start_timestamp,
        }
        for _attempt in range(3):
            try:
                async with self.db.sessions.write() as connection:
                    existing = (await connection.execute(_FIND_START, values)).first()
                    if existing is not None:
                        # The same StartTransaction again (a retry after a reconnect):
                        # the same transaction, not a second one.
                        info = await self.authorization.decide(connection, charge_point_id, id_tag)
                        if existing.authorization_status == "ConcurrentTx":
                            info["status"] = "ConcurrentTx"
                        return existing.id, info
                    info = await self.authorization.decide_for_start(
                        connection, charge_point_id, connector_id, id_tag
                    )
                    transaction_id = await self._insert(connection, values, info["status"])
                    await self._link(connection, charge_point_id, transaction_id, values, info)
                    log.info(
                        "[%s] transaction %d started on connector %d for %s (%s)",
                        charge_point_id,
                        transaction_id,
                        connector_id,
                        id_tag,
                        info["status"],
                    )
                    return transaction_id, info
            except IntegrityError:
                continue  # a concurrent duplicate won the race: read it on the next pass
        raise RuntimeError("StartTransaction could not be stored")

    async def _insert(
        self, connection: AsyncConnection, values: dict[str, Any], authorization_status: str
    ) -> int:
        row = {**values, "authorization_status": authorization_status, "created_at": now()}
        return int((await connection.execute(_INSERT_TRANSACTION, row)).scalar_one())

    async def _link(
        self,
        connection: AsyncConnection,
        charge_point_id: str,
        transaction_id: int,
        values: dict[str, Any],
        info: dict[str, Any],
    ) -> None:
        """Link a new transaction to the remote start and reservation it ends.

        Cheap Core checks come first; the ORM work (a session joined to the connection's
        transaction) runs only when a remote start or reservation can match, which most
        StartTransactions never meet.
        """
        connector_id = values["connector_id"]
        remote_start_id = await self.remote_starts.claim(
            connection, charge_point_id, connector_id, values["id_tag_key"], transaction_id
        )
        if remote_start_id is not None:
            await connection.execute(
                _SET_REMOTE_START,
                {"transaction_id": transaction_id, "claimed_remote_start_id": remote_start_id},
            )
        if remote_start_id is None and not await self.reservations.may_be_used(
            connection,
            charge_point_id,
            connector_id,
            values["reservation_id"],
            values["start_timestamp"],
        ):
            return
        async with AsyncSession(bind=connection, expire_on_commit=False) as session:
            if remote_start_id is not None:
                # OCPP 1.6, 5.16.2: a RemoteStart's TxProfile is the transaction's.
                await self.charging_profiles.install_held(
                    session, charge_point_id, remote_start_id, connector_id, transaction_id
                )
            transaction = await session.get(Transaction, transaction_id)
            assert transaction is not None  # inserted just above, in this transaction
            await self.reservations.use(
                session, charge_point_id, transaction, info.get("parentIdTag")
            )
            # Flushes into the connection's transaction; the connection commits it.
            await session.commit()

    async def stop(self, charge_point_id: str, request: dict[str, Any]) -> dict[str, Any] | None:
        transaction_id = int(request["transactionId"])
        stop_timestamp = parse_timestamp(request["timestamp"])
        id_tag = request.get("idTag")
        # OCPP 1.6, 7.45: a StopTransaction without a reason was stopped Locally.
        reason = request.get("reason") or "Local"
        transaction_data = request.get("transactionData") or []
        async with self.db.sessions.write() as connection:
            transaction = (
                await connection.execute(_TRANSACTION_FOR_STOP, {"id": transaction_id})
            ).first()
            info = (
                await self.authorization.decide(connection, charge_point_id, id_tag)
                if id_tag
                else None
            )
            if transaction is None or transaction.charge_point_id != charge_point_id:
                await connection.execute(
                    _INSERT_UNMATCHED_STOP,
                    {
                        "charge_point_id": charge_point_id,
                        "transaction_id": transaction_id,
                        "id_tag": id_tag,
                        "meter_stop": int(request["meterStop"]),
                        "timestamp": stop_timestamp,
                        "reason": reason,
                        "transaction_data": transaction_data,
                        "received_at": now(),
                    },
                )
                log.warning(
                    "[%s] StopTransaction for unknown transaction %d recorded",
                    charge_point_id,
                    transaction_id,
                )
                return info
            if (
                info is not None
                and info["status"] == "Invalid"
                and transaction.remote_start_id is not None
                and id_tag_key(id_tag or "") == transaction.id_tag_key
            ):
                # The virtual token of a remote start stays valid for its own transaction.
                info = {"status": "Accepted"}
            if transaction.stop_timestamp is not None:
                return info  # already stopped: a retried StopTransaction changes nothing
            meter_stop = int(request["meterStop"])
            await connection.execute(
                _STOP_TRANSACTION,
                {
                    "transaction_id": transaction_id,
                    "new_meter_stop": meter_stop,
                    "new_stop_timestamp": stop_timestamp,
                    "new_stop_reason": reason,
                    "new_stop_id_tag": id_tag,
                    "new_stopped_at": now(),
                },
            )
            rows = _meter_value_rows(
                charge_point_id,
                transaction.connector_id,
                transaction_id,
                transaction_data,
                "StopTransaction",
            )
            if rows:
                await connection.execute(_INSERT_METER_VALUE, rows)
            # TxProfiles end with their transaction (OCPP 1.6, 3.13.2).
            await connection.execute(
                _DELETE_TX_PROFILES,
                {"charge_point_id": charge_point_id, "transaction_id": transaction_id},
            )
            log.info(
                "[%s] transaction %d stopped (%s), %d Wh",
                charge_point_id,
                transaction_id,
                reason,
                meter_stop - transaction.meter_start,
            )
        return info

    async def record_meter_values(self, charge_point_id: str, request: dict[str, Any]) -> None:
        """Store the values with one Core INSERT on a plain connection: the ORM unit of
        work would be most of the cost of a message that only adds rows."""
        rows = _meter_value_rows(
            charge_point_id,
            int(request["connectorId"]),
            request.get("transactionId"),
            request.get("meterValue") or [],
            "MeterValues",
        )
        if not rows:
            return
        async with self.db.sessions.write() as connection:
            await connection.execute(_INSERT_METER_VALUE, rows)

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


def _meter_value_rows(
    charge_point_id: str,
    connector_id: int,
    transaction_id: int | None,
    meter_values: list[dict[str, Any]],
    source: str,
) -> list[dict[str, Any]]:
    """The meter_values rows of an OCPP meterValue (or transactionData) list."""
    received = now()
    return [
        {
            "charge_point_id": charge_point_id,
            "connector_id": connector_id,
            "transaction_id": transaction_id,
            "timestamp": parse_timestamp(value["timestamp"]),
            "sampled_value": value.get("sampledValue") or [],
            "source": source,
            "received_at": received,
        }
        for value in meter_values
    ]
