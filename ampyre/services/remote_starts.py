"""Remote starts: an operator's RemoteStartTransaction, followed until it is a transaction.

The charge point answers RemoteStartTransaction with Accepted only; the transaction id comes
later in its StartTransaction. Ampyre links the two by charge point, id tag and (where
given) connector, so the operator learns which transaction the remote start became.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select, update

from ampyre.services.clock import now
from ampyre.services.id_tags import id_tag_key
from ampyre.services.lookup import get_or_not_found
from ampyre.storage.database import Database, Executor
from ampyre.storage.models import RemoteStart
from ampyre.storage.paging import fetch_page

#: What became of a remote start: awaited, a transaction, refused, or never answered.
PENDING = "Pending"
STARTED = "Started"
REJECTED = "Rejected"
FAILED = "Failed"

#: The pending remote starts a new transaction of a tag may be, oldest first.
_PENDING_CANDIDATES = (
    select(RemoteStart.id, RemoteStart.connector_id)
    .where(
        RemoteStart.charge_point_id == bindparam("charge_point_id"),
        RemoteStart.id_tag_key == bindparam("key"),
        RemoteStart.state == PENDING,
        RemoteStart.expires_at > bindparam("now"),
    )
    .order_by(RemoteStart.id)
)
_MARK_STARTED = (
    update(RemoteStart)
    .where(RemoteStart.id == bindparam("remote_start_id"))
    .values(
        state=STARTED,
        transaction_id=bindparam("started_transaction_id"),
        updated_at=bindparam("now"),
    )
)


class RemoteStartService:
    def __init__(self, db: Database, *, timeout: float) -> None:
        self.db = db
        self.timeout = timeout

    async def open(self, charge_point_id: str, connector_id: int | None, id_tag: str) -> int:
        """Record a remote start before it is sent, so a fast StartTransaction finds it."""
        timestamp = now()
        remote_start = RemoteStart(
            charge_point_id=charge_point_id,
            connector_id=connector_id,
            id_tag=id_tag,
            id_tag_key=id_tag_key(id_tag),
            state=PENDING,
            requested_at=timestamp,
            expires_at=timestamp + timedelta(seconds=self.timeout),
            updated_at=timestamp,
        )
        async with self.db.sessions.begin() as session:
            session.add(remote_start)
            await session.flush()
            return remote_start.id

    async def settle(self, remote_start_id: int, state: str) -> None:
        """Close a remote start that will not become a transaction (Rejected, Failed)."""
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(RemoteStart)
                .where(RemoteStart.id == remote_start_id, RemoteStart.state == PENDING)
                .values(state=state, updated_at=now())
            )

    async def claim(
        self,
        db: Executor,
        charge_point_id: str,
        connector_id: int,
        key: str,
        transaction_id: int,
    ) -> int | None:
        """Link the oldest matching pending remote start to a new transaction."""
        candidates = await db.execute(
            _PENDING_CANDIDATES, {"charge_point_id": charge_point_id, "key": key, "now": now()}
        )
        for remote_start in candidates.all():
            if remote_start.connector_id in (None, 0, connector_id):
                await db.execute(
                    _MARK_STARTED,
                    {
                        "remote_start_id": remote_start.id,
                        "started_transaction_id": transaction_id,
                        "now": now(),
                    },
                )
                return int(remote_start.id)
        return None

    async def expire(self) -> int:
        """Time out remote starts that never became a transaction; returns how many."""
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                update(RemoteStart)
                .where(RemoteStart.state == PENDING, RemoteStart.expires_at <= now())
                .values(state="TimedOut", updated_at=now())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def get(self, remote_start_id: int) -> RemoteStart:
        async with self.db.sessions() as session:
            remote_start = await get_or_not_found(
                session, RemoteStart, remote_start_id, f"Remote start {remote_start_id}"
            )
        if remote_start.state == PENDING and remote_start.expires_at <= now():
            remote_start.state = "TimedOut"
        return remote_start

    async def page(
        self, *, charge_point_id: str | None, limit: int, offset: int
    ) -> tuple[list[RemoteStart], int]:
        query = select(RemoteStart)
        if charge_point_id is not None:
            query = query.where(RemoteStart.charge_point_id == charge_point_id)
        return await fetch_page(
            self.db.sessions, query, RemoteStart.id.desc(), limit=limit, offset=offset
        )
