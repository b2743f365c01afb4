"""The messages a simulated charge point sends of its own accord (the sessions are in
`sessions`): `boot`, `status`, `heartbeat`, `authorize`... send what a real charge point
sends for the same event and keep the state consistent with it. The state itself
(connectors, configuration, the connection) is `SimulatedChargePoint`'s, which this class
is a part of.

Every message is built as its type of `ocpp.v16.messages`, the types the server's handlers
read, and its answer read back into the confirmation type (`send`): the simulator and the
server share one definition of each message. `call` (raw payloads) remains for tests and
scripts that feed a server deliberately broken messages.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from ocpp.v16.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    RegistrationStatus,
    UploadLogStatus,
)

from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.messages import (
    REQUESTS,
    AuthorizeConf,
    AuthorizeReq,
    BootNotificationConf,
    BootNotificationReq,
    Confirmation,
    DiagnosticsStatusNotificationConf,
    DiagnosticsStatusNotificationReq,
    FirmwareStatusNotificationConf,
    FirmwareStatusNotificationReq,
    HeartbeatConf,
    HeartbeatReq,
    IdTagInfo,
    LogStatusNotificationConf,
    LogStatusNotificationReq,
    Request,
    SignedFirmwareStatusNotificationConf,
    SignedFirmwareStatusNotificationReq,
    StatusNotificationConf,
    StatusNotificationReq,
    parse_confirmation,
    unparse,
)
from ampyre.ocpp.v16.timestamps import timestamp_now
from ampyre.simulator.authorization import AuthorizationCache
from ampyre.simulator.connectors import Connector
from ampyre.simulator.errors import ConnectionLost, InvalidResponse, SimulatorError
from ampyre.simulator.events import EventKind

C = TypeVar("C", bound=Confirmation)

#: Request type -> its action, the other way round from `REQUESTS`.
ACTIONS: dict[type[Request], str] = {
    request_type: action for action, request_type in REQUESTS.items()
}


class ChargePointMessages:
    """The sending half of `SimulatedChargePoint` (see there for the attributes)."""

    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str
    connectors: dict[int, Connector]
    configuration: dict[str, dict[str, Any]]
    registration_status: RegistrationStatus | None
    heartbeat_interval: int | None
    boot_count: int
    firmware_status: FirmwareStatus
    diagnostics_status: DiagnosticsStatus
    auth_cache: AuthorizationCache
    _heartbeat_task: asyncio.Task[None] | None

    if TYPE_CHECKING:

        async def call(
            self, action: str, payload: dict[str, Any], timeout: float | None = None
        ) -> dict[str, Any]: ...

        def config_value(self, key: str) -> str: ...

        def config_bool(self, key: str) -> bool: ...

        def config_int(self, key: str, default: int = 0) -> int: ...

        def _fail(self, message: str) -> None: ...

        def _report_problem(self, problem: str) -> None: ...

        def emit(
            self,
            kind: EventKind,
            text: str = "",
            *,
            action: str = "",
            payload: dict[str, Any] | None = None,
        ) -> None: ...

    async def send(self, request: Request, answer_type: type[C]) -> C:
        """Send a typed request (its action follows from its type) and read the answer as
        `answer_type`; an answer that breaks the type is an InvalidResponse, like one that
        breaks the schema. `call` stays for payloads that are not a request type's."""
        action = ACTIONS[type(request)]
        payload = await self.call(action, unparse(request))
        try:
            return parse_confirmation(payload, answer_type)
        except OcppError as exc:
            error = InvalidResponse(action, exc.description, payload)
            self._report_problem(str(error))
            raise error from None

    async def boot(self) -> BootNotificationConf:
        request = BootNotificationReq(
            charge_point_vendor=self.vendor,
            charge_point_model=self.model,
            charge_point_serial_number=self.serial_number or None,
            firmware_version=self.firmware_version,
            meter_type="Simulated",
        )
        answer = await self.send(request, BootNotificationConf)
        self.boot_count += 1
        self.registration_status = answer.status
        self.heartbeat_interval = answer.interval
        if answer.status == RegistrationStatus.accepted:
            if answer.interval > 0:
                self.configuration["HeartbeatInterval"]["value"] = str(answer.interval)
            self.restart_heartbeat()
        else:
            self._stop_heartbeat()
        return answer

    async def boot_until_accepted(self, max_attempts: int | None = None) -> BootNotificationConf:
        """Boot, and while the CSMS answers Pending or Rejected, retry after its interval.

        Raises SimulatorError after `max_attempts` unaccepted answers (None: keep trying).
        """
        attempt = 0
        while True:
            answer = await self.boot()
            attempt += 1
            if answer.status == RegistrationStatus.accepted:
                return answer
            if max_attempts is not None and attempt >= max_attempts:
                raise SimulatorError(
                    f"BootNotification still {answer.status} after {attempt} attempt(s)"
                )
            retry_in = answer.interval or 10
            self.emit("info", f"boot {answer.status}, retrying in {retry_in} s")
            await asyncio.sleep(retry_in)

    async def heartbeat(self) -> HeartbeatConf:
        return await self.send(HeartbeatReq(), HeartbeatConf)

    async def status(
        self,
        connector_id: int,
        status: ChargePointStatus,
        error_code: ChargePointErrorCode = ChargePointErrorCode.no_error,
        *,
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        """Send a StatusNotification, stamped now.

        A connector id the charge point does not have is still sent, for negative tests.
        """
        connector = self.connectors.get(connector_id)
        if connector is not None:
            connector.status = status
            connector.error_code = error_code
        request = StatusNotificationReq(
            connector_id=connector_id,
            error_code=error_code,
            status=status,
            info=info,
            timestamp=timestamp_now(),
            vendor_id=vendor_id,
            vendor_error_code=vendor_error_code,
        )
        await self.send(request, StatusNotificationConf)

    async def send_all_statuses(self) -> None:
        """One StatusNotification per connector, 0 included, as after a boot."""
        for connector in self.connectors.values():
            await self.status(connector.connector_id, connector.status, connector.error_code)

    async def authorize(self, id_tag: str) -> IdTagInfo:
        answer = await self.send(AuthorizeReq(id_tag=id_tag), AuthorizeConf)
        self._remember(id_tag, answer.id_tag_info)
        return answer.id_tag_info

    def _remember(self, id_tag: str, info: IdTagInfo) -> None:
        if self.config_bool("AuthorizationCacheEnabled"):
            self.auth_cache.remember(id_tag, info)

    async def send_firmware_status(self, status: FirmwareStatus) -> None:
        self.firmware_status = status
        await self.send(FirmwareStatusNotificationReq(status), FirmwareStatusNotificationConf)

    async def send_signed_firmware_status(self, status: FirmwareStatus, request_id: int) -> None:
        self.firmware_status = status
        await self.send(
            SignedFirmwareStatusNotificationReq(status, request_id),
            SignedFirmwareStatusNotificationConf,
        )

    async def send_log_status(self, status: UploadLogStatus, request_id: int) -> None:
        await self.send(LogStatusNotificationReq(status, request_id), LogStatusNotificationConf)

    async def send_diagnostics_status(self, status: DiagnosticsStatus) -> None:
        self.diagnostics_status = status
        await self.send(DiagnosticsStatusNotificationReq(status), DiagnosticsStatusNotificationConf)

    # -------------------------------------------------------------- heartbeats

    def restart_heartbeat(self) -> None:
        self._stop_heartbeat()
        if self.registration_status == RegistrationStatus.accepted:
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
