"""Firmware Management's pure rules: masked locations, UpdateFirmware.req, rollout state."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from ampyre.ocpp.v16.messages import unparse
from ampyre.services.firmware import firmware_request
from ampyre.services.firmware_rollouts import RolloutProgress
from ampyre.services.transfer_attempts import mask_password


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("ftp://user:secret@files.example:2121/fw.bin", "ftp://user:***@files.example:2121/fw.bin"),
        ("https://:token@files.example/fw.bin?x=1", "https://:***@files.example/fw.bin?x=1"),
        ("https://user@files.example/fw.bin", "https://user@files.example/fw.bin"),
        ("https://files.example/fw.bin", "https://files.example/fw.bin"),
    ],
)
def test_passwords_in_locations_are_masked(location: str, shown: str) -> None:
    assert mask_password(location) == shown


def test_update_firmware_request() -> None:
    at = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    assert unparse(firmware_request(0, "https://x/fw.bin", at, None, None, None)) == {
        "location": "https://x/fw.bin",
        "retrieveDate": "2026-05-01T08:30:00.000Z",
    }
    assert unparse(firmware_request(0, "https://x/fw.bin", at, 0, 30, None)) == {
        "location": "https://x/fw.bin",
        "retrieveDate": "2026-05-01T08:30:00.000Z",
        "retries": 0,
        "retryInterval": 30,
    }


def progress(statuses: list[str], *, cancelled: bool = False) -> RolloutProgress:
    rollout: Any = SimpleNamespace(cancelled_at=datetime.now(UTC) if cancelled else None)
    updates: Any = [SimpleNamespace(status=status) for status in statuses]
    return RolloutProgress(rollout, updates)


@pytest.mark.parametrize(
    ("statuses", "cancelled", "state"),
    [
        (["Queued", "Installed"], False, "Running"),
        (["Downloading", "Rejected"], False, "Running"),
        (["Installed", "DownloadFailed", "Error"], False, "Finished"),
        ([], False, "Finished"),
        (["Installed", "Cancelled"], True, "Cancelled"),
        (["Installing", "Cancelled"], True, "Running"),  # a sent update goes on
    ],
)
def test_rollout_state(statuses: list[str], cancelled: bool, state: str) -> None:
    assert progress(statuses, cancelled=cancelled).state == state


def test_rollout_counts() -> None:
    assert progress(["Installed", "Queued", "Installed"]).counts == {"Installed": 2, "Queued": 1}
