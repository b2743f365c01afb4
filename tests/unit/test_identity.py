"""Which charge point a WebSocket path names (CONTRACT: exactly one segment after /ocpp/)."""

from __future__ import annotations

import pytest

from ampyre.transport.websocket import charge_point_identity


@pytest.mark.parametrize(
    ("path", "identity"),
    [
        ("/ocpp/CP-1", "CP-1"),
        ("/ocpp/CP-1/", "CP-1"),
        ("/ocpp/CP-1?x=1", "CP-1"),
        ("/ocpp/CP%20with%20space", "CP with space"),
        ("/ocpp/a%2Fb", "a/b"),  # decoded after splitting: refused later as unregistrable
        ("/ocpp/", None),
        ("/ocpp", None),
        ("/ocpp/x/CP-1", None),
        ("/ocpp/x/y/CP-1", None),
        ("/other/CP-1", None),
        ("/ocpp//CP-1", None),
    ],
)
def test_identity_is_one_path_segment(path: str, identity: str | None) -> None:
    assert charge_point_identity(path) == identity
