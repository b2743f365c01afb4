"""Local lists as the REST API shows them: a charge point's list, policy and summary."""

from __future__ import annotations

from typing import Any

from ampyre.services.clock import format_timestamp
from ampyre.services.local_lists import Changes, LocalListPolicy, LocalListSummary, LocalListView


def local_list_policy(policy: LocalListPolicy) -> dict[str, Any]:
    return {
        "source": policy.source,
        "parentIdTag": policy.parent_id_tag,
        "idTags": list(policy.id_tags) if policy.id_tags is not None else None,
        "localAuthListMaxLength": policy.local_auth_list_max_length,
        "sendLocalListMaxLength": policy.send_local_list_max_length,
    }


def local_list_changes(changes: Changes | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {
        "added": [entry["idTag"] for entry in changes.added],
        "changed": [entry["idTag"] for entry in changes.changed],
        "removed": [entry["idTag"] for entry in changes.removed],
    }


def local_list_view(view: LocalListView) -> dict[str, Any]:
    return {
        "chargePointId": view.charge_point_id,
        "policy": local_list_policy(view.policy),
        "limits": {
            "localAuthListMaxLength": view.limits.local_auth_list_max_length,
            "sendLocalListMaxLength": view.limits.send_local_list_max_length,
        },
        "enabled": view.enabled,
        "sentVersion": view.sent_version,
        "acceptedAt": format_timestamp(view.accepted_at),
        "chargePointVersion": view.charge_point_version,
        "chargePointVersionAt": format_timestamp(view.charge_point_version_at),
        "supported": view.supported,
        "entriesKnown": view.entries_known,
        "outOfDate": view.out_of_date,
        "pendingChanges": local_list_changes(view.pending),
        "entries": view.entries,
        "lastResult": view.last_result,
    }


def local_list_summary(summary: LocalListSummary, *, connected: bool) -> dict[str, Any]:
    return {
        "chargePointId": summary.charge_point_id,
        "connected": connected,
        "source": summary.source,
        "sentVersion": summary.sent_version,
        "chargePointVersion": summary.charge_point_version,
        "supported": summary.supported,
        "entries": summary.entry_count,
        "outOfDate": summary.out_of_date,
        "lastResult": summary.last_result,
    }
