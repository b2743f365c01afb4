"""Local lists as the REST API shows them: a charge point's list, policy and summary."""

from __future__ import annotations

from typing import Any

from ampyre.api.serializers.base import ApiModel, Timestamp
from ampyre.services.clock import format_timestamp
from ampyre.services.local_lists import Changes, LocalListPolicy, LocalListSummary, LocalListView
from ampyre.services.local_lists.sync import SyncReport


class Policy(ApiModel):
    source: str
    parent_id_tag: str | None
    id_tags: list[str] | None
    local_auth_list_max_length: int | None
    send_local_list_max_length: int | None


def local_list_policy(policy: LocalListPolicy) -> Policy:
    return Policy(
        source=policy.source,
        parent_id_tag=policy.parent_id_tag,
        id_tags=list(policy.id_tags) if policy.id_tags is not None else None,
        local_auth_list_max_length=policy.local_auth_list_max_length,
        send_local_list_max_length=policy.send_local_list_max_length,
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
    return LocalList(
        charge_point_id=view.charge_point_id,
        policy=local_list_policy(view.policy),
        limits=Limits(
            local_auth_list_max_length=view.limits.local_auth_list_max_length,
            send_local_list_max_length=view.limits.send_local_list_max_length,
        ),
        enabled=view.enabled,
        sent_version=view.sent_version,
        accepted_at=format_timestamp(view.accepted_at),
        charge_point_version=view.charge_point_version,
        charge_point_version_at=format_timestamp(view.charge_point_version_at),
        supported=view.supported,
        entries_known=view.entries_known,
        out_of_date=view.out_of_date,
        pending_changes=local_list_changes(view.pending),
        entries=view.entries,
        last_result=view.last_result,
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
    return LocalListState(
        charge_point_id=summary.charge_point_id,
        connected=connected,
        source=summary.source,
        sent_version=summary.sent_version,
        charge_point_version=summary.charge_point_version,
        supported=summary.supported,
        entries=summary.entry_count,
        out_of_date=summary.out_of_date,
        last_result=summary.last_result,
    )


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
