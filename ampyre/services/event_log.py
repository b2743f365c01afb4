"""The charge point event log: notifications kept as they came, for the operator to read.

Security events (the charge point's own security log, whitepaper section 4), log upload
progress and signed firmware status carry no state the CSMS acts on beyond what other
services record; their value is the history, so they are stored verbatim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ampyre.services.clock import now
from ampyre.storage.database import Database
from ampyre.storage.models import ChargePointEvent
from ampyre.storage.paging import fetch_page


class EventLogService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        charge_point_id: str,
        action: str,
        payload: dict[str, Any],
        timestamp: datetime | None = None,
    ) -> None:
        received = now()
        async with self.db.sessions.begin() as session:
            session.add(
                ChargePointEvent(
                    charge_point_id=charge_point_id,
                    action=action,
                    timestamp=timestamp or received,
                    payload=payload,
                    received_at=received,
                )
            )

    async def page(
        self, charge_point_id: str, *, action: str | None, limit: int, offset: int
    ) -> tuple[list[ChargePointEvent], int]:
        query = select(ChargePointEvent).where(ChargePointEvent.charge_point_id == charge_point_id)
        if action is not None:
            query = query.where(ChargePointEvent.action == action)
        return await fetch_page(
            self.db.sessions, query, ChargePointEvent.id.desc(), limit=limit, offset=offset
        )
