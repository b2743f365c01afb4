"""Server-wide settings kept in the database, such as the cluster id.

(API tokens are no longer kept here: see `services/accounts.py`; migration 0009 moved
the token an earlier version stored here into the tokens table, hashed.)
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from ampyre.storage.database import Database
from ampyre.storage.models import Setting

CLUSTER_ID_KEY = "cluster_id"


class SettingsService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        async with self.db.sessions() as session:
            setting = await session.get(Setting, key)
            return setting.value if setting else None

    async def set(self, key: str, value: str) -> None:
        async with self.db.sessions.begin() as session:
            setting = await session.get(Setting, key)
            if setting is None:
                session.add(Setting(key=key, value=value))
            else:
                setting.value = value

    async def cluster_id(self) -> str:
        """The id the nodes sharing this database know each other by (their Redis keys'
        namespace): made by the first node that asks, the same for every node after."""
        stored = await self.get(CLUSTER_ID_KEY)
        if stored:
            return stored
        try:
            async with self.db.sessions.begin() as session:
                session.add(Setting(key=CLUSTER_ID_KEY, value=uuid.uuid4().hex[:16]))
        except IntegrityError:
            pass  # another node made it at the same moment: take that one
        stored = await self.get(CLUSTER_ID_KEY)
        assert stored is not None
        return stored
