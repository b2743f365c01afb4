"""What the CSMS knows of each charge point's configuration keys.

Learned only from answers to operator commands (GetConfiguration, ChangeConfiguration):
the CSMS sends nothing unasked. An operator may turn on a boot policy that asks for the
whole configuration after each accepted boot; it is off by default (OCPP 1.6 leaves this
to the CSMS, and certification tests expect no unrequested traffic).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ocpp.v16.enums import ConfigurationStatus, RegistrationStatus
from sqlalchemy import select

from ampyre.ocpp.v16.csms_messages.core import (
    ChangeConfigurationConf,
    ChangeConfigurationReq,
    GetConfigurationConf,
    GetConfigurationReq,
)
from ampyre.services.charge_points import ChargePointService, ChargePointUpdate
from ampyre.services.clock import now
from ampyre.services.commands import CommandService
from ampyre.storage.database import Database
from ampyre.storage.models import ConfigurationKey

log = logging.getLogger("ampyre.configuration")

#: The HTTP Basic password of security profiles 1 and 2 (security whitepaper 7.2).
AUTHORIZATION_KEY = "AuthorizationKey"

#: ChangeConfiguration answers after which the key holds the new value.
_APPLIED = (ConfigurationStatus.accepted, ConfigurationStatus.reboot_required)


class ConfigurationService:
    def __init__(
        self,
        db: Database,
        commands: CommandService,
        charge_points: ChargePointService,
        *,
        fetch_on_boot: bool,
    ) -> None:
        self.db = db
        self.commands = commands
        self.charge_points = charge_points
        self.fetch_on_boot = fetch_on_boot
        self._fetches: set[asyncio.Task[None]] = set()
        commands.register_effect("GetConfiguration", self.on_get_configuration_answered)
        commands.register_effect("ChangeConfiguration", self.on_change_configuration_answered)

    async def on_get_configuration_answered(
        self, charge_point_id: str, request: GetConfigurationReq, response: GetConfigurationConf
    ) -> None:
        timestamp = now()
        async with self.db.sessions.begin() as session:
            for entry in response.configuration_key or []:
                row = await self._row(session, charge_point_id, entry.key)
                secret = entry.key == AUTHORIZATION_KEY
                row.value = None if secret else entry.value
                row.readonly = entry.readonly
                row.known = True
                row.updated_at = timestamp
            for key in response.unknown_key or []:
                row = await self._row(session, charge_point_id, key)
                row.known = False
                row.updated_at = timestamp

    async def on_change_configuration_answered(
        self,
        charge_point_id: str,
        request: ChangeConfigurationReq,
        response: ChangeConfigurationConf,
    ) -> None:
        status = response.status
        unknown = status is ConfigurationStatus.not_supported
        if status not in _APPLIED and not unknown:
            return
        key = request.key
        if key == AUTHORIZATION_KEY and status in _APPLIED:
            # Security whitepaper A01.FR.03: once the charge point accepted a new
            # AuthorizationKey, only the new password is accepted. The key is write-only
            # (7.2): its value is kept as the password hash, never as configuration.
            await self.charge_points.update(
                charge_point_id, ChargePointUpdate(password=request.value)
            )
        async with self.db.sessions.begin() as session:
            row = await self._row(session, charge_point_id, key)
            if unknown:
                row.known = False
            else:
                row.value = None if key == AUTHORIZATION_KEY else request.value
                row.known = True
            row.updated_at = now()

    async def keys(self, charge_point_id: str) -> list[ConfigurationKey]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(ConfigurationKey)
                .where(ConfigurationKey.charge_point_id == charge_point_id)
                .order_by(ConfigurationKey.key)
            )
            return list(rows)

    async def value(self, charge_point_id: str, key: str) -> str | None:
        async with self.db.sessions() as session:
            row = await session.get(ConfigurationKey, (charge_point_id, key))
            return row.value if row is not None and row.known else None

    def after_boot(self, charge_point_id: str, status: RegistrationStatus) -> None:
        """The operator's boot policy: fetch the configuration after an accepted boot."""
        if not self.fetch_on_boot or status is not RegistrationStatus.accepted:
            return
        task = asyncio.create_task(self._fetch(charge_point_id))
        self._fetches.add(task)
        task.add_done_callback(self._fetches.discard)

    async def _fetch(self, charge_point_id: str) -> None:
        # Give the BootNotification answer time to go out and be taken in first.
        await asyncio.sleep(1.0)
        try:
            await self.commands.ask(
                charge_point_id, GetConfigurationReq(), GetConfigurationConf, timeout=60
            )
        except Exception as exc:
            log.warning("[%s] configuration fetch after boot failed: %s", charge_point_id, exc)

    @staticmethod
    async def _row(session: Any, charge_point_id: str, key: str) -> ConfigurationKey:
        row: ConfigurationKey | None = await session.get(ConfigurationKey, (charge_point_id, key))
        if row is None:
            row = ConfigurationKey(charge_point_id=charge_point_id, key=key, known=True)
            session.add(row)
        return row
