"""The messages a simulated charge point sends of its own accord, and the sessions they make.

`boot`, `status`, `start_transaction`, `meter_values`, `stop_transaction`... send what a
real charge point sends for the same event, including the StatusNotifications around a
session, and keep the state consistent with it. The state itself (connectors,
configuration, the connection) is `SimulatedChargePoint`'s, which this class is a part of.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ampyre.ocpp.v16.timestamps import format_timestamp, now, timestamp_now
from ampyre.simulator.authorization import AuthorizationCache
from ampyre.simulator.charging_profiles import ChargingProfileStore
from ampyre.simulator.configuration import csl
from ampyre.simulator.connectors import Connector, Reservation, Transaction
from ampyre.simulator.errors import ConnectionLost, SimulatorError
from ampyre.simulator.events import EventKind
from ampyre.simulator.meter import combined, sampled_values


class ChargePointMessages:
    """The sending half of `SimulatedChargePoint` (see there for the attributes)."""

    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str
    connectors: dict[int, Connector]
    configuration: dict[str, dict[str, Any]]
    registration_status: str | None
    heartbeat_interval: int | None
    boot_count: int
    firmware_status: str
    diagnostics_status: str
    auth_cache: AuthorizationCache
    charging_profiles: ChargingProfileStore
    _meter_tasks: dict[int, asyncio.Task[None]]
    _heartbeat_task: asyncio.Task[None] | None

    if TYPE_CHECKING:

        @property
        def connector_count(self) -> int: ...

        async def call(
            self, action: str, payload: dict[str, Any], timeout: float | None = None
        ) -> dict[str, Any]: ...

        def config_value(self, key: str) -> str: ...

        def config_bool(self, key: str) -> bool: ...

        def config_int(self, key: str, default: int = 0) -> int: ...

        def apply_charging_limit(self, connector: Connector) -> None: ...

        def drop_reservation(self, connector: Connector) -> None: ...

        def _fail(self, message: str) -> None: ...

        def emit(
            self,
            kind: EventKind,
            text: str = "",
            *,
            action: str = "",
            payload: dict[str, Any] | None = None,
        ) -> None: ...

    async def boot(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "chargePointVendor": self.vendor,
            "chargePointModel": self.model,
            "firmwareVersion": self.firmware_version,
            "meterType": "Simulated",
        }
        if self.serial_number:
            payload["chargePointSerialNumber"] = self.serial_number
        answer = await self.call("BootNotification", payload)
        self.boot_count += 1
        self.registration_status = answer["status"]
        self.heartbeat_interval = int(answer["interval"])
        if answer["status"] == "Accepted":
            if self.heartbeat_interval > 0:
                self.configuration["HeartbeatInterval"]["value"] = str(self.heartbeat_interval)
            self.restart_heartbeat()
        else:
            self._stop_heartbeat()
        return answer

    async def boot_until_accepted(self, max_attempts: int | None = None) -> dict[str, Any]:
        """Boot, and while the CSMS answers Pending or Rejected, retry after its interval.

        Raises SimulatorError after `max_attempts` unaccepted answers (None: keep trying).
        """
        attempt = 0
        while True:
            answer = await self.boot()
            attempt += 1
            if answer["status"] == "Accepted":
                return answer
            if max_attempts is not None and attempt >= max_attempts:
                raise SimulatorError(
                    f"BootNotification still {answer['status']} after {attempt} attempt(s)"
                )
            retry_in = int(answer["interval"]) or 10
            self.emit("info", f"boot {answer['status']}, retrying in {retry_in} s")
            await asyncio.sleep(retry_in)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.call("Heartbeat", {})

    async def status(
        self, connector_id: int, status: str, error_code: str = "NoError", **extra: Any
    ) -> None:
        """Send a StatusNotification; `extra` adds fields such as info or vendorErrorCode.

        A connector id the charge point does not have is still sent, for negative tests.
        """
        connector = self.connectors.get(connector_id)
        if connector is not None:
            connector.status = status
            connector.error_code = error_code
        payload = {
            "connectorId": connector_id,
            "errorCode": error_code,
            "status": status,
            "timestamp": timestamp_now(),
            **extra,
        }
        await self.call("StatusNotification", payload)

    async def send_all_statuses(self) -> None:
        """One StatusNotification per connector, 0 included, as after a boot."""
        for connector in self.connectors.values():
            await self.status(connector.connector_id, connector.status, connector.error_code)

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        answer = await self.call("Authorize", {"idTag": id_tag})
        info: dict[str, Any] = answer["idTagInfo"]
        if self.config_bool("AuthorizationCacheEnabled"):
            self.auth_cache.remember(id_tag, info)
        return info

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        *,
        meter_start: int | None = None,
        reservation_id: int | None = None,
        timestamp: str | None = None,
        charging_profile: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
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
            if connector.status != "Preparing":
                await self.status(connector_id, "Preparing")
            if meter_start is not None:
                connector.meter.set_register(meter_start)
            started_at = now()
            begin_reading = connector.meter.reading()
            payload: dict[str, Any] = {
                "connectorId": connector_id,
                "idTag": id_tag,
                "meterStart": int(begin_reading.energy_wh),
                "timestamp": timestamp or format_timestamp(started_at),
            }
            if reservation_id is not None:
                payload["reservationId"] = reservation_id
            answer = await self.call("StartTransaction", payload)
        finally:
            connector.claimed = False
        transaction = Transaction(
            transaction_id=int(answer["transactionId"]),
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=payload["meterStart"],
            started_at=started_at,
            begin_sample={
                "timestamp": payload["timestamp"],
                "sampledValue": sampled_values(
                    begin_reading, self._stop_measurands(), "Transaction.Begin"
                ),
            },
        )
        connector.transaction = transaction
        if reservation is not None and reservation.reservation_id == reservation_id:
            owner = self.connectors[reservation.connector_id]
            self.drop_reservation(owner)
        status = answer["idTagInfo"]["status"]
        if self.config_bool("AuthorizationCacheEnabled"):
            self.auth_cache.remember(id_tag, answer["idTagInfo"])
        if charging_profile is not None:
            self.charging_profiles.install(
                connector_id,
                dict(charging_profile, transactionId=transaction.transaction_id),
                started_at,
            )
        if status == "Accepted":
            self.apply_charging_limit(connector)
            await self.status(connector_id, "Charging")
            self._start_meter_loop(connector)
        elif self.config_bool("StopTransactionOnInvalidId"):
            await self.stop_transaction(connector_id, reason="DeAuthorized")
        else:
            await self.status(connector_id, "SuspendedEVSE")
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
            meter_value = sampled
        else:
            meter_value = [{"timestamp": timestamp_now(), "sampledValue": sampled}]
        payload: dict[str, Any] = {"connectorId": connector_id, "meterValue": meter_value}
        if connector is not None and connector.transaction is not None:
            payload["transactionId"] = connector.transaction.transaction_id
        await self.call("MeterValues", payload)

    async def stop_transaction(
        self,
        connector_id: int,
        *,
        reason: str | None = "Local",
        id_tag: str | None = None,
        with_transaction_data: bool = True,
    ) -> dict[str, Any]:
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
        payload: dict[str, Any] = {
            "transactionId": transaction.transaction_id,
            "meterStop": max(int(end_reading.energy_wh), transaction.meter_start),
            "timestamp": stopped_at,
        }
        if reason is not None:
            payload["reason"] = reason
        if id_tag is None and reason == "Local":
            id_tag = transaction.id_tag
        if id_tag is not None:
            payload["idTag"] = id_tag
        measurands = self._stop_measurands()
        if with_transaction_data and measurands and transaction.begin_sample is not None:
            payload["transactionData"] = [
                transaction.begin_sample,
                {
                    "timestamp": stopped_at,
                    "sampledValue": sampled_values(end_reading, measurands, "Transaction.End"),
                },
            ]
        answer = await self.call("StopTransaction", payload)
        if connector.scheduled_operative is not None:
            connector.operative = connector.scheduled_operative
            connector.scheduled_operative = None
        await self.status(connector_id, "Finishing")
        await self.status(connector_id, connector.idle_status())
        return answer

    async def send_firmware_status(self, status: str) -> None:
        self.firmware_status = status
        await self.call("FirmwareStatusNotification", {"status": status})

    async def send_diagnostics_status(self, status: str) -> None:
        self.diagnostics_status = status
        await self.call("DiagnosticsStatusNotification", {"status": status})

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

    def _sample(self, connector: Connector, context: str) -> dict[str, Any]:
        measurands = csl(self.config_value("MeterValuesSampledData"))
        if connector.connector_id == 0:
            reading = combined([c.meter.reading() for i, c in self.connectors.items() if i > 0])
        else:
            self.apply_charging_limit(connector)
            reading = connector.meter.reading()
        return {
            "timestamp": timestamp_now(),
            "sampledValue": sampled_values(reading, measurands, context),
        }

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

    # -------------------------------------------------------------- heartbeats

    def restart_heartbeat(self) -> None:
        self._stop_heartbeat()
        if self.registration_status == "Accepted":
            self._heartbeat_task = asyncio.create_task(self._heartbeat_loop())

    async def _heartbeat_loop(self) -> None:
        while True:
            interval = self.config_int("HeartbeatInterval")
            if interval <= 0:
                return
            await asyncio.sleep(interval)
            try:
                await self.heartbeat()
            except ConnectionLost:
                return
            except (SimulatorError, TimeoutError) as exc:
                self._fail(f"Heartbeat: {exc}")

    def _stop_heartbeat(self) -> None:
        task = self._heartbeat_task
        self._heartbeat_task = None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
