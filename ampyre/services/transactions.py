"""Transactions and their meter values: the records billing depends on."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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

log = logging.getLogger("ampyre.transactions")

_INSERT_METER_VALUE = insert(MeterValue)


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
        for _attempt in range(3):
            try:
                async with self.db.sessions.begin() as session:
                    existing = await self._find_start(
                        session,
                        charge_point_id,
                        connector_id,
                        id_tag,
                        meter_start,
                        start_timestamp,
                    )
                    if existing is not None:
                        # The same StartTransaction again (a retry after a reconnect):
                        # the same transaction, not a second one.
                        info = await self.authorization.decide(session, charge_point_id, id_tag)
                        if existing.authorization_status == "ConcurrentTx":
                            info["status"] = "ConcurrentTx"
                        return existing.id, info
                    info = await self.authorization.decide_for_start(
                        session, charge_point_id, connector_id, id_tag
                    )
                    transaction = Transaction(
                        charge_point_id=charge_point_id,
                        connector_id=connector_id,
                        id_tag=id_tag,
                        id_tag_key=id_tag_key(id_tag),
                        authorization_status=info["status"],
                        reservation_id=request.get("reservationId"),
                        meter_start=meter_start,
                        start_timestamp=start_timestamp,
                        created_at=now(),
                    )
                    session.add(transaction)
                    await session.flush()
                    transaction.remote_start_id = await self.remote_starts.claim(
                        session,
                        charge_point_id,
                        connector_id,
                        id_tag_key(id_tag),
                        transaction.id,
                    )
                    if transaction.remote_start_id is not None:
                        # OCPP 1.6, 5.16.2: a RemoteStart's TxProfile is the transaction's.
                        await self.charging_profiles.install_held(
                            session,
                            charge_point_id,
                            transaction.remote_start_id,
                            connector_id,
                            transaction.id,
                        )
                    await self.reservations.use(
                        session, charge_point_id, transaction, info.get("parentIdTag")
                    )
                    log.info(
                        "[%s] transaction %d started on connector %d for %s (%s)",
                        charge_point_id,
                        transaction.id,
                        connector_id,
                        id_tag,
                        info["status"],
                    )
                    return transaction.id, info
            except IntegrityError:
                continue  # a concurrent duplicate won the race: read it on the next pass
        raise RuntimeError("StartTransaction could not be stored")

    async def stop(self, charge_point_id: str, request: dict[str, Any]) -> dict[str, Any] | None:
        transaction_id = int(request["transactionId"])
        stop_timestamp = parse_timestamp(request["timestamp"])
        id_tag = request.get("idTag")
        # OCPP 1.6, 7.45: a StopTransaction without a reason was stopped Locally.
        reason = request.get("reason") or "Local"
        transaction_data = request.get("transactionData") or []
        async with self.db.sessions.begin() as session:
            transaction = await session.get(Transaction, transaction_id)
            info = (
                await self.authorization.decide(session, charge_point_id, id_tag)
                if id_tag
                else None
            )
            if transaction is None or transaction.charge_point_id != charge_point_id:
                session.add(
                    UnmatchedStop(
                        charge_point_id=charge_point_id,
                        transaction_id=transaction_id,
                        id_tag=id_tag,
                        meter_stop=int(request["meterStop"]),
                        timestamp=stop_timestamp,
                        reason=reason,
                        transaction_data=transaction_data,
                        received_at=now(),
                    )
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
            transaction.meter_stop = int(request["meterStop"])
            transaction.stop_timestamp = stop_timestamp
            transaction.stop_reason = reason
            transaction.stop_id_tag = id_tag
            transaction.stopped_at = now()
            rows = _meter_value_rows(
                charge_point_id,
                transaction.connector_id,
                transaction_id,
                transaction_data,
                "StopTransaction",
            )
            if rows:
                await session.execute(_INSERT_METER_VALUE, rows)
            # TxProfiles end with their transaction (OCPP 1.6, 3.13.2).
            await session.execute(
                delete(InstalledChargingProfile).where(
                    InstalledChargingProfile.charge_point_id == charge_point_id,
                    InstalledChargingProfile.transaction_id == transaction_id,
                )
            )
            log.info(
                "[%s] transaction %d stopped (%s), %d Wh",
                charge_point_id,
                transaction_id,
                reason,
                transaction.meter_stop - transaction.meter_start,
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

    async def _find_start(
        self,
        session: AsyncSession,
        charge_point_id: str,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        start_timestamp: Any,
    ) -> Transaction | None:
        return await session.scalar(
            select(Transaction).where(
                Transaction.charge_point_id == charge_point_id,
                Transaction.connector_id == connector_id,
                Transaction.id_tag == id_tag,
                Transaction.meter_start == meter_start,
                Transaction.start_timestamp == start_timestamp,
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
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.order_by(Transaction.id.desc()).limit(limit).offset(offset)
            )
            return list(rows), int(total or 0)

    async def unmatched_stops(
        self, *, charge_point_id: str | None, limit: int, offset: int
    ) -> tuple[list[UnmatchedStop], int]:
        query = select(UnmatchedStop)
        if charge_point_id is not None:
            query = query.where(UnmatchedStop.charge_point_id == charge_point_id)
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.order_by(UnmatchedStop.id.desc()).limit(limit).offset(offset)
            )
            return list(rows), int(total or 0)


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
