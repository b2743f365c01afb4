"""The OpenAPI description: valid, every operation with unique id and typed answers."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from openapi_spec_validator import validate

from ampyre.api.openapi import describe_errors
from ampyre.app import create_app
from ampyre.config import Settings


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app(Settings())
    with warnings.catch_warnings():
        # FastAPI warns (and does nothing else) on a duplicate operation id.
        warnings.simplefilter("error")
        return app.openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


def test_the_description_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


def test_operation_ids_are_unique_and_readable(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids)) >= 70
    for operation_id in ids:
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", operation_id), operation_id
    assert {"listChargePoints", "exportTransactions", "downloadFirmware", "headFirmware"} <= set(
        ids
    )


def test_every_operation_describes_its_answer(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        success = {code: r for code, r in operation["responses"].items() if code[0] == "2"}
        assert success, f"{method} {path}"
        if method == "head" or set(success) == {"204"}:
            continue  # no body
        assert any(
            schema.get("schema")
            for r in success.values()
            for schema in r.get("content", {}).values()
        ), f"{method} {path}"


def test_every_error_answer_has_a_detail(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["Error"]["required"] == ["detail"]
    assert "HTTPValidationError" not in schemas  # Ampyre's 422 is not FastAPI's
    for method, path, operation in operations(spec):
        for code, response in operation["responses"].items():
            if code[0] in "45":
                assert response["content"]["application/json"]["schema"], f"{method} {path}"
        if "{" in path:
            assert "404" in operation["responses"], f"{method} {path}"
        if operation.get("security"):
            assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


def test_answers_are_named_in_camel_case(spec: dict[str, Any]) -> None:
    charge_point = spec["components"]["schemas"]["ChargePoint"]["properties"]
    assert {"id", "connected", "registrationStatus", "lastSeen", "connectors"} <= set(charge_point)
    assert charge_point["lastSeen"]["anyOf"][0] == {"type": "string", "format": "date-time"}
    listed = spec["paths"]["/api/v1/charge-points"]["get"]["responses"]["200"]
    ref = listed["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(spec["components"]["schemas"][ref]["properties"]) == {"items", "total"}


def test_describing_errors_twice_changes_nothing(spec: dict[str, Any]) -> None:
    import copy

    again = copy.deepcopy(spec)
    describe_errors(again)
    assert again == spec
