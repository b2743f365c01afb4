"""Sending a charge point its local list: Full, Differential or Auto, in parts if need be.

The sync reads what the CSMS records the charge point as holding, what its policy selects
now and the charge point's limits (LocalAuthListMaxLength, SendLocalListMaxLength: the
operator's, else its configuration keys, asked for with GetConfiguration when unknown),
then sends SendLocalList messages through `CommandService.send`. What the answers mean is
recorded by the service's effects, not here; here is the report the operator reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ocpp.v16.enums import UpdateStatus, UpdateType

from ampyre.ocpp.v16.csms_messages.core import GetConfigurationConf, GetConfigurationReq
from ampyre.ocpp.v16.csms_messages.local_list import (
    GetLocalListVersionConf,
    GetLocalListVersionReq,
    SendLocalListConf,
    SendLocalListReq,
)
from ampyre.services.clock import format_timestamp, now
from ampyre.services.commands import CommandService
from ampyre.services.configuration import ConfigurationService
from ampyre.services.errors import ChargePointCallError, Conflict, DomainError
from ampyre.services.local_lists.algebra import (
    Content,
    Limits,
    LocalListPolicy,
    changes_between,
    holds_recorded_list,
    is_recorded,
    next_version,
    parse_limit,
    policy_of,
    split_update,
)
from ampyre.services.local_lists.store import LocalListStore

LOCAL_AUTH_LIST_MAX_LENGTH = "LocalAuthListMaxLength"
SEND_LOCAL_LIST_MAX_LENGTH = "SendLocalListMaxLength"
LOCAL_AUTH_LIST_ENABLED = "LocalAuthListEnabled"

#: Answers after which a sync sends the whole list once more (OCPP 1.6, 5.15).
_RESYNC_ON = (UpdateStatus.failed, UpdateStatus.version_mismatch)


@dataclass(slots=True)
class SyncReport:
    """What one sync (or one SendLocalList sent by hand) did, as the operator reads it."""

    requested: str
    via: str = "sync"
    status: str = "UpToDate"
    #: The version of the last part the charge point accepted in this exchange.
    list_version: int | None = None
    parts: list[dict[str, Any]] = field(default_factory=list)
    resynced: bool = False
    notes: list[str] = field(default_factory=list)
    detail: str | None = None
    at: datetime = field(default_factory=now)

    def as_record(self) -> dict[str, Any]:
        """The report as stored (local_lists.last_result) and answered by the REST API."""
        return {
            "requested": self.requested,
            "via": self.via,
            "status": self.status,
            "listVersion": self.list_version,
            "parts": self.parts,
            "resynced": self.resynced,
            "notes": self.notes,
            "detail": self.detail,
            "at": format_timestamp(self.at),
        }


class LocalListSync:
    def __init__(
        self, store: LocalListStore, commands: CommandService, configuration: ConfigurationService
    ) -> None:
        self.store = store
        self.db = store.db
        self.commands = commands
        self.configuration = configuration

    async def ask_version(self, charge_point_id: str, *, timeout: float) -> int:
        """GetLocalListVersion; the answer is recorded by its effect."""
        answer = await self.commands.ask(
            charge_point_id, GetLocalListVersionReq(), GetLocalListVersionConf, timeout=timeout
        )
        return answer.list_version

    async def run(
        self, charge_point_id: str, report: SyncReport, timeout: float, refresh_limits: bool
    ) -> None:
        """One sync, written into `report` (see LocalListService.sync)."""
        row, held = await self.store.read(charge_point_id)
        mode = report.requested
        if mode == "Differential" and not is_recorded(row):
            raise Conflict(
                f"The CSMS has no record of the list charge point {charge_point_id!r} "
                "holds, so it cannot tell what changed: sync Full (or Auto) first"
            )
        policy = policy_of(row)
        wanted = await self.store.wanted(policy)
        limits = await self.limits(charge_point_id, policy, refresh_limits, timeout)
        self.check_size(charge_point_id, wanted, limits)
        if await self.enabled(charge_point_id) is False:
            report.notes.append(
                "LocalAuthListEnabled is false: the charge point keeps the list but does not "
                "use it until it is enabled"
            )
        if mode != "Full":
            if not is_recorded(row):
                mode = "Full"
                report.notes.append("no record of the list the charge point holds: sent Full")
            else:
                version = await self.ask_version(charge_point_id, timeout=timeout)
                if version == -1:
                    report.status = UpdateStatus.not_supported.value
                    report.notes.append("GetLocalListVersion answered -1: no local list")
                    return
                if not holds_recorded_list(version, row.sent_version, len(held)):
                    mode = "Full"
                    report.notes.append(
                        f"the charge point holds version {version}, the CSMS recorded "
                        f"{row.sent_version}: sent Full"
                    )
        if mode == "Full":
            entries = [wanted[key] for key in sorted(wanted)]
        else:
            changes = changes_between(held, wanted)
            if not changes:
                report.status = "UpToDate"
                report.list_version = row.sent_version if row else None
                report.notes.append("nothing changed since the recorded version: nothing sent")
                return
            if mode == "Auto" and len(changes) >= len(wanted):
                mode = "Full"
                entries = [wanted[key] for key in sorted(wanted)]
                report.notes.append("the changes are no shorter than the whole list: sent Full")
            else:
                mode = "Differential"
                entries = changes.entries()
        status = await self._send(charge_point_id, mode, entries, limits, report, timeout)
        if status not in _RESYNC_ON:
            return
        # OCPP 1.6, 5.15: after Failed or VersionMismatch the CSMS SHOULD send the full
        # list. Once: a charge point that fails that too is reported, not hammered.
        if status is UpdateStatus.failed:
            # The charge point's limits may be other than the CSMS knew: ask again.
            limits = await self.limits(charge_point_id, policy, True, timeout)
            try:
                self.check_size(charge_point_id, wanted, limits)
            except Conflict as exc:
                report.detail = exc.detail
                return
        report.resynced = True
        report.notes.append(f"{status.value}: sent the full list again")
        entries = [wanted[key] for key in sorted(wanted)]
        await self._send(charge_point_id, "Full", entries, limits, report, timeout)

    async def _send(
        self,
        charge_point_id: str,
        update_type: str,
        entries: list[dict[str, Any]],
        limits: Limits,
        report: SyncReport,
        timeout: float,
    ) -> UpdateStatus:
        """Send the update in parts; stop at the first part not Accepted."""
        row = await self.store.get(charge_point_id)
        seen = (row.sent_version, row.attempted_version, row.charge_point_version) if row else ()
        base = next_version(*seen)
        status = UpdateStatus.accepted
        parts = split_update(update_type, entries, limits.send_local_list_max_length)
        for offset, (part_type, chunk) in enumerate(parts):
            version = base + offset
            part: dict[str, Any] = {
                "updateType": part_type,
                "listVersion": version,
                "entries": len(chunk),
                "status": None,
            }
            report.parts.append(part)
            request = SendLocalListReq(version, UpdateType(part_type), chunk)
            try:
                answer = await self.commands.ask(
                    charge_point_id, request, SendLocalListConf, timeout=timeout
                )
            except ChargePointCallError:
                part["status"] = "CallError"
                raise
            except DomainError:
                part["status"] = "NoAnswer"
                raise
            status = answer.status
            part["status"] = status.value
            if status is not UpdateStatus.accepted:
                break
            report.list_version = version
        report.status = status.value
        return status

    async def limits(
        self, charge_point_id: str, policy: LocalListPolicy, refresh: bool, timeout: float
    ) -> Limits:
        """The max lengths: the operator's, else the charge point's configuration keys.

        Keys the CSMS has not learned yet (or all of them, with `refresh`) are asked for
        with GetConfiguration, LocalAuthListEnabled along (it is read-write, so it is
        asked anew); the configuration service records the answer.
        """
        values = await self._configured_limits(charge_point_id, policy, cached=not refresh)
        wanted = [key for key, value in values.items() if value is None]
        if wanted:
            answer = await self.commands.ask(
                charge_point_id,
                GetConfigurationReq(key=[*wanted, LOCAL_AUTH_LIST_ENABLED]),
                GetConfigurationConf,
                timeout=timeout,
            )
            reported = {
                entry.key.casefold(): entry.value for entry in answer.configuration_key or []
            }
            for key in wanted:
                values[key] = parse_limit(reported.get(key.casefold()))
        return Limits(values[LOCAL_AUTH_LIST_MAX_LENGTH], values[SEND_LOCAL_LIST_MAX_LENGTH])

    async def enabled(self, charge_point_id: str) -> bool | None:
        """LocalAuthListEnabled as last learned (9.2.1): a disabled list is kept, not used."""
        value = await self.configuration.value(charge_point_id, LOCAL_AUTH_LIST_ENABLED)
        if value is None or value.strip().lower() not in ("true", "false"):
            return None
        return value.strip().lower() == "true"

    async def known_limits(self, charge_point_id: str, policy: LocalListPolicy) -> Limits:
        values = await self._configured_limits(charge_point_id, policy, cached=True)
        return Limits(values[LOCAL_AUTH_LIST_MAX_LENGTH], values[SEND_LOCAL_LIST_MAX_LENGTH])

    async def _configured_limits(
        self, charge_point_id: str, policy: LocalListPolicy, *, cached: bool
    ) -> dict[str, int | None]:
        values = {
            LOCAL_AUTH_LIST_MAX_LENGTH: policy.local_auth_list_max_length,
            SEND_LOCAL_LIST_MAX_LENGTH: policy.send_local_list_max_length,
        }
        if cached:
            for key, value in values.items():
                if value is None:
                    values[key] = parse_limit(await self.configuration.value(charge_point_id, key))
        return values

    @staticmethod
    def check_size(charge_point_id: str, wanted: Content, limits: Limits) -> None:
        maximum = limits.local_auth_list_max_length
        if maximum is not None and len(wanted) > maximum:
            raise Conflict(
                f"The local list for {charge_point_id!r} would hold {len(wanted)} id tags, "
                f"more than its LocalAuthListMaxLength of {maximum}: narrow the policy "
                "(a group or named tags) or remove tags. Nothing was sent."
            )

    async def save_report(self, charge_point_id: str, report: SyncReport) -> None:
        async with self.db.sessions.begin() as session:
            row = await self.store.row(session, charge_point_id)
            row.last_result = report.as_record()
            # Parts that got no answer may still have been applied: never reuse a version.
            sent = [part["listVersion"] for part in report.parts]
            row.attempted_version = max([row.attempted_version or 0, *sent])
            row.updated_at = now()
