"""Partial updates: a field of an update dataclass left `UNCHANGED` is kept as it is.

None is a value (remove the password, clear the expiry), so "not given" needs a marker
of its own; the front ends map what a client left out to it.
"""

from __future__ import annotations

import enum


class Unchanged(enum.Enum):
    UNCHANGED = enum.auto()


UNCHANGED = Unchanged.UNCHANGED
