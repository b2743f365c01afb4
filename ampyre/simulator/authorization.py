"""The Local Authorization List (OCPP 1.6, 3.5.3) and the Authorization Cache (3.5.2).

The simulator always asks the CSMS (Authorize.req) rather than authorizing locally, so that
every session is visible on the server; the list and cache exist so that SendLocalList,
GetLocalListVersion and ClearCache behave as on a real charge point.
"""

from __future__ import annotations

from typing import Any

from ocpp.v16.enums import UpdateStatus, UpdateType

from ampyre.ocpp.v16.messages import IdTagInfo


class LocalAuthList:
    def __init__(self) -> None:
        self.version = 0
        self.entries: dict[str, dict[str, Any]] = {}

    @property
    def reported_version(self) -> int:
        """Version 0 means "empty list" to the CSMS, whatever version was last installed."""
        return self.version if self.entries else 0

    def update(
        self,
        list_version: int,
        update_type: UpdateType,
        entries: list[dict[str, Any]],
        *,
        max_length: int,
    ) -> UpdateStatus:
        if update_type == UpdateType.differential:
            if list_version <= self.reported_version:
                return UpdateStatus.version_mismatch
            updated = dict(self.entries)
            for entry in entries:
                if "idTagInfo" in entry:
                    updated[entry["idTag"]] = entry["idTagInfo"]
                else:
                    updated.pop(entry["idTag"], None)
        else:
            if any("idTagInfo" not in entry for entry in entries):
                return UpdateStatus.failed
            updated = {entry["idTag"]: entry["idTagInfo"] for entry in entries}
        if len(updated) > max_length:
            return UpdateStatus.failed
        self.entries = updated
        self.version = list_version
        return UpdateStatus.accepted


class AuthorizationCache:
    """The idTagInfo of the CSMS's latest answer (Authorize, StartTransaction) per idTag."""

    def __init__(self) -> None:
        self.entries: dict[str, IdTagInfo] = {}

    def remember(self, id_tag: str, id_tag_info: IdTagInfo) -> None:
        self.entries[id_tag] = id_tag_info

    def clear(self) -> None:
        self.entries.clear()
