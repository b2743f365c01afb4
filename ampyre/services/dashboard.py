"""The fleet at a glance: counts the console's dashboard shows, each one SQL aggregate.

A console page cannot page through thousands of charge points and transactions every few
seconds to count them; the database can, in a handful of queries whose cost does not grow
with what is sent over the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ocpp.v16.enums import ChargePointStatus
from sqlalchemy import func, select

from ampyre.services.clock import now
from ampyre.services.gateway import ChargePointGateway
from ampyre.storage.database import Database
from ampyre.storage.models import ChargePoint, ChargePointEvent, Connector, Transaction

#: The status a connector reports when it cannot charge (OCPP 1.6, 7.7 ChargePointStatus).
FAULTED = ChargePointStatus.faulted.value
SECURITY_EVENT = "SecurityEventNotification"
RECENT = 10
#: Charge point ids per IN list (SQLite allows 32766 bound parameters, asyncpg 32767).
ID_CHUNK = 5000


@dataclass(slots=True, frozen=True)
class Fault:
    charge_point_id: str
    connector_id: int
    error_code: str
    info: str | None
    vendor_error_code: str | None
    timestamp: datetime | None


@dataclass(slots=True, frozen=True)
class SecurityEvent:
    charge_point_id: str
    type: str
    tech_info: str | None
    timestamp: datetime


@dataclass(slots=True, frozen=True)
class FleetSummary:
    charge_points: int
    online: int
    #: Charge points with at least one connector (or the whole unit, connector 0) Faulted.
    faulted: int
    #: Connector status -> how many connectors (connector 0, the unit itself, excluded).
    connectors: dict[str, int]
    active_transactions: int
    #: Energy of the transactions that stopped since the start of the UTC day / month.
    energy_today_wh: int
    energy_month_wh: int
    day_start: datetime
    month_start: datetime
    recent_faults: list[Fault]
    recent_security_events: list[SecurityEvent]


def period_starts(moment: datetime) -> tuple[datetime, datetime]:
    """The start of `moment`'s UTC day and month: the periods energy is summed over."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


class DashboardService:
    def __init__(self, db: Database, gateway: ChargePointGateway) -> None:
        self.db = db
        self.gateway = gateway

    async def summary(self) -> FleetSummary:
        day_start, month_start = period_starts(now())
        connected = self.gateway.connected_ids()
        delivered = func.coalesce(func.sum(Transaction.meter_stop - Transaction.meter_start), 0)
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(ChargePoint))
            online = 0
            # Connected ids no longer registered (removed meanwhile) do not count. In chunks:
            # a fleet's ids would pass the databases' bound-parameter limits in one IN list.
            ids = sorted(connected)
            for first in range(0, len(ids), ID_CHUNK):
                online += (
                    await session.scalar(
                        select(func.count())
                        .select_from(ChargePoint)
                        .where(ChargePoint.id.in_(ids[first : first + ID_CHUNK]))
                    )
                    or 0
                )
            faulted = await session.scalar(
                select(func.count(func.distinct(Connector.charge_point_id))).where(
                    Connector.status == FAULTED
                )
            )
            by_status = await session.execute(
                select(Connector.status, func.count())
                .where(Connector.connector_id > 0)
                .group_by(Connector.status)
            )
            active = await session.scalar(
                select(func.count())
                .select_from(Transaction)
                .where(Transaction.stop_timestamp.is_(None))
            )
            stopped = Transaction.stop_timestamp.is_not(None)
            today = await session.scalar(
                select(delivered).where(stopped, Transaction.stop_timestamp >= day_start)
            )
            month = await session.scalar(
                select(delivered).where(stopped, Transaction.stop_timestamp >= month_start)
            )
            faults = await session.scalars(
                select(Connector)
                .where(Connector.status == FAULTED)
                .order_by(Connector.updated_at.desc())
                .limit(RECENT)
            )
            events = await session.scalars(
                select(ChargePointEvent)
                .where(ChargePointEvent.action == SECURITY_EVENT)
                .order_by(ChargePointEvent.id.desc())
                .limit(RECENT)
            )
            return FleetSummary(
                charge_points=int(total or 0),
                online=int(online),
                faulted=int(faulted or 0),
                connectors={status: int(count) for status, count in by_status.tuples()},
                active_transactions=int(active or 0),
                energy_today_wh=int(today or 0),
                energy_month_wh=int(month or 0),
                day_start=day_start,
                month_start=month_start,
                recent_faults=[
                    Fault(
                        charge_point_id=c.charge_point_id,
                        connector_id=c.connector_id,
                        error_code=c.error_code,
                        info=c.info,
                        vendor_error_code=c.vendor_error_code,
                        timestamp=c.timestamp or c.updated_at,
                    )
                    for c in faults
                ],
                recent_security_events=[
                    SecurityEvent(
                        charge_point_id=e.charge_point_id,
                        type=str(e.payload.get("type", "")),
                        tech_info=e.payload.get("techInfo"),
                        timestamp=e.timestamp,
                    )
                    for e in events
                ],
            )
