"""The local list service: what SendLocalList and GetLocalListVersion answers mean, the
operator's policy and sync requests, and the views the operator reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpp.v16.enums import UpdateStatus, UpdateType

from ampyre.ocpp.v16.csms_messages.local_list import (
    GetLocalListVersionConf,
    GetLocalListVersionReq,
    SendLocalListConf,
    SendLocalListReq,
)
from ampyre.services.charge_points import ChargePointService
from ampyre.services.clock import now
from ampyre.services.commands import CommandService
from ampyre.services.configuration import ConfigurationService
from ampyre.services.errors import Conflict, DomainError, InvalidRequest
from ampyre.services.local_lists.algebra import (
    UPDATE_TYPES,
    Changes,
    Content,
    Limits,
    LocalListPolicy,
    changes_between,
    check_policy,
    content_digest,
    is_out_of_date,
    policy_of,
)
from ampyre.services.local_lists.store import LocalListStore
from ampyre.services.local_lists.sync import LocalListSync, SyncReport
from ampyre.services.locks import Locks
from ampyre.storage.database import Database


@dataclass(slots=True)
class LocalListView:
    charge_point_id: str
    policy: LocalListPolicy
    limits: Limits
    #: LocalAuthListEnabled as last learned; None if unknown.
    enabled: bool | None
    sent_version: int | None
    accepted_at: datetime | None
    charge_point_version: int | None
    charge_point_version_at: datetime | None
    supported: bool | None
    entries_known: bool
    out_of_date: bool
    entries: list[dict[str, Any]]
    pending: Changes | None
    last_result: dict[str, Any] | None


@dataclass(slots=True)
class LocalListSummary:
    charge_point_id: str
    source: str
    sent_version: int | None
    charge_point_version: int | None
    supported: bool | None
    entry_count: int
    out_of_date: bool
    last_result: dict[str, Any] | None


class LocalListService:
    def __init__(
        self,
        db: Database,
        commands: CommandService,
        charge_points: ChargePointService,
        configuration: ConfigurationService,
        locks: Locks,
    ) -> None:
        self.db = db
        self.locks = locks
        self.commands = commands
        self.charge_points = charge_points
        self.configuration = configuration
        self.store = LocalListStore(db)
        self._sync = LocalListSync(self.store, commands, configuration)
        commands.register_effect("SendLocalList", self.on_send_local_list_answered)
        commands.register_effect("GetLocalListVersion", self.on_get_local_list_version_answered)

    # --- what answers mean -------------------------------------------------------------

    async def on_send_local_list_answered(
        self, charge_point_id: str, request: SendLocalListReq, response: SendLocalListConf
    ) -> None:
        accepted = response.status is UpdateStatus.accepted
        status = response.status.value
        version = request.list_version
        update_type = request.update_type.value
        entries = request.local_authorization_list or []
        timestamp = now()
        async with self.db.sessions.begin() as session:
            row = await self.store.row(session, charge_point_id)
            row.attempted_version = max(row.attempted_version or version, version)
            if accepted:
                if request.update_type is UpdateType.full or row.entries_known:
                    held = await self.store.record_update(
                        session, charge_point_id, update_type, entries
                    )
                    row.entries_known = True
                    row.entries_digest = content_digest(held)
                row.sent_version = version
                row.accepted_at = timestamp
                row.supported = True
            elif response.status is UpdateStatus.not_supported:
                row.supported = False
            row.last_result = SyncReport(
                requested=update_type,
                via="command",
                status=status,
                list_version=version if accepted else None,
                parts=[
                    {
                        "updateType": update_type,
                        "listVersion": version,
                        "entries": len(entries),
                        "status": status,
                    }
                ],
                at=timestamp,
            ).as_record()
            row.updated_at = timestamp
        if accepted:
            await self.charge_points.set_local_list_version(charge_point_id, version)

    async def on_get_local_list_version_answered(
        self,
        charge_point_id: str,
        request: GetLocalListVersionReq,
        response: GetLocalListVersionConf,
    ) -> None:
        version = response.list_version
        timestamp = now()
        async with self.db.sessions.begin() as session:
            row = await self.store.row(session, charge_point_id)
            row.charge_point_version = version
            row.charge_point_version_at = timestamp
            # OCPP 1.6, 5.10: -1 says the charge point does not support local lists.
            row.supported = version != -1
            row.updated_at = timestamp
        await self.charge_points.set_local_list_version(charge_point_id, version)

    # --- operator requests -------------------------------------------------------------

    async def set_policy(self, charge_point_id: str, policy: LocalListPolicy) -> LocalListView:
        check_policy(policy)
        await self.charge_points.get(charge_point_id)
        await self.store.save_policy(charge_point_id, policy)
        return await self.view(charge_point_id)

    async def ask_version(self, charge_point_id: str, *, timeout: float) -> int:
        """GetLocalListVersion; the answer is recorded by its effect."""
        return await self._sync.ask_version(charge_point_id, timeout=timeout)

    async def sync(
        self, charge_point_id: str, update_type: str, *, timeout: float, refresh_limits: bool
    ) -> SyncReport:
        """Bring the charge point's list to what its policy selects now.

        Full sends the whole list; Differential only the changes since the recorded
        version (after checking with GetLocalListVersion that the charge point holds it);
        Auto sends changes when the CSMS knows what the charge point holds, else the whole
        list. A Failed or VersionMismatch answer is followed by one Full resync (OCPP 1.6,
        5.15), NotSupported is recorded and not retried.
        """
        if update_type not in UPDATE_TYPES:
            raise InvalidRequest(f"updateType must be one of {', '.join(UPDATE_TYPES)}")
        await self.charge_points.get(charge_point_id)
        if not self.commands.gateway.is_connected(charge_point_id):
            raise Conflict(f"Charge point {charge_point_id!r} is not connected")
        # One sync per charge point at a time, whichever node the operator reached.
        async with self.locks.exclusive(f"local-list:{charge_point_id}", wait=4 * timeout):
            report = SyncReport(requested=update_type)
            try:
                await self._sync.run(charge_point_id, report, timeout, refresh_limits)
            except DomainError as exc:
                if report.parts:  # part of the list went out: keep what happened
                    report.status = "Error"
                    report.detail = exc.detail
                    await self._sync.save_report(charge_point_id, report)
                raise
            await self._sync.save_report(charge_point_id, report)
            return report

    # --- what the operator reads -------------------------------------------------------

    async def wanted(self, policy: LocalListPolicy) -> Content:
        """The list the policy selects from the id tag store now, by compared id tag."""
        return await self.store.wanted(policy)

    async def view(self, charge_point_id: str) -> LocalListView:
        await self.charge_points.get(charge_point_id)
        row, held = await self.store.read(charge_point_id)
        policy = policy_of(row)
        wanted = await self.wanted(policy)
        known = row is not None and row.entries_known
        return LocalListView(
            charge_point_id=charge_point_id,
            policy=policy,
            limits=await self._sync.known_limits(charge_point_id, policy),
            enabled=await self._sync.enabled(charge_point_id),
            sent_version=row.sent_version if row else None,
            accepted_at=row.accepted_at if row else None,
            charge_point_version=row.charge_point_version if row else None,
            charge_point_version_at=row.charge_point_version_at if row else None,
            supported=row.supported if row else None,
            entries_known=known,
            out_of_date=is_out_of_date(
                row, content_digest(held), len(held), content_digest(wanted)
            ),
            entries=[held[key] for key in sorted(held)],
            pending=changes_between(held, wanted) if known else None,
            last_result=row.last_result if row else None,
        )

    async def summaries(
        self, *, out_of_date: bool | None, limit: int, offset: int
    ) -> tuple[list[LocalListSummary], int]:
        """One line per registered charge point; with `out_of_date`, only those that are
        (or are not) out of date."""
        ids, total, rows, counts = await self.store.charge_points(
            limit=limit if out_of_date is None else None, offset=offset
        )
        digests: dict[tuple[Any, ...], str] = {}
        summaries = []
        for charge_point_id in ids:
            row = rows.get(charge_point_id)
            policy = policy_of(row)
            selection = policy.selection()
            if selection not in digests:
                digests[selection] = content_digest(await self.wanted(policy))
            summaries.append(
                LocalListSummary(
                    charge_point_id=charge_point_id,
                    source=policy.source,
                    sent_version=row.sent_version if row else None,
                    charge_point_version=row.charge_point_version if row else None,
                    supported=row.supported if row else None,
                    entry_count=counts.get(charge_point_id, 0),
                    out_of_date=is_out_of_date(
                        row,
                        row.entries_digest if row else None,
                        counts.get(charge_point_id, 0),
                        digests[selection],
                    ),
                    last_result=row.last_result if row else None,
                )
            )
        if out_of_date is None:
            return summaries, total
        chosen = [s for s in summaries if s.out_of_date == out_of_date]
        return chosen[offset : offset + limit], len(chosen)
