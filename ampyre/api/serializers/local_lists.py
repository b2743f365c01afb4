"""Local lists as the REST API shows them: a charge point's list, policy and summary."""

from __future__ import annotations

from typing import Any

from ampyre.api.serializers.base import ApiModel, Timestamp
from ampyre.services.local_lists import Changes, LocalListPolicy, LocalListSummary, LocalListView
from ampyre.services.local_lists.sync import SyncReport


class Policy(ApiModel):
    source: str
    parent_id_tag: str | None
    id_tags: list[str] | None
    local_auth_list_max_length: int | None
    send_local_list_max_length: int | None


def local_list_policy(policy: LocalListPolicy) -> Policy:
    return Policy.from_record(
        policy, id_tags=list(policy.id_tags) if policy.id_tags is not None else None
    )


class PendingChanges(ApiModel):
    """The id tags a Differential update would add, change and remove."""

    added: list[str]
    changed: list[str]
    removed: list[str]


def local_list_changes(changes: Changes | None) -> PendingChanges | None:
    if changes is None:
        return None
    return PendingChanges(
        added=[entry["idTag"] for entry in changes.added],
        changed=[entry["idTag"] for entry in changes.changed],
        removed=[entry["idTag"] for entry in changes.removed],
    )


class Limits(ApiModel):
    local_auth_list_max_length: int | None
    send_local_list_max_length: int | None


class LocalList(ApiModel):
    charge_point_id: str
    policy: Policy
    limits: Limits
    enabled: bool | None
    sent_version: int | None
    accepted_at: Timestamp | None
    charge_point_version: int | None
    charge_point_version_at: Timestamp | None
    supported: bool | None
    entries_known: bool
    out_of_date: bool
    pending_changes: PendingChanges | None
    entries: list[dict[str, Any]]
    last_result: dict[str, Any] | None


def local_list_view(view: LocalListView) -> LocalList:
    return LocalList.from_record(
        view,
        policy=local_list_policy(view.policy),
        limits=Limits.from_record(view.limits),
        pending_changes=local_list_changes(view.pending),
    )


class LocalListState(ApiModel):
    charge_point_id: str
    connected: bool
    source: str
    sent_version: int | None
    charge_point_version: int | None
    supported: bool | None
    entries: int
    out_of_date: bool
    last_result: dict[str, Any] | None


def local_list_summary(summary: LocalListSummary, *, connected: bool) -> LocalListState:
    return LocalListState.from_record(summary, connected=connected, entries=summary.entry_count)


class SyncResult(ApiModel):
    """What one sync did: the parts sent and how the charge point answered."""

    requested: str
    via: str
    status: str
    list_version: int | None
    parts: list[dict[str, Any]]
    resynced: bool
    notes: list[str]
    detail: str | None
    at: Timestamp | None


def sync_result(report: SyncReport) -> SyncResult:
    # The record is what local_lists.last_result stores too: one shape for both.
    return SyncResult.model_validate(report.as_record())
