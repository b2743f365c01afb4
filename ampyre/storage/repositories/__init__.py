"""The hot paths' statements, per aggregate: plain functions of a group-commit `Cursor`.

Services hold the rules and call these inside a unit of work (`storage/group_commit.py`);
only SQL lives here.
"""

from ampyre.storage.repositories import (
    charge_points,
    id_tags,
    messages,
    reservations,
    transactions,
)

__all__ = ["charge_points", "id_tags", "messages", "reservations", "transactions"]
