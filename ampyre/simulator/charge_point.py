"""A simulated OCPP 1.6-J charge point: its state and the messages it sends.

The public coroutines (`boot`, `status`, `start_transaction`...) send what a real charge
point sends for the same event, including the StatusNotifications around a session, and
keep the state consistent with it, so that the answers to the CSMS's own CALLs (handled in
`responders`) reflect what happened. Everything the CSMS sends is recorded in `received`
and everything it got wrong in `protocol_errors`, for tests to inspect.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ampyre.ocpp.v16.errors import NotImplementedError_, NotSupportedError, OcppError
from ampyre.ocpp.v16.framing import Call, CallError, CallResult
from ampyre.simulator import responders, validation
from ampyre.simulator.authorization import AuthorizationCache, LocalAuthList
from ampyre.simulator.charging_profiles import ChargingProfileStore, TransactionContext
from ampyre.simulator.clock import format_timestamp, timestamp_now, utc_now
from ampyre.simulator.configuration import csl, default_configuration
from ampyre.simulator.connection import Connection, FollowUp, Reply, charge_point_url
from ampyre.simulator.connectors import Connector, Reservation, Transaction
from ampyre.simulator.errors import ConnectError, ConnectionLost, SimulatorError
from ampyre.simulator.events import Event, EventKind, EventSink
from ampyre.simulator.meter import MAX_CURRENT, combined, sampled_values
from ampyre.simulator.responders.base import (
    Answer,
    CallErrorReply,
    NoAnswer,
    ResponseOverride,
    ResponseValue,
)
from ampyre.simulator.stats import CallStats

#: Delays between reconnection attempts after a reboot or a dropped connection.
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0, 5.0, 10.0, 10.0, 15.0)


class SimulatedChargePoint:
    def __init__(
        self,
        url: str,
        charge_point_id: str,
        *,
        password: str | None = None,
        connectors: int = 2,
        vendor: str = "Ampyre",
        model: str = "Simulator",
        serial_number: str | None = None,
        firmware_version: str = "1.0.0",
        ssl_context: ssl.SSLContext | None = None,
        call_timeout: float = 30.0,
        meter_interval: float = 60.0,
        follow_up_delay: float = 0.5,
        connect_timeout: float = 10.0,
        auto_reconnect: bool = False,
        validate_responses: bool = True,
        on_event: EventSink | None = None,
        stats: CallStats | None = None,
    ) -> None:
        """`url` is the CSMS's base URL (the id is appended, URL-encoded, unless the URL
        contains `{id}`). `follow_up_delay` paces multi-step follow-ups (firmware and
        diagnostics progress, the pause of a reboot); tests set it near zero."""
        if connectors < 1:
            raise ValueError("a charge point has at least one connector")
        self.base_url = url
        self.url = charge_point_url(url, charge_point_id)
        self.charge_point_id = charge_point_id
        self.password = password
        self.vendor = vendor
        self.model = model
        self.serial_number = serial_number
        self.firmware_version = firmware_version
        self.ssl_context = ssl_context
        self.call_timeout = call_timeout
        self.follow_up_delay = follow_up_delay
        self.connect_timeout = connect_timeout
        self.auto_reconnect = auto_reconnect
        self.validate_responses = validate_responses
        self.on_event = on_event
        self.stats = stats

        self.connectors: dict[int, Connector] = {i: Connector(i) for i in range(connectors + 1)}
        self.configuration = default_configuration(
            connectors=connectors, meter_interval=meter_interval
        )
        self.responses: dict[str, ResponseOverride] = {}
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        #: What the CSMS got wrong: malformed frames, payloads violating the schemas,
        #: answers to CALLs that were not outstanding.
        self.protocol_errors: list[str] = []
        #: Background work that failed: follow-ups, heartbeats, periodic meter values.
        self.failures: list[str] = []

        self.registration_status: str | None = None
        self.heartbeat_interval: int | None = None
        self.boot_count = 0
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"
        self.local_list = LocalAuthList()
        self.auth_cache = AuthorizationCache()
        self.charging_profiles = ChargingProfileStore()

        self._connection: Connection | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._meter_tasks: dict[int, asyncio.Task[None]] = {}
        self._reconnecting = False
        self._reboot_task: asyncio.Task[Any] | None = None
        self._online = asyncio.Event()
        self._closing = False
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- connection

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.is_open

    @property
    def offline(self) -> bool:
        """Disconnected with no reconnection under way: nothing more will happen."""
        return not self.connected and not self._reconnecting

    @property
    def connector_count(self) -> int:
        return len(self.connectors) - 1

    async def connect(self) -> None:
        """Open the WebSocket and start answering the CSMS; the boot is left to the caller."""
        self._closing = False
        connection = Connection(
            self.url,
            charge_point_id=self.charge_point_id,
            password=self.password,
            ssl_context=self.ssl_context,
            call_timeout=self.call_timeout,
            connect_timeout=self.connect_timeout,
            handle_call=self._handle_call,
            spawn=self.spawn,
            on_closed=self._connection_closed,
            report_problem=self._report_problem,
            sink=self.on_event,
            stats=self.stats,
            validate_responses=self.validate_responses,
        )
        await connection.open()
        self._connection = connection
        if self._reboot_task is None:
            # After a reboot the charge point is online for others once it has booted.
            self._online.set()
        self._notify()
        self.emit("info", f"connected to {self.url}")

    async def close(self) -> None:
        self._closing = True
        self._online.clear()
        current = asyncio.current_task()
        pending = [task for task in self._tasks if task is not current]
        for task in pending:
            task.cancel()
        self._stop_heartbeat()
        for task in self._meter_tasks.values():
            task.cancel()
        for connector in self.connectors.values():
            if connector.reservation is not None and connector.reservation.expiry_task:
                connector.reservation.expiry_task.cancel()
        if self._connection is not None:
            await self._connection.close()
        await asyncio.gather(*pending, return_exceptions=True)

    async def reconnect(self) -> None:
        """Drop the socket and open a new one, as after a network outage (no new boot)."""
        self._reconnecting = True
        self._online.clear()
        try:
            if self._connection is not None:
                await self._connection.close()
            await self._connect_with_retries()
        finally:
            self._reconnecting = False
            self._notify()

    async def reboot(self, reason: str = "SoftReset") -> None:
        """Restart as after a Reset: end sessions, reconnect, boot, report every connector.

        Heartbeats and periodic meter values stop; availability and charging profiles
        persist across the restart (OCPP 1.6, 5.14), reservations do not.
        """
        self._reboot_task = asyncio.current_task()
        self._reconnecting = True
        try:
            for connector in self._transaction_connectors():
                try:
                    await self.stop_transaction(connector.connector_id, reason=reason)
                except (SimulatorError, TimeoutError) as exc:
                    self._fail(f"StopTransaction before the reset failed: {exc}")
            self._stop_heartbeat()
            self._online.clear()
            self.emit("info", f"rebooting ({reason})")
            if self._connection is not None:
                await self._connection.close()
            for connector in self.connectors.values():
                self.drop_reservation(connector)
                if connector.scheduled_operative is not None:
                    connector.operative = connector.scheduled_operative
                    connector.scheduled_operative = None
                connector.claimed = False
                connector.status = connector.idle_status()
            await asyncio.sleep(self.follow_up_delay)
            await self._connect_with_retries()
            await self.boot_until_accepted()
            await self.send_all_statuses()
        finally:
            self._reboot_task = None
            self._reconnecting = False
            if self.connected:
                self._online.set()
            self._notify()

    async def _connect_with_retries(self) -> None:
        last_error: ConnectError | None = None
        for delay in (0.0, *RECONNECT_DELAYS):
            if self._closing:
                break
            await asyncio.sleep(delay)
            try:
                await self.connect()
                return
            except ConnectError as exc:
                last_error = exc
                self.emit("warning", f"reconnection failed: {exc}")
        raise last_error or ConnectError(f"{self.url}: gave up reconnecting")

    def _connection_closed(self, connection: Connection) -> None:
        if connection is not self._connection:
            return
        self._online.clear()
        if connection.closed_by_peer:
            self._stop_heartbeat()
            code = connection.close_code
            self.emit(
                "warning",
                f"the CSMS closed the connection (code {code}"
                + (f", {connection.close_reason!r})" if connection.close_reason else ")"),
            )
            if self.auto_reconnect and not self._closing and not self._reconnecting:
                # Flagged now, not when the task starts, so that nobody sees the charge
                # point as offline for good in between.
                self._reconnecting = True
                self.spawn(self.reconnect)
        self._notify()

    # ------------------------------------------------------------------ outgoing

    async def call(
        self, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        """Send any CALL and return the CALLRESULT payload.

        Raises CallErrorReceived on a CALLERROR, TimeoutError when no answer comes within
        the call timeout, ConnectionLost when offline. While a reboot or reconnection is
        under way the CALL waits for it, as a charge point queues its messages.
        """
        if asyncio.current_task() is not self._reboot_task and not self._online.is_set():
            if not self._reconnecting or self._closing:
                raise ConnectionLost(f"{self.charge_point_id} is not connected")
            limit = self.call_timeout if timeout is None else timeout
            try:
                await asyncio.wait_for(self._online.wait(), limit)
            except TimeoutError:
                raise ConnectionLost(
                    f"{self.charge_point_id} did not reconnect within {limit:g} s"
                ) from None
        connection = self._connection
        if connection is None:
            raise ConnectionLost(f"{self.charge_point_id} is not connected; connect() first")
        self.sent.append((action, payload))
        self._notify()
        return await connection.call(action, payload, timeout)

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
            started_at = utc_now()
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

    # ------------------------------------------------------------ test helpers

    async def wait_for_received(
        self, action: str, *, count: int = 1, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The payload of the `count`-th CSMS CALL of `action`, waiting for it if needed."""
        return await self._wait_for(self.received, action, count, timeout)

    async def wait_for_sent(
        self, action: str, *, count: int = 1, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The payload of the `count`-th CALL of `action` this charge point sent."""
        return await self._wait_for(self.sent, action, count, timeout)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float | None = None) -> None:
        """Wait until `predicate()` holds; it is re-checked whenever a message comes or goes,
        which is when the charge point's state can change."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await self._changed.wait()

    async def _wait_for(
        self, log: list[tuple[str, dict[str, Any]]], action: str, count: int, timeout: float
    ) -> dict[str, Any]:
        def seen() -> int:
            return sum(1 for name, _ in log if name == action)

        await self.wait_until(lambda: seen() >= count, timeout)
        return [payload for name, payload in log if name == action][count - 1]

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------ state used by responders

    def config_value(self, key: str) -> str:
        entry = self.configuration.get(key)
        return "" if entry is None else str(entry["value"])

    def config_bool(self, key: str) -> bool:
        return self.config_value(key).lower() == "true"

    def config_int(self, key: str, default: int = 0) -> int:
        try:
            return int(self.config_value(key))
        except ValueError:
            return default

    def supports(self, feature_profile: str) -> bool:
        return feature_profile in csl(self.config_value("SupportedFeatureProfiles"))

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
            datetime.now(UTC),
            "A",
            self.transaction_context(connector),
            self.connector_count,
        )
        connector.meter.offered_a = min(limit, MAX_CURRENT)
        charging = connector.transaction is not None and connector.status != "SuspendedEVSE"
        connector.meter.set_current(connector.meter.offered_a if charging else 0.0)

    def restart_heartbeat(self) -> None:
        self._stop_heartbeat()
        if self.registration_status == "Accepted":
            self._heartbeat_task = asyncio.create_task(self._heartbeat_loop())

    def spawn(self, work: FollowUp) -> None:
        """Run background work owned by the charge point (it survives reconnections)."""

        async def run() -> None:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except (SimulatorError, TimeoutError, OcppError) as exc:
                self._fail(f"{_describe(work)}: {exc}")
            except Exception as exc:
                self._fail(f"{_describe(work)}: unexpected {exc!r}")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def emit(
        self,
        kind: EventKind,
        text: str = "",
        *,
        action: str = "",
        payload: dict[str, Any] | None = None,
    ) -> None:
        if self.on_event is not None:
            self.on_event(Event(self.charge_point_id, kind, text, action, payload))

    # ----------------------------------------------------------------- internals

    async def _handle_call(self, call: Call) -> Reply:
        self.received.append((call.action, call.payload))
        self._notify()
        if call.action in self.responses:
            return await self._overridden(call, self.responses[call.action])
        responder = responders.RESPONDERS.get(call.action)
        if responder is None:
            return Reply(
                CallError.from_exception(
                    call.unique_id,
                    NotImplementedError_(f"{call.action} is not implemented by the simulator"),
                )
            )
        problem = validation.request_problem(call.action, call.payload)
        if problem is not None:
            self._report_problem(f"{call.action} request: {problem.description}")
            return Reply(CallError.from_exception(call.unique_id, problem))
        profile = responders.FEATURE_PROFILE_OF.get(call.action)
        try:
            if profile is not None and not self.supports(profile):
                raise NotSupportedError(f"the {profile} feature profile is not supported")
            answer = responder(self, call.payload)
        except OcppError as exc:
            return Reply(CallError.from_exception(call.unique_id, exc))
        return Reply(CallResult(call.unique_id, answer.payload), answer.follow_up)

    async def _overridden(self, call: Call, override: ResponseOverride) -> Reply:
        value: Any = override
        if callable(value) and not isinstance(
            value, dict | CallErrorReply | OcppError | NoAnswer | Answer
        ):
            value = value(call.payload)
            if inspect.isawaitable(value):
                value = await value
        return _reply_for(call, value)

    def _session_connector(self, connector_id: int) -> Connector:
        if connector_id < 1 or connector_id not in self.connectors:
            raise SimulatorError(
                f"connector {connector_id} does not exist (1..{self.connector_count})"
            )
        return self.connectors[connector_id]

    def _transaction_connectors(self) -> list[Connector]:
        return [c for c in self.connectors.values() if c.transaction is not None]

    def _reservation_for(self, connector: Connector, id_tag: str) -> Reservation | None:
        for holder in (connector, self.connectors[0]):
            reservation = holder.reservation
            if reservation is not None and id_tag in (
                reservation.id_tag,
                reservation.parent_id_tag,
            ):
                return reservation
        return None

    def drop_reservation(self, connector: Connector) -> None:
        reservation = connector.reservation
        if reservation is None:
            return
        if reservation.expiry_task is not None and reservation.expiry_task is not (
            asyncio.current_task()
        ):
            reservation.expiry_task.cancel()
        connector.reservation = None

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

    def _report_problem(self, problem: str) -> None:
        self.protocol_errors.append(problem)
        self.emit("warning", f"protocol error: {problem}")
        self._notify()

    def _fail(self, message: str) -> None:
        self.failures.append(message)
        self._notify()
        self.emit("error", message)
        if self.stats is not None:
            self.stats.record_failure(f"{self.charge_point_id}: {message}")


def _reply_for(call: Call, value: ResponseValue) -> Reply:
    if isinstance(value, NoAnswer):
        return Reply(None)
    if isinstance(value, CallErrorReply):
        return Reply(CallError(call.unique_id, value.code, value.description, dict(value.details)))
    if isinstance(value, OcppError):
        return Reply(CallError.from_exception(call.unique_id, value))
    if isinstance(value, Answer):
        return Reply(CallResult(call.unique_id, value.payload), value.follow_up)
    if isinstance(value, dict):
        return Reply(CallResult(call.unique_id, value))
    raise TypeError(f"unusable response override for {call.action}: {value!r}")


def _describe(work: Callable[..., Any]) -> str:
    name = getattr(work, "__qualname__", None) or repr(work)
    return str(name).replace("<locals>.", "")
