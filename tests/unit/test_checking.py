"""The check of received payloads: strict first, repairs only for a lenient charge point."""

from __future__ import annotations

import pytest

from ampyre.ocpp.v16.checking import checked_request, checked_response
from ampyre.ocpp.v16.errors import OcppError
from ampyre.ocpp.v16.validation import get_validator

BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}


@pytest.mark.parametrize("lenient", [False, True])
def test_a_valid_payload_is_used_as_it_is(lenient: bool) -> None:
    payload, deviations = checked_request(
        get_validator(), "BootNotification", BOOT, lenient=lenient
    )
    assert payload is BOOT and deviations == []


def test_a_strict_charge_point_gets_the_broken_rule() -> None:
    with pytest.raises(OcppError) as raised:
        checked_request(get_validator(), "Heartbeat", {"x": 1}, lenient=False)
    assert raised.value.code == "FormationViolation"


def test_a_lenient_charge_point_is_repaired_and_told_what() -> None:
    sent = {
        "connectorId": "1",
        "idTag": "TAG",
        "meterStart": 0,
        "timestamp": "2026-12-04T10:00:00Z",
    }
    payload, deviations = checked_request(get_validator(), "StartTransaction", sent, lenient=True)
    assert payload["connectorId"] == 1 and sent["connectorId"] == "1"
    assert [(d.path, d.kind) for d in deviations] == [("connectorId", "number_as_string")]


def test_an_answer_is_repaired_under_its_response_schema() -> None:
    answer = {"configurationKey": [{"key": "K", "readonly": "true", "value": "1"}]}
    repaired, deviations = checked_response(
        get_validator(), "GetConfiguration", answer, lenient=True
    )
    assert repaired["configurationKey"][0]["readonly"] is True
    assert [d.action for d in deviations] == ["GetConfigurationResponse"]
    with pytest.raises(OcppError):
        checked_response(get_validator(), "GetConfiguration", answer, lenient=False)
