"""Charge points: registration, boots, presence and connector status.

Which charge points a list holds, and in what order, is `charge_point_filter`'s; who may
connect is `connection_admission`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus, RegistrationStatus
from sqlalchemy import delete, select

from ampyre.services.changes import UNCHANGED, Unchanged
from ampyre.services.charge_point_filter import CHARGE_POINT_SORT, ChargePointFilter
from ampyre.services.clock import now
from ampyre.services.connection_admission import (
    ConnectionAdmission,
    registrable,
)
from ampyre.services.errors import InvalidRequest, NotFound
from ampyre.services.listing import SortKey, order_by
from ampyre.services.lookup import add_new, get_or_not_found
from ampyre.services.passwords import hash_password
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.models import (
    ChargePoint,
    ConfigurationKey,
    Connector,
    InstalledChargingProfile,
    SchemaDeviation,
)
from ampyre.storage.paging import fetch_page

REGISTRATION_STATUSES = tuple(status.value for status in RegistrationStatus)

_charge_points = repositories.charge_points


@dataclass(slots=True, frozen=True)
class BootInfo:
    """What a charge point says of itself when it boots (OCPP 1.6, 4.2): the fields of
    BootNotification.req, which the handler hands over as they are."""

    charge_point_vendor: str
    charge_point_model: str
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(slots=True, frozen=True)
class Boot:
    """The CSMS's answer to a boot: the registration status, the time, the heartbeat."""

    status: RegistrationStatus
    current_time: datetime
    interval: int


@dataclass(slots=True)
class ConnectorStatus:
    """A connector's state as the charge point reports it (OCPP 1.6, 4.9)."""

    connector_id: int
    status: ChargePointStatus
    error_code: ChargePointErrorCode
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    #: When the charge point saw it (None: not said; the time it was received then).
    timestamp: datetime | None = None


@dataclass(slots=True, frozen=True)
class ChargePointUpdate:
    """Changes to a registered charge point; a field left `UNCHANGED` is kept."""

    registration_status: RegistrationStatus | str | Unchanged = UNCHANGED
    #: A new password, or None to remove it.
    password: str | Unchanged | None = UNCHANGED
    security_profile: int | Unchanged | None = UNCHANGED
    lenient: bool | Unchanged = UNCHANGED


#: How often the lastSeen times of connects and disconnects are written, together.
LAST_SEEN_FLUSH_INTERVAL = 1.0


class ChargePointService:
    def __init__(self, db: Database, *, heartbeat_interval: int, auto_register: bool) -> None:
        self.db = db
        self.heartbeat_interval = heartbeat_interval
        self.admission = ConnectionAdmission(db, auto_register=auto_register)
        #: Decide at the WebSocket upgrade whether an identity may connect.
        self.authorize_connection = self.admission.authorize
        #: lastSeen times not yet written (coalesced: one statement per flush).
        self._unsaved_last_seen: dict[str, datetime] = {}
        self._flush: asyncio.TimerHandle | None = None

    async def register(
        self,
        charge_point_id: str,
        *,
        password: str | None = None,
        security_profile: int | None = None,
        registration_status: RegistrationStatus | str = RegistrationStatus.accepted,
        lenient: bool = False,
    ) -> ChargePoint:
        if not registrable(charge_point_id):
            raise InvalidRequest("A charge point id must not be empty or contain '/'")
        profile = _security_profile(password, security_profile)
        if registration_status not in REGISTRATION_STATUSES:
            raise InvalidRequest(f"registrationStatus must be one of {REGISTRATION_STATUSES}")
        charge_point = ChargePoint(
            id=charge_point_id,
            password_hash=hash_password(password) if password else None,
            security_profile=profile,
            registration_status=RegistrationStatus(registration_status).value,
            lenient=lenient,
            created_at=now(),
        )
        async with self.db.sessions.begin() as session:
            return await add_new(session, charge_point, f"Charge point {charge_point_id!r}")

    async def get(self, charge_point_id: str) -> ChargePoint:
        async with self.db.sessions() as session:
            return await get_or_not_found(
                session, ChargePoint, charge_point_id, f"Charge point {charge_point_id!r}"
            )

    async def find(self, charge_point_id: str) -> ChargePoint | None:
        async with self.db.sessions() as session:
            return await session.get(ChargePoint, charge_point_id)

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        where: ChargePointFilter | None = None,
        sort: Sequence[SortKey] = (),
    ) -> tuple[list[ChargePoint], int]:
        query = select(ChargePoint).where(*(where.conditions() if where else ()))
        order = order_by(CHARGE_POINT_SORT, sort, ChargePoint.id)
        return await fetch_page(self.db.sessions, query, *order, limit=limit, offset=offset)

    async def connectors_of(self, charge_point_ids: Sequence[str]) -> dict[str, list[Connector]]:
        """The connectors of several charge points in one query (a page of the list)."""
        found: dict[str, list[Connector]] = {
            charge_point_id: [] for charge_point_id in charge_point_ids
        }
        if not charge_point_ids:
            return found
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Connector)
                .where(Connector.charge_point_id.in_(charge_point_ids))
                .order_by(Connector.charge_point_id, Connector.connector_id)
            )
            for row in rows:
                found[row.charge_point_id].append(row)
        return found

    async def connectors(self, charge_point_id: str) -> list[Connector]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(Connector)
                .where(Connector.charge_point_id == charge_point_id)
                .order_by(Connector.connector_id)
            )
            return list(rows)

    async def update(self, charge_point_id: str, changes: ChargePointUpdate) -> ChargePoint:
        async with self.db.sessions.begin() as session:
            charge_point = await get_or_not_found(
                session, ChargePoint, charge_point_id, f"Charge point {charge_point_id!r}"
            )
            status = changes.registration_status
            if status is not UNCHANGED:
                if status not in REGISTRATION_STATUSES:
                    raise InvalidRequest(
                        f"registrationStatus must be one of {', '.join(REGISTRATION_STATUSES)}"
                    )
                charge_point.registration_status = RegistrationStatus(status).value
            password = changes.password
            if password is not UNCHANGED:
                charge_point.password_hash = hash_password(password) if password else None
                if changes.security_profile is UNCHANGED:
                    # A new password keeps profile 2 or 3; it lifts 0 to 1. Removing the
                    # password drops 1 and 2 (they need one) to 0; 3 uses certificates.
                    current = charge_point.security_profile
                    if password:
                        charge_point.security_profile = max(current, 1)
                    elif current in (1, 2):
                        charge_point.security_profile = 0
            if changes.security_profile is not UNCHANGED:
                charge_point.security_profile = _security_profile(
                    "set" if charge_point.password_hash else None, changes.security_profile
                )
            if changes.lenient is not UNCHANGED:
                charge_point.lenient = bool(changes.lenient)
        return charge_point

    async def delete(self, charge_point_id: str) -> None:
        async with self.db.sessions.begin() as session:
            charge_point = await get_or_not_found(
                session, ChargePoint, charge_point_id, f"Charge point {charge_point_id!r}"
            )
            # What describes the charge point goes with it; transactions and meter
            # values stay: they are billing records.
            for model in (Connector, SchemaDeviation, InstalledChargingProfile, ConfigurationKey):
                await session.execute(delete(model).where(model.charge_point_id == charge_point_id))
            await session.delete(charge_point)

    async def record_boot(self, charge_point_id: str, boot: BootInfo) -> Boot:
        """Store what the charge point says of itself and answer from the operator's choice."""
        timestamp = now()
        description = asdict(boot)
        status = await self.db.commits.run(
            lambda cursor: _charge_points.record_boot(
                cursor, charge_point_id, description, timestamp
            )
        )
        if status is None:
            raise NotFound(f"Charge point {charge_point_id!r} not found")
        return Boot(RegistrationStatus(status), timestamp, self.heartbeat_interval)

    def touch_later(self, charge_point_id: str, when: datetime) -> None:
        """Note when a charge point was last seen; written with others within a second.

        Connects and disconnects come in storms (a network outage, a restart): one
        statement for all of them instead of a transaction each.
        """
        self._unsaved_last_seen[charge_point_id] = when
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_later(LAST_SEEN_FLUSH_INTERVAL, self._start_flush)

    def unsaved_last_seen(self, charge_point_id: str) -> datetime | None:
        return self._unsaved_last_seen.get(charge_point_id)

    def _start_flush(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush_last_seen())
        task.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def flush_last_seen(self) -> None:
        self._flush = None
        seen, self._unsaved_last_seen = self._unsaved_last_seen, {}
        if seen:
            await self.db.commits.run(lambda cursor: _charge_points.record_last_seen(cursor, seen))

    async def record_status(self, charge_point_id: str, report: ConnectorStatus) -> None:
        """Keep the connector's newest state: one upsert, no read first.

        No lastSeen write: the connection keeps the time of every message and stores it
        when the charge point disconnects.
        """
        timestamped = report.timestamp is not None
        moment = now()
        timestamp = report.timestamp if report.timestamp is not None else moment
        await self.db.commits.run(
            lambda cursor: _charge_points.record_status(
                cursor,
                charge_point_id,
                report.connector_id,
                status=report.status.value,
                error_code=report.error_code.value,
                info=report.info,
                vendor_id=report.vendor_id,
                vendor_error_code=report.vendor_error_code,
                timestamp=timestamp,
                # Queued notifications may arrive out of order: keep the newest state.
                newest_only=timestamped,
                updated_at=moment,
            )
        )

    async def record_firmware_status(self, charge_point_id: str, status: str) -> None:
        await self._set(charge_point_id, firmware_status=status)

    async def record_diagnostics_status(self, charge_point_id: str, status: str) -> None:
        await self._set(charge_point_id, diagnostics_status=status)

    async def set_local_list_version(self, charge_point_id: str, version: int | None) -> None:
        await self._set(charge_point_id, local_list_version=version)

    async def _set(self, charge_point_id: str, **values: Any) -> None:
        async with self.db.sessions.begin() as session:
            charge_point = await session.get(ChargePoint, charge_point_id)
            if charge_point is not None:
                for key, value in values.items():
                    setattr(charge_point, key, value)

    async def deviations(self, charge_point_id: str) -> list[SchemaDeviation]:
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(SchemaDeviation)
                .where(SchemaDeviation.charge_point_id == charge_point_id)
                .order_by(SchemaDeviation.action, SchemaDeviation.path)
            )
            return list(rows)

    async def record_deviations(
        self, charge_point_id: str, deviations: list[tuple[str, str, str, str]]
    ) -> None:
        """Count each (action, path, kind, detail) a lenient charge point was forgiven."""
        moment = now()
        await self.db.commits.run(
            lambda cursor: _charge_points.record_deviations(
                cursor, charge_point_id, deviations, moment
            )
        )


def _security_profile(password: str | None, requested: int | None) -> int:
    if requested is None:
        return 1 if password else 0
    if requested not in (0, 1, 2, 3):
        raise InvalidRequest("securityProfile must be 0, 1, 2 or 3")
    if requested in (1, 2) and not password:
        raise InvalidRequest(f"securityProfile {requested} needs a password")
    return requested
