"""The charging sessions of a simulated charge point: StartTransaction, MeterValues and
StopTransaction with the StatusNotifications around them (Preparing, Charging, Finishing,
the idle status), the periodic meter values while a session runs, the current the charging
profiles let the EV draw, and the reservations a session uses up. This class continues
`sending`'s; like there, every message is its type of `ocpp.v16.messages`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import msgspec
from ocpp.v16.enums import AuthorizationStatus, ChargePointStatus, Reason

from ampyre.ocpp.v16.messages import (
    MeterValue,
    MeterValuesConf,
    MeterValuesReq,
    StartTransactionConf,
    StartTransactionReq,
    StopTransactionConf,
    StopTransactionReq,
)
from ampyre.ocpp.v16.timestamps import format_timestamp, now, timestamp_now
from ampyre.simulator.charging_profiles import ChargingProfileStore, TransactionContext
from ampyre.simulator.configuration import csl
from ampyre.simulator.connectors import Connector, Reservation, Transaction
from ampyre.simulator.errors import ConnectionLost, SimulatorError
from ampyre.simulator.meter import MAX_CURRENT, combined, sampled_values
from ampyre.simulator.sending import ChargePointMessages


class ChargingSessions(ChargePointMessages):
    """The session half of `SimulatedChargePoint` (see there for the attributes)."""

    charging_profiles: ChargingProfileStore
    _meter_tasks: dict[int, asyncio.Task[None]]

    if TYPE_CHECKING:

        @property
        def connector_count(self) -> int: ...

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        *,
        meter_start: int | None = None,
        reservation_id: int | None = None,
        timestamp: str | None = None,
        charging_profile: dict[str, Any] | None = None,
    ) -> StartTransactionConf:
        """Start a session: Preparing, StartTransaction, then Charging when accepted.

        `charging_profile` is a TxProfile for this transaction, as a RemoteStartTransaction
        may carry (OCPP 1.6, 5.16.2); it is installed with the transaction id once known.

        A reservation held by `id_tag` on this connector (or on connector 0) is used and
        ended. When the CSMS does not accept the idTag the charge point stops the session
        at once (reason DeAuthorized) if StopTransactionOnInvalidId is true, else suspends
        it. Returns the StartTransaction answer either way.
        """
        connector = self._session_connector(connector_id)
        if connector.transaction is not None:
            raise SimulatorError(
                f"connector {connector_id} already has transaction "
                f"{connector.transaction.transaction_id}"
            )
        reservation = self._reservation_for(connector, id_tag)
        if reservation_id is None and reservation is not None:
            reservation_id = reservation.reservation_id
        connector.claimed = True
        try:
            if connector.status != ChargePointStatus.preparing:
                await self.status(connector_id, ChargePointStatus.preparing)
            if meter_start is not None:
                connector.meter.set_register(meter_start)
            started_at = now()
            begin_reading = connector.meter.reading()
            request = StartTransactionReq(
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start=int(begin_reading.energy_wh),
                timestamp=timestamp or format_timestamp(started_at),
                reservation_id=reservation_id,
            )
            answer = await self.send(request, StartTransactionConf)
        finally:
            connector.claimed = False
        transaction = Transaction(
            transaction_id=answer.transaction_id,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=request.meter_start,
            started_at=started_at,
            begin_sample=MeterValue(
                request.timestamp,
                sampled_values(begin_reading, self._stop_measurands(), "Transaction.Begin"),
            ),
        )
        connector.transaction = transaction
        if reservation is not None and reservation.reservation_id == reservation_id:
            owner = self.connectors[reservation.connector_id]
            self.drop_reservation(owner)
        self._remember(id_tag, answer.id_tag_info)
        if charging_profile is not None:
            self.charging_profiles.install(
                connector_id,
                dict(charging_profile, transactionId=transaction.transaction_id),
                started_at,
            )
        if answer.id_tag_info.status == AuthorizationStatus.accepted:
            self.apply_charging_limit(connector)
            await self.status(connector_id, ChargePointStatus.charging)
            self._start_meter_loop(connector)
        elif self.config_bool("StopTransactionOnInvalidId"):
            await self.stop_transaction(connector_id, reason=Reason.de_authorized)
        else:
            await self.status(connector_id, ChargePointStatus.suspended_evse)
        return answer

    async def meter_values(
        self,
        connector_id: int,
        sampled: list[dict[str, Any]] | None = None,
        *,
        context: str = "Sample.Periodic",
    ) -> None:
        """Send MeterValues for a connector, with its transaction id when one runs.

        Without `sampled` the measurands of MeterValuesSampledData are read from the
        simulated meter. `sampled` is either a list of sampledValue objects (sent as one
        meterValue stamped now) or a list of complete meterValue objects.
        """
        connector = self.connectors.get(connector_id)
        if sampled is None:
            if connector is None:
                raise SimulatorError(f"the charge point has no connector {connector_id}")
            meter_value = [self._sample(connector, context)]
        elif sampled and all("sampledValue" in item for item in sampled):
            meter_value = msgspec.convert(sampled, list[MeterValue])
        else:
            meter_value = [MeterValue(timestamp_now(), sampled)]
        transaction = None if connector is None else connector.transaction
        request = MeterValuesReq(
            connector_id=connector_id,
            meter_value=meter_value,
            transaction_id=None if transaction is None else transaction.transaction_id,
        )
        await self.send(request, MeterValuesConf)

    async def stop_transaction(
        self,
        connector_id: int,
        *,
        reason: Reason | None = Reason.local,
        id_tag: str | None = None,
        with_transaction_data: bool = True,
    ) -> StopTransactionConf:
        """End the connector's session: StopTransaction, then Finishing and the idle status.

        Without `id_tag`, a Local stop carries the transaction's own idTag (the driver
        presented the same card); other reasons carry none. An availability change that
        was answered Scheduled is applied now.
        """
        connector = self._session_connector(connector_id)
        transaction = connector.transaction
        if transaction is None:
            raise SimulatorError(f"connector {connector_id} has no transaction to stop")
        meter_task = self._meter_tasks.pop(connector_id, None)
        if meter_task is not None and meter_task is not asyncio.current_task():
            meter_task.cancel()
        end_reading = connector.meter.reading()
        connector.meter.set_current(0)
        connector.transaction = None
        self.charging_profiles.end_transaction(connector_id)
        stopped_at = timestamp_now()
        if id_tag is None and reason == Reason.local:
            id_tag = transaction.id_tag
        measurands = self._stop_measurands()
        transaction_data = None
        if with_transaction_data and measurands and transaction.begin_sample is not None:
            end_sample = sampled_values(end_reading, measurands, "Transaction.End")
            transaction_data = [transaction.begin_sample, MeterValue(stopped_at, end_sample)]
        request = StopTransactionReq(
            transaction_id=transaction.transaction_id,
            meter_stop=max(int(end_reading.energy_wh), transaction.meter_start),
            timestamp=stopped_at,
            id_tag=id_tag,
            reason=reason,
            transaction_data=transaction_data,
        )
        answer = await self.send(request, StopTransactionConf)
        if connector.scheduled_operative is not None:
            connector.operative = connector.scheduled_operative
            connector.scheduled_operative = None
        await self.status(connector_id, ChargePointStatus.finishing)
        await self.status(connector_id, connector.idle_status())
        return answer

    # ------------------------------------- charging limits and reservations (responders too)

    def transaction_context(self, connector: Connector) -> TransactionContext:
        transaction = connector.transaction
        if transaction is None:
            return TransactionContext()
        return TransactionContext(transaction.transaction_id, transaction.started_at)

    def apply_charging_limit(self, connector: Connector) -> None:
        """Let the simulated EV draw what the charging profiles allow right now."""
        if connector.connector_id == 0:
            return
        limit = self.charging_profiles.limit_at(
            connector.connector_id,
            now(),
            "A",
            self.transaction_context(connector),
            self.connector_count,
        )
        connector.meter.offered_a = min(limit, MAX_CURRENT)
        charging = (
            connector.transaction is not None
            and connector.status != ChargePointStatus.suspended_evse
        )
        connector.meter.set_current(connector.meter.offered_a if charging else 0.0)

    def drop_reservation(self, connector: Connector) -> None:
        reservation = connector.reservation
        if reservation is None:
            return
        if reservation.expiry_task is not None and reservation.expiry_task is not (
            asyncio.current_task()
        ):
            reservation.expiry_task.cancel()
        connector.reservation = None

    # ------------------------------------------------------- session helpers

    def _session_connector(self, connector_id: int) -> Connector:
        if connector_id < 1 or connector_id not in self.connectors:
            raise SimulatorError(
                f"connector {connector_id} does not exist (1..{self.connector_count})"
            )
        return self.connectors[connector_id]

    def _reservation_for(self, connector: Connector, id_tag: str) -> Reservation | None:
        for holder in (connector, self.connectors[0]):
            reservation = holder.reservation
            if reservation is not None and id_tag in (
                reservation.id_tag,
                reservation.parent_id_tag,
            ):
                return reservation
        return None

    def _stop_measurands(self) -> list[str]:
        return csl(self.config_value("StopTxnSampledData"))

    def _sample(self, connector: Connector, context: str) -> MeterValue:
        measurands = csl(self.config_value("MeterValuesSampledData"))
        if connector.connector_id == 0:
            reading = combined([c.meter.reading() for i, c in self.connectors.items() if i > 0])
        else:
            self.apply_charging_limit(connector)
            reading = connector.meter.reading()
        return MeterValue(timestamp_now(), sampled_values(reading, measurands, context))

    def _start_meter_loop(self, connector: Connector) -> None:
        if self.config_int("MeterValueSampleInterval") <= 0:
            return
        previous = self._meter_tasks.pop(connector.connector_id, None)
        if previous is not None:
            previous.cancel()
        self._meter_tasks[connector.connector_id] = asyncio.create_task(self._meter_loop(connector))

    async def _meter_loop(self, connector: Connector) -> None:
        transaction = connector.transaction
        while True:
            interval = self.config_int("MeterValueSampleInterval")
            if interval <= 0:
                return
            await asyncio.sleep(interval)
            if connector.transaction is not transaction or transaction is None:
                return
            try:
                await self.meter_values(connector.connector_id)
            except ConnectionLost:
                return
            except (SimulatorError, TimeoutError) as exc:
                self._fail(f"periodic MeterValues: {exc}")
