"""Local Authorization Lists (OCPP 1.6, 3.5.2, 5.10, 5.15): built, sent and followed.

The CSMS owns one list per charge point, built from the id tag store by the charge
point's policy (all tags, the members of a group, or named tags). It records exactly which
entries the charge point holds and at which version, learned only from the charge point's
answers, so that a Differential update carries only what changed, and so that an operator
can tell which charge points hold an out-of-date list.

Every message goes through `CommandService.send`, and what an answer means is recorded by
the effects registered here, so a SendLocalList sent by hand through the generic commands
endpoint is followed exactly like one sent by a sync.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.services.charge_points import ChargePointService
from ampyre.services.clock import format_timestamp, now, parse_timestamp
from ampyre.services.commands import CommandService
from ampyre.services.configuration import ConfigurationService
from ampyre.services.errors import ChargePointCallError, Conflict, DomainError, InvalidRequest
from ampyre.services.id_tags import _check_tag, id_tag_key
from ampyre.storage.database import Database
from ampyre.storage.models import ChargePoint, IdTag, LocalList, LocalListEntry

LIST_SOURCES = ("all", "group", "tags")
UPDATE_TYPES = ("Auto", "Full", "Differential")
LOCAL_AUTH_LIST_MAX_LENGTH = "LocalAuthListMaxLength"
SEND_LOCAL_LIST_MAX_LENGTH = "SendLocalListMaxLength"
LOCAL_AUTH_LIST_ENABLED = "LocalAuthListEnabled"

#: Answers after which a sync sends the whole list once more (OCPP 1.6, 5.15).
_RESYNC_ON = ("Failed", "VersionMismatch")
#: Statuses a member takes from its group (parent), as online authorization does.
_GROUP_WIDE = ("Blocked", "Expired")

#: An id tag's compared form -> its AuthorizationData ({"idTag", "idTagInfo"}).
Content = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LocalListPolicy:
    """Which id tags a charge point's list holds, and limits the operator knows better."""

    source: str = "all"
    parent_id_tag: str | None = None
    id_tags: tuple[str, ...] | None = None
    local_auth_list_max_length: int | None = None
    send_local_list_max_length: int | None = None

    def selection(self) -> tuple[Any, ...]:
        """What decides the list's content: policies with equal selections build one list."""
        if self.source == "group":
            return ("group", id_tag_key(self.parent_id_tag or ""))
        if self.source == "tags":
            return ("tags", tuple(sorted(id_tag_key(tag) for tag in self.id_tags or ())))
        return ("all",)


@dataclass(frozen=True, slots=True)
class Limits:
    local_auth_list_max_length: int | None
    send_local_list_max_length: int | None


@dataclass(slots=True)
class Changes:
    """A Differential update: removals (no idTagInfo), changed and added entries."""

    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]
    added: list[dict[str, Any]]

    def entries(self) -> list[dict[str, Any]]:
        # Removals go first so that no part of a split update makes the list longer than
        # both the old and the new one (LocalAuthListMaxLength).
        return [*self.removed, *self.changed, *self.added]

    def __len__(self) -> int:
        return len(self.removed) + len(self.changed) + len(self.added)


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


def authorization_data(tag: IdTag, parent: IdTag | None) -> dict[str, Any]:
    """The list entry for `tag`: what the CSMS answers online, without the clock.

    The entry keeps the stored status and leaves expiry to the charge point, which must
    reject a tag past its expiryDate by itself (OCPP 1.6, 3.5.4), so a list does not go out
    of date by time alone. A Blocked or Expired group blocks its members as online
    authorization does, and a member expires no later than its group.
    """
    status = tag.status
    expiry = tag.expiry_date
    if parent is not None:
        if status == "Accepted" and parent.status in _GROUP_WIDE:
            status = parent.status
        if parent.expiry_date is not None and (expiry is None or parent.expiry_date < expiry):
            expiry = parent.expiry_date
    info: dict[str, Any] = {"status": status}
    if expiry is not None:
        info["expiryDate"] = format_timestamp(expiry)
    if tag.parent_id_tag:
        info["parentIdTag"] = tag.parent_id_tag
    return {"idTag": tag.id_tag, "idTagInfo": info}


def changes_between(held: Content, wanted: Content) -> Changes:
    """The Differential update that turns `held` into `wanted` (OCPP 1.6, 7.1)."""
    return Changes(
        removed=[{"idTag": held[key]["idTag"]} for key in sorted(held.keys() - wanted.keys())],
        changed=[
            wanted[key]
            for key in sorted(held.keys() & wanted.keys())
            if held[key]["idTagInfo"] != wanted[key]["idTagInfo"]
        ],
        added=[wanted[key] for key in sorted(wanted.keys() - held.keys())],
    )


def content_digest(content: Content) -> str:
    """A fingerprint of a list's entries; the spelling of an id tag does not count."""
    canonical = sorted((key, entry["idTagInfo"]) for key, entry in content.items())
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def split_update(
    update_type: str, entries: list[dict[str, Any]], send_max: int | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Cut an update into SendLocalList messages of at most `send_max` entries.

    OCPP 1.6, 6.41 caps the entries of one SendLocalList.req at SendLocalListMaxLength and
    offers no multi-part Full update. So a long Full update is a Full message with the
    first entries followed by Differential messages adding the rest: every entry carries
    its idTagInfo, so each Differential part only adds (7.1). Each part needs its own,
    higher listVersion, since a Differential one must exceed the version the charge point
    holds (7.2, VersionMismatch).
    """
    if send_max is None or len(entries) <= send_max:
        return [(update_type, entries)]
    chunks = [entries[start : start + send_max] for start in range(0, len(entries), send_max)]
    return [(update_type, chunks[0]), *(("Differential", chunk) for chunk in chunks[1:])]


def holds_recorded_list(
    charge_point_version: int, sent_version: int | None, entry_count: int
) -> bool:
    """Does a GetLocalListVersion answer agree with what the CSMS recorded?

    OCPP 1.6, 5.10: version 0 means "the list is empty", whatever version was installed,
    so an empty list reported as 0 is the recorded one.
    """
    if charge_point_version == sent_version:
        return True
    return charge_point_version == 0 and entry_count == 0


def _limit(value: str | None) -> int | None:
    """A max-length configuration value, or None when the charge point gave no usable one."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 1 else None


def _normalized(entry: dict[str, Any]) -> dict[str, Any]:
    """An AuthorizationData as the CSMS itself writes it, so equal entries compare equal."""
    info = {key: value for key, value in entry["idTagInfo"].items() if value is not None}
    if "expiryDate" in info:
        info["expiryDate"] = format_timestamp(parse_timestamp(info["expiryDate"]))
    return {"idTag": entry["idTag"], "idTagInfo": info}


def check_policy(policy: LocalListPolicy) -> LocalListPolicy:
    """The policy as stored, or InvalidRequest naming what is wrong with it."""
    if policy.source not in LIST_SOURCES:
        raise InvalidRequest(f"source must be one of {', '.join(LIST_SOURCES)}")
    if policy.source == "group":
        _check_tag(policy.parent_id_tag, "parentIdTag")
    elif policy.parent_id_tag is not None:
        raise InvalidRequest('parentIdTag goes with source "group" only')
    if policy.source == "tags":
        if policy.id_tags is None:
            raise InvalidRequest('source "tags" needs idTags, the id tags the list holds')
        seen: set[str] = set()
        for tag in policy.id_tags:
            key = id_tag_key(_check_tag(tag, "idTags[]"))
            if key in seen:
                raise InvalidRequest(f"idTags names {tag!r} twice (id tags are case-insensitive)")
            seen.add(key)
    elif policy.id_tags is not None:
        raise InvalidRequest('idTags goes with source "tags" only')
    for name, value in (
        ("localAuthListMaxLength", policy.local_auth_list_max_length),
        ("sendLocalListMaxLength", policy.send_local_list_max_length),
    ):
        if value is not None and value < 1:
            raise InvalidRequest(f"{name} must be at least 1")
    return policy


def _policy_of(row: LocalList | None) -> LocalListPolicy:
    if row is None:
        return LocalListPolicy()
    return LocalListPolicy(
        source=row.source,
        parent_id_tag=row.parent_id_tag,
        id_tags=tuple(row.id_tags) if row.id_tags is not None else None,
        local_auth_list_max_length=row.local_auth_list_max_length,
        send_local_list_max_length=row.send_local_list_max_length,
    )


def _recorded(row: LocalList | None) -> TypeGuard[LocalList]:
    """Does the CSMS know exactly which entries the charge point holds, and at which version?"""
    return row is not None and row.sent_version is not None and row.entries_known


def _out_of_date(
    row: LocalList | None, held_digest: str | None, held_count: int, wanted_digest: str
) -> bool:
    """The store or policy changed since the list was sent, or the charge point disagrees."""
    if row is not None and row.supported is False:
        return False  # it has no list to bring up to date
    if not _recorded(row):
        return True
    if held_digest != wanted_digest:
        return True
    checked_later = row.charge_point_version_at is not None and (
        row.accepted_at is None or row.charge_point_version_at > row.accepted_at
    )
    if checked_later and row.charge_point_version is not None:
        return not holds_recorded_list(row.charge_point_version, row.sent_version, held_count)
    return False


class LocalListService:
    def __init__(
        self,
        db: Database,
        commands: CommandService,
        charge_points: ChargePointService,
        configuration: ConfigurationService,
    ) -> None:
        self.db = db
        self.commands = commands
        self.charge_points = charge_points
        self.configuration = configuration
        self._locks: dict[str, asyncio.Lock] = {}
        commands.register_effect("SendLocalList", self.on_send_local_list_answered)
        commands.register_effect("GetLocalListVersion", self.on_get_local_list_version_answered)

    # --- what answers mean -------------------------------------------------------------

    async def on_send_local_list_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        status = response.get("status", "")
        version = int(request["listVersion"])
        update_type = request["updateType"]
        entries = request.get("localAuthorizationList") or []
        timestamp = now()
        async with self.db.sessions.begin() as session:
            row = await self._row(session, charge_point_id)
            row.attempted_version = max(row.attempted_version or version, version)
            if status == "Accepted":
                if update_type == "Full":
                    await self._replace_entries(session, charge_point_id, entries)
                    row.entries_known = True
                elif row.entries_known:
                    await self._apply_entries(session, charge_point_id, entries)
                if row.entries_known:
                    row.entries_digest = content_digest(
                        await self._held_in(session, charge_point_id)
                    )
                row.sent_version = version
                row.accepted_at = timestamp
                row.supported = True
            elif status == "NotSupported":
                row.supported = False
            row.last_result = SyncReport(
                requested=update_type,
                via="command",
                status=status,
                list_version=version if status == "Accepted" else None,
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
        if status == "Accepted":
            await self.charge_points.set_local_list_version(charge_point_id, version)

    async def on_get_local_list_version_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        version = int(response["listVersion"])
        timestamp = now()
        async with self.db.sessions.begin() as session:
            row = await self._row(session, charge_point_id)
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
        async with self.db.sessions.begin() as session:
            row = await self._row(session, charge_point_id)
            row.source = policy.source
            row.parent_id_tag = policy.parent_id_tag
            row.id_tags = list(policy.id_tags) if policy.id_tags is not None else None
            row.local_auth_list_max_length = policy.local_auth_list_max_length
            row.send_local_list_max_length = policy.send_local_list_max_length
            row.updated_at = now()
        return await self.view(charge_point_id)

    async def ask_version(self, charge_point_id: str, *, timeout: float) -> int:
        """GetLocalListVersion; the answer is recorded by its effect."""
        answer = await self.commands.send(
            charge_point_id, "GetLocalListVersion", {}, timeout=timeout
        )
        return int(answer.payload["listVersion"])

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
        lock = self._locks.setdefault(charge_point_id, asyncio.Lock())
        async with lock:
            report = SyncReport(requested=update_type)
            try:
                await self._sync(charge_point_id, report, timeout, refresh_limits)
            except DomainError as exc:
                if report.parts:  # part of the list went out: keep what happened
                    report.status = "Error"
                    report.detail = exc.detail
                    await self._save_report(charge_point_id, report)
                raise
            await self._save_report(charge_point_id, report)
            return report

    # --- what the operator reads -------------------------------------------------------

    async def wanted(self, policy: LocalListPolicy) -> Content:
        """The list the policy selects from the id tag store now, by compared id tag."""
        query = select(IdTag)
        if policy.source == "group":
            query = query.where(IdTag.parent_id_tag.is_not(None))
        elif policy.source == "tags":
            query = query.where(IdTag.key.in_([id_tag_key(t) for t in policy.id_tags or ()]))
        async with self.db.sessions() as session:
            tags = list(await session.scalars(query.order_by(IdTag.key)))
            if policy.source == "group":
                group = id_tag_key(policy.parent_id_tag or "")
                tags = [t for t in tags if id_tag_key(t.parent_id_tag or "") == group]
            parent_keys = {id_tag_key(t.parent_id_tag) for t in tags if t.parent_id_tag}
            parents: dict[str, IdTag] = {}
            if parent_keys:
                rows = await session.scalars(select(IdTag).where(IdTag.key.in_(parent_keys)))
                parents = {row.key: row for row in rows}
        return {
            tag.key: authorization_data(
                tag, parents.get(id_tag_key(tag.parent_id_tag)) if tag.parent_id_tag else None
            )
            for tag in tags
        }

    async def view(self, charge_point_id: str) -> LocalListView:
        await self.charge_points.get(charge_point_id)
        async with self.db.sessions() as session:
            row = await session.get(LocalList, charge_point_id)
            held = await self._held_in(session, charge_point_id)
        policy = _policy_of(row)
        wanted = await self.wanted(policy)
        known = row is not None and row.entries_known
        return LocalListView(
            charge_point_id=charge_point_id,
            policy=policy,
            limits=await self._known_limits(charge_point_id, policy),
            enabled=await self._enabled(charge_point_id),
            sent_version=row.sent_version if row else None,
            accepted_at=row.accepted_at if row else None,
            charge_point_version=row.charge_point_version if row else None,
            charge_point_version_at=row.charge_point_version_at if row else None,
            supported=row.supported if row else None,
            entries_known=known,
            out_of_date=_out_of_date(row, content_digest(held), len(held), content_digest(wanted)),
            entries=[held[key] for key in sorted(held)],
            pending=changes_between(held, wanted) if known else None,
            last_result=row.last_result if row else None,
        )

    async def summaries(
        self, *, out_of_date: bool | None, limit: int, offset: int
    ) -> tuple[list[LocalListSummary], int]:
        """One line per registered charge point; with `out_of_date`, only those that are
        (or are not) out of date."""
        async with self.db.sessions() as session:
            query = select(ChargePoint.id).order_by(ChargePoint.id)
            total = int(await session.scalar(select(func.count()).select_from(ChargePoint)) or 0)
            if out_of_date is None:
                query = query.limit(limit).offset(offset)
            ids = list(await session.scalars(query))
            rows = {
                row.charge_point_id: row
                for row in await session.scalars(
                    select(LocalList).where(LocalList.charge_point_id.in_(ids))
                )
            }
            counted = await session.execute(
                select(LocalListEntry.charge_point_id, func.count())
                .where(LocalListEntry.charge_point_id.in_(ids))
                .group_by(LocalListEntry.charge_point_id)
            )
            counts: dict[str, int] = {cp: int(n) for cp, n in counted.tuples()}
        digests: dict[tuple[Any, ...], str] = {}
        summaries = []
        for charge_point_id in ids:
            row = rows.get(charge_point_id)
            policy = _policy_of(row)
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
                    out_of_date=_out_of_date(
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

    # --- the sync itself ---------------------------------------------------------------

    async def _sync(
        self, charge_point_id: str, report: SyncReport, timeout: float, refresh_limits: bool
    ) -> None:
        async with self.db.sessions() as session:
            row = await session.get(LocalList, charge_point_id)
            held = await self._held_in(session, charge_point_id)
        mode = report.requested
        if mode == "Differential" and not _recorded(row):
            raise Conflict(
                f"The CSMS has no record of the list charge point {charge_point_id!r} "
                "holds, so it cannot tell what changed: sync Full (or Auto) first"
            )
        policy = _policy_of(row)
        wanted = await self.wanted(policy)
        limits = await self._limits(charge_point_id, policy, refresh_limits, timeout)
        self._check_size(charge_point_id, wanted, limits)
        if await self._enabled(charge_point_id) is False:
            report.notes.append(
                "LocalAuthListEnabled is false: the charge point keeps the list but does not "
                "use it until it is enabled"
            )
        if mode != "Full":
            if not _recorded(row):
                mode = "Full"
                report.notes.append("no record of the list the charge point holds: sent Full")
            else:
                version = await self.ask_version(charge_point_id, timeout=timeout)
                if version == -1:
                    report.status = "NotSupported"
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
        if status == "Failed":
            # The charge point's limits may be other than the CSMS knew: ask again.
            limits = await self._limits(charge_point_id, policy, True, timeout)
            try:
                self._check_size(charge_point_id, wanted, limits)
            except Conflict as exc:
                report.detail = exc.detail
                return
        report.resynced = True
        report.notes.append(f"{status}: sent the full list again")
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
    ) -> str:
        """Send the update in parts; stop at the first part not Accepted."""
        async with self.db.sessions() as session:
            row = await session.get(LocalList, charge_point_id)
        # OCPP 1.6 errata v4, 3.52: listVersion is never 0 or -1. Versions only go up, so
        # no version the charge point may have seen is used for different content.
        seen = (row.sent_version, row.attempted_version, row.charge_point_version) if row else ()
        base = 1 + max([0, *(version for version in seen if version is not None)])
        status = "Accepted"
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
            payload = {
                "listVersion": version,
                "updateType": part_type,
                "localAuthorizationList": chunk,
            }
            try:
                answer = await self.commands.send(
                    charge_point_id, "SendLocalList", payload, timeout=timeout
                )
            except ChargePointCallError:
                part["status"] = "CallError"
                raise
            except DomainError:
                part["status"] = "NoAnswer"
                raise
            status = str(answer.payload.get("status"))
            part["status"] = status
            if status != "Accepted":
                break
            report.list_version = version
        report.status = status
        return status

    async def _limits(
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
            answer = await self.commands.send(
                charge_point_id,
                "GetConfiguration",
                {"key": [*wanted, LOCAL_AUTH_LIST_ENABLED]},
                timeout=timeout,
            )
            reported = {
                str(entry.get("key", "")).casefold(): entry.get("value")
                for entry in answer.payload.get("configurationKey") or []
            }
            for key in wanted:
                values[key] = _limit(reported.get(key.casefold()))
        return Limits(values[LOCAL_AUTH_LIST_MAX_LENGTH], values[SEND_LOCAL_LIST_MAX_LENGTH])

    async def _enabled(self, charge_point_id: str) -> bool | None:
        """LocalAuthListEnabled as last learned (9.2.1): a disabled list is kept, not used."""
        value = await self.configuration.value(charge_point_id, LOCAL_AUTH_LIST_ENABLED)
        if value is None or value.strip().lower() not in ("true", "false"):
            return None
        return value.strip().lower() == "true"

    async def _known_limits(self, charge_point_id: str, policy: LocalListPolicy) -> Limits:
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
                    values[key] = _limit(await self.configuration.value(charge_point_id, key))
        return values

    @staticmethod
    def _check_size(charge_point_id: str, wanted: Content, limits: Limits) -> None:
        maximum = limits.local_auth_list_max_length
        if maximum is not None and len(wanted) > maximum:
            raise Conflict(
                f"The local list for {charge_point_id!r} would hold {len(wanted)} id tags, "
                f"more than its LocalAuthListMaxLength of {maximum}: narrow the policy "
                "(a group or named tags) or remove tags. Nothing was sent."
            )

    async def _save_report(self, charge_point_id: str, report: SyncReport) -> None:
        async with self.db.sessions.begin() as session:
            row = await self._row(session, charge_point_id)
            row.last_result = report.as_record()
            # Parts that got no answer may still have been applied: never reuse a version.
            sent = [part["listVersion"] for part in report.parts]
            row.attempted_version = max([row.attempted_version or 0, *sent])
            row.updated_at = now()

    # --- storage -----------------------------------------------------------------------

    @staticmethod
    async def _row(session: AsyncSession, charge_point_id: str) -> LocalList:
        row = await session.get(LocalList, charge_point_id)
        if row is None:
            row = LocalList(
                charge_point_id=charge_point_id,
                source="all",
                entries_known=False,
                updated_at=now(),
            )
            session.add(row)
        return row

    @staticmethod
    async def _held_in(session: AsyncSession, charge_point_id: str) -> Content:
        rows = await session.scalars(
            select(LocalListEntry).where(LocalListEntry.charge_point_id == charge_point_id)
        )
        return {row.key: {"idTag": row.id_tag, "idTagInfo": row.id_tag_info} for row in rows}

    @staticmethod
    async def _replace_entries(
        session: AsyncSession, charge_point_id: str, entries: Iterable[dict[str, Any]]
    ) -> None:
        await session.execute(
            delete(LocalListEntry).where(LocalListEntry.charge_point_id == charge_point_id)
        )
        # OCPP 1.6, 7.1: a Full update's entries carry idTagInfo; any that does not is
        # no entry. The last of duplicate id tags wins, as it would on the charge point.
        unique = {
            id_tag_key(entry["idTag"]): _normalized(entry)
            for entry in entries
            if entry.get("idTagInfo") is not None
        }
        session.add_all(
            LocalListEntry(
                charge_point_id=charge_point_id,
                key=key,
                id_tag=entry["idTag"],
                id_tag_info=entry["idTagInfo"],
            )
            for key, entry in unique.items()
        )

    @staticmethod
    async def _apply_entries(
        session: AsyncSession, charge_point_id: str, entries: Iterable[dict[str, Any]]
    ) -> None:
        """A Differential update: entries with idTagInfo are set, others removed (7.1)."""
        for entry in entries:
            key = id_tag_key(entry["idTag"])
            row = await session.get(LocalListEntry, (charge_point_id, key))
            if entry.get("idTagInfo") is None:
                if row is not None:
                    await session.delete(row)
                    await session.flush()
                continue
            if row is None:
                row = LocalListEntry(charge_point_id=charge_point_id, key=key)
                session.add(row)
            normalized = _normalized(entry)
            row.id_tag = normalized["idTag"]
            row.id_tag_info = normalized["idTagInfo"]
            await session.flush()
