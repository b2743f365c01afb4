"""A simulated OCPP 1.6-J charge point: its state, its connection and its lifecycle.

The messages it sends of its own accord (`boot`, `status`...) are in `sending`, the
sessions (`start_transaction`...) in `sessions` (base classes of this one); they keep the
state consistent with what was sent, so that the answers to the CSMS's own CALLs (`answering`, then `responders`) reflect what
happened. Everything the CSMS sends is recorded in `received` and everything it got wrong
in `protocol_errors`, for tests to inspect.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from ocpp.v16.enums import DiagnosticsStatus, FirmwareStatus, Reason, RegistrationStatus

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.framing import Call
from ampyre.simulator.answering import answer_call
from ampyre.simulator.authorization import AuthorizationCache, LocalAuthList
from ampyre.simulator.certificates import CertificateStore
from ampyre.simulator.charging_profiles import ChargingProfileStore
from ampyre.simulator.configuration import csl, default_configuration
from ampyre.simulator.connection import Connection, FollowUp, Reply, charge_point_url
from ampyre.simulator.connectors import Connector
from ampyre.simulator.errors import ConnectError, ConnectionLost, SimulatorError
from ampyre.simulator.events import Event, EventKind, EventSink
from ampyre.simulator.responders.base import (
    ResponseOverride,
)
from ampyre.simulator.sessions import ChargingSessions
from ampyre.simulator.stats import CallStats

#: Delays between reconnection attempts after a reboot or a dropped connection.
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0, 5.0, 10.0, 10.0, 15.0)


class SimulatedChargePoint(ChargingSessions):
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
        organization: str = "Ampyre",
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
        diagnostics progress, the pause of a reboot); tests set it near zero.
        `organization` is its CpoName configuration key: the O of its certificate
        signing requests (security whitepaper A02.FR.13)."""
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
            connectors=connectors,
            meter_interval=meter_interval,
            password=password,
            tls=ssl_context is not None,
        )
        self.configuration["CpoName"] = {"value": organization, "readonly": False}
        self.responses: dict[str, ResponseOverride] = {}
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        #: What the CSMS got wrong: malformed frames, payloads violating the schemas,
        #: answers to CALLs that were not outstanding.
        self.protocol_errors: list[str] = []
        #: Background work that failed: follow-ups, heartbeats, periodic meter values.
        self.failures: list[str] = []

        self.registration_status: RegistrationStatus | None = None
        self.heartbeat_interval: int | None = None
        self.boot_count = 0
        self.firmware_status = FirmwareStatus.idle
        self.diagnostics_status = DiagnosticsStatus.idle
        self.local_list = LocalAuthList()
        self.auth_cache = AuthorizationCache()
        self.charging_profiles = ChargingProfileStore()
        self.certificates = CertificateStore()

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

    async def reboot(self, reason: Reason = Reason.soft_reset) -> None:
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
        return await answer_call(self, call)

    def _transaction_connectors(self) -> list[Connector]:
        return [c for c in self.connectors.values() if c.transaction is not None]

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


def _describe(work: Callable[..., Any]) -> str:
    name = getattr(work, "__qualname__", None) or repr(work)
    return str(name).replace("<locals>.", "")
