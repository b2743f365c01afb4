"""Where the CSMS keeps each charge point's local list: its policy, versions and entries.

The entries are exactly those the charge point holds, written only from its accepted
SendLocalList answers (`record_update`), so that a Differential update can carry only
what changed. The id tag store is read here too, for the list a policy selects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.services.clock import now
from ampyre.services.id_tags import id_tag_key
from ampyre.services.local_lists.algebra import (
    Content,
    LocalListPolicy,
    apply_update,
    authorization_data,
)
from ampyre.storage.database import Database
from ampyre.storage.models import ChargePoint, IdTag, LocalList, LocalListEntry


class LocalListStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def row(session: AsyncSession, charge_point_id: str) -> LocalList:
        """The charge point's local list row, added (policy "all", nothing known) if new."""
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
    async def held_in(session: AsyncSession, charge_point_id: str) -> Content:
        """The entries the CSMS records the charge point as holding."""
        rows = await session.scalars(
            select(LocalListEntry).where(LocalListEntry.charge_point_id == charge_point_id)
        )
        return {row.key: {"idTag": row.id_tag, "idTagInfo": row.id_tag_info} for row in rows}

    async def get(self, charge_point_id: str) -> LocalList | None:
        async with self.db.sessions() as session:
            return await session.get(LocalList, charge_point_id)

    async def read(self, charge_point_id: str) -> tuple[LocalList | None, Content]:
        """The list row (None if there is none yet) and the entries held."""
        async with self.db.sessions() as session:
            row = await session.get(LocalList, charge_point_id)
            held = await self.held_in(session, charge_point_id)
        return row, held

    @classmethod
    async def record_update(
        cls,
        session: AsyncSession,
        charge_point_id: str,
        update_type: str,
        entries: Iterable[dict[str, Any]],
    ) -> Content:
        """Write what the charge point holds after it accepted an update; return it."""
        if update_type == "Full":
            content = apply_update({}, "Full", entries)
            await session.execute(
                delete(LocalListEntry).where(LocalListEntry.charge_point_id == charge_point_id)
            )
            session.add_all(
                LocalListEntry(
                    charge_point_id=charge_point_id,
                    key=key,
                    id_tag=entry["idTag"],
                    id_tag_info=entry["idTagInfo"],
                )
                for key, entry in content.items()
            )
            return content
        held = await cls.held_in(session, charge_point_id)
        content = apply_update(held, update_type, entries)
        for key in held.keys() - content.keys():
            await session.execute(
                delete(LocalListEntry).where(
                    LocalListEntry.charge_point_id == charge_point_id, LocalListEntry.key == key
                )
            )
        for key, entry in content.items():
            if held.get(key) == entry:
                continue
            row = await session.get(LocalListEntry, (charge_point_id, key))
            if row is None:
                row = LocalListEntry(charge_point_id=charge_point_id, key=key)
                session.add(row)
            row.id_tag = entry["idTag"]
            row.id_tag_info = entry["idTagInfo"]
        await session.flush()
        return content

    async def save_policy(self, charge_point_id: str, policy: LocalListPolicy) -> None:
        async with self.db.sessions.begin() as session:
            row = await self.row(session, charge_point_id)
            row.source = policy.source
            row.parent_id_tag = policy.parent_id_tag
            row.id_tags = list(policy.id_tags) if policy.id_tags is not None else None
            row.local_auth_list_max_length = policy.local_auth_list_max_length
            row.send_local_list_max_length = policy.send_local_list_max_length
            row.updated_at = now()

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

    async def charge_points(
        self, *, limit: int | None, offset: int
    ) -> tuple[list[str], int, dict[str, LocalList], dict[str, int]]:
        """A page of registered charge point ids (all with `limit` None), how many there
        are, their list rows and how many entries each holds."""
        async with self.db.sessions() as session:
            query = select(ChargePoint.id).order_by(ChargePoint.id)
            total = int(await session.scalar(select(func.count()).select_from(ChargePoint)) or 0)
            if limit is not None:
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
        return ids, total, rows, counts
