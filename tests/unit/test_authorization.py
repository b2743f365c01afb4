"""The idTagInfo rules (OCPP 1.6, 4.1, 4.8 and 7.24/7.25) on a real SQLite file, no server.

The service decides an `Authorization`; these tests read it as the idTagInfo the handlers
send (`handlers.core.id_tag_info`), so they check the rule and its translation together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ampyre.handlers.core import id_tag_info
from ampyre.ocpp.v16.messages import unparse
from ampyre.services.authorization import (
    Authorization,
    AuthorizationService,
    effective_status,
    reserved_tag_authorization,
)
from ampyre.services.clock import now
from ampyre.services.id_tags import IdTagService
from ampyre.storage.database import Database
from ampyre.storage.repositories.id_tags import HoldingReservation, TagRecord
from ampyre.storage.sql import Cursor, Sql

_START = Sql(
    """INSERT INTO transactions (charge_point_id, connector_id, id_tag, id_tag_key,
         authorization_status, meter_start, start_timestamp, created_at)
       VALUES (:cp, :connector, :tag, :key, 'Accepted', 0, :at, :at)"""
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'rules.db'}")
    await database.migrate()
    try:
        yield database
    finally:
        await database.dispose()


def info(decision: Authorization | None) -> dict[str, Any] | None:
    """The idTagInfo JSON object of a decision."""
    return None if decision is None else unparse(id_tag_info(decision))


async def decide(db: Database, tag: str, charge_point: str = "CP-1") -> dict[str, Any]:
    service = AuthorizationService(db)
    decision = await db.commits.run(lambda cursor: service.decide(cursor, charge_point, tag))
    return unparse(id_tag_info(decision))


async def test_store_statuses_expiry_and_case(db: Database) -> None:
    tags = IdTagService(db)
    await tags.create("ok-tag")
    await tags.create("blocked", status="Blocked")
    await tags.create("old", expiry_date=now() - timedelta(days=1))
    assert await decide(db, "OK-TAG") == {"status": "Accepted"}  # IdToken is case-insensitive
    assert (await decide(db, "blocked"))["status"] == "Blocked"
    old = await decide(db, "old")
    assert old["status"] == "Expired" and "expiryDate" in old
    assert await decide(db, "never-seen") == {"status": "Invalid"}


async def test_a_blocked_group_blocks_its_members(db: Database) -> None:
    tags = IdTagService(db)
    await tags.create("group", status="Blocked")
    await tags.create("member", parent_id_tag="group")
    assert await decide(db, "member") == {"status": "Blocked", "parentIdTag": "group"}


async def test_concurrent_transaction_elsewhere_but_not_a_stale_one_here(db: Database) -> None:
    tags = IdTagService(db)
    await tags.create("driver")
    await tags.create("fleet", allow_concurrent_tx=True)
    service = AuthorizationService(db)

    def start(cursor: Cursor, cp: str, connector: int, tag: str) -> None:
        at = cursor.timestamp(now())
        cursor.execute(_START, {"cp": cp, "connector": connector, "tag": tag, "key": tag, "at": at})

    await db.commits.run(lambda cursor: start(cursor, "CP-1", 1, "driver"))
    await db.commits.run(lambda cursor: start(cursor, "CP-1", 1, "fleet"))

    async def for_start(cp: str, connector: int, tag: str) -> dict[str, Any]:
        decision = await db.commits.run(
            lambda cursor: service.decide_for_start(cursor, cp, connector, tag)
        )
        return unparse(id_tag_info(decision))

    # The same connector: a reboot left the old one open, not a concurrent transaction.
    assert (await for_start("CP-1", 1, "driver"))["status"] == "Accepted"
    assert (await for_start("CP-2", 1, "driver"))["status"] == "ConcurrentTx"
    assert (await for_start("CP-2", 1, "fleet"))["status"] == "Accepted"


def test_effective_status_expires_only_accepted_tags() -> None:
    past = now() - timedelta(seconds=1)
    assert effective_status(TagRecord("Accepted", past, None, False)) == "Expired"
    assert effective_status(TagRecord("Blocked", past, None, False)) == "Blocked"
    assert effective_status(TagRecord("Accepted", None, None, False)) == "Accepted"


def test_a_reservation_makes_its_tag_a_token_while_it_holds() -> None:
    until = now() + timedelta(minutes=5)
    held = [
        HoldingReservation("Other", "Reserved", until, None),
        HoldingReservation("Guest", "Reserved", until, "Group"),
    ]
    reserved = info(reserved_tag_authorization(held, "guest"))
    assert reserved is not None
    assert reserved["status"] == "Accepted" and reserved["parentIdTag"] == "Group"
    assert "expiryDate" in reserved
    used = [HoldingReservation("Guest", "Used", until, None)]
    assert info(reserved_tag_authorization(used, "guest")) == {"status": "Accepted"}
    assert reserved_tag_authorization(held, "nobody") is None
