"""The rules of Local Authorization Lists (OCPP 1.6, 3.5.2, 5.10, 5.15, 7.1): pure.

What an entry says about an id tag, what a charge point's list becomes after a Full or a
Differential update, the update that turns one list into another, how an update is cut
into messages, and when the list the CSMS recorded is out of date. No I/O: the store and
the sync (beside this module) feed these functions what they read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

from ocpp.v16.enums import AuthorizationStatus

from ampyre.services.clock import format_timestamp, parse_timestamp
from ampyre.services.errors import InvalidRequest
from ampyre.services.id_tags import _check_tag, id_tag_key

if TYPE_CHECKING:
    from ampyre.storage.models import IdTag, LocalList

LIST_SOURCES = ("all", "group", "tags")
UPDATE_TYPES = ("Auto", "Full", "Differential")

#: Statuses a member takes from its group (parent), as online authorization does.
_GROUP_WIDE = (AuthorizationStatus.blocked.value, AuthorizationStatus.expired.value)

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
        if status == AuthorizationStatus.accepted.value and parent.status in _GROUP_WIDE:
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


def parse_limit(value: str | None) -> int | None:
    """A max-length configuration value, or None when the charge point gave no usable one."""
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 1 else None


def normalized_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An AuthorizationData as the CSMS itself writes it, so equal entries compare equal."""
    info = {key: value for key, value in entry["idTagInfo"].items() if value is not None}
    if "expiryDate" in info:
        info["expiryDate"] = format_timestamp(parse_timestamp(info["expiryDate"]))
    return {"idTag": entry["idTag"], "idTagInfo": info}


def apply_update(held: Content, update_type: str, entries: Iterable[dict[str, Any]]) -> Content:
    """The list a charge point holds after it accepted an update of `held` (OCPP 1.6, 7.1).

    A Full update replaces the list; its entries carry idTagInfo, and any that does not is
    no entry. A Differential update sets the entries with idTagInfo and removes those
    without. Of duplicate id tags (compared case-insensitively) the last wins, as it would
    on the charge point. Entries are kept as the CSMS itself writes them.
    """
    content: Content = {} if update_type == "Full" else dict(held)
    for entry in entries:
        key = id_tag_key(entry["idTag"])
        if entry.get("idTagInfo") is not None:
            content[key] = normalized_entry(entry)
        elif update_type != "Full":
            content.pop(key, None)
    return content


def next_version(*seen: int | None) -> int:
    """The listVersion of a new update: above every version the charge point may have seen.

    OCPP 1.6 errata v4, 3.52: listVersion is never 0 or -1. Versions only go up, so no
    version the charge point may have seen is used for different content.
    """
    return 1 + max([0, *(version for version in seen if version is not None)])


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


def policy_of(row: LocalList | None) -> LocalListPolicy:
    if row is None:
        return LocalListPolicy()
    return LocalListPolicy(
        source=row.source,
        parent_id_tag=row.parent_id_tag,
        id_tags=tuple(row.id_tags) if row.id_tags is not None else None,
        local_auth_list_max_length=row.local_auth_list_max_length,
        send_local_list_max_length=row.send_local_list_max_length,
    )


def is_recorded(row: LocalList | None) -> TypeGuard[LocalList]:
    """Does the CSMS know exactly which entries the charge point holds, and at which version?"""
    return row is not None and row.sent_version is not None and row.entries_known


def is_out_of_date(
    row: LocalList | None, held_digest: str | None, held_count: int, wanted_digest: str
) -> bool:
    """The store or policy changed since the list was sent, or the charge point disagrees."""
    if row is not None and row.supported is False:
        return False  # it has no list to bring up to date
    if not is_recorded(row):
        return True
    if held_digest != wanted_digest:
        return True
    checked_later = row.charge_point_version_at is not None and (
        row.accepted_at is None or row.charge_point_version_at > row.accepted_at
    )
    if checked_later and row.charge_point_version is not None:
        return not holds_recorded_list(row.charge_point_version, row.sent_version, held_count)
    return False
