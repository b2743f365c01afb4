"""The pure rules of operator access: roles, the route-to-role table, tokens, audit bodies."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from fastapi import APIRouter

import ampyre.api
import ampyre.api.firmware
from ampyre.api.app import ROLES as ROUTER_ROLES
from ampyre.app import create_app
from ampyre.config import Settings
from ampyre.services import access
from ampyre.services.access import Role
from ampyre.services.audit import MAX_DETAILS, body_excerpt, body_target, redact


@pytest.mark.parametrize(
    ("role", "required", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "operator", False),
        ("viewer", "admin", False),
        ("operator", "viewer", True),
        ("operator", "operator", True),
        ("operator", "admin", False),
        ("admin", "viewer", True),
        ("admin", "operator", True),
        ("admin", "admin", True),
        ("root", "viewer", False),
        ("", "viewer", False),
        ("admin", "superuser", False),
    ],
)
def test_each_role_may_do_what_the_ones_before_it_may(
    role: str, required: str, allowed: bool
) -> None:
    assert access.role_allows(role, required) is allowed


@pytest.mark.parametrize(
    ("method", "needed"),
    [
        ("GET", Role.VIEWER),
        ("HEAD", Role.VIEWER),
        ("get", Role.VIEWER),
        ("POST", Role.ADMIN),
        ("PUT", Role.ADMIN),
        ("PATCH", Role.ADMIN),
        ("DELETE", Role.ADMIN),
    ],
)
def test_reads_need_the_read_role_and_everything_else_the_write_role(
    method: str, needed: Role
) -> None:
    assert access.required_role(method, read=Role.VIEWER, write=Role.ADMIN) == needed


def test_every_router_of_the_api_is_in_the_role_table() -> None:
    """No router is left without a role check: each is in the table, or is the accounts
    router (whose routes check for themselves), or serves charge points' file transfers,
    or is the console's sign-in (the way in)."""
    in_table = {id(router) for router, _, _ in ROUTER_ROLES}
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for package in (ampyre.api, ampyre.api.firmware)
        for info in pkgutil.iter_modules(package.__path__)
    ]
    routers = [m for m in modules if isinstance(getattr(m, "router", None), APIRouter)]
    assert len(routers) >= 15
    for module in routers:
        if module.__name__ not in (
            "ampyre.api.accounts",
            "ampyre.api.files",
            "ampyre.api.sessions",
        ):
            assert id(module.router) in in_table, module.__name__


def test_every_operation_but_health_and_sign_in_asks_for_the_bearer_token() -> None:
    spec = create_app(Settings()).openapi()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/") or path == "/api/v1/health":
            continue
        for method, operation in operations.items():
            if (method, path) == ("post", "/api/v1/session"):
                assert "security" not in operation
                continue
            assert operation.get("security") == [{"HTTPBearer": []}], f"{method} {path}"


def test_reads_of_the_audit_log_need_an_admin() -> None:
    roles = {id(router): (read, write) for router, read, write in ROUTER_ROLES}
    from ampyre.api import audit, charge_points, commands

    assert roles[id(audit.router)] == (Role.ADMIN, Role.ADMIN)
    assert roles[id(charge_points.router)] == (Role.VIEWER, Role.ADMIN)
    assert roles[id(commands.router)] == (Role.VIEWER, Role.OPERATOR)


def test_a_new_token_is_marked_random_and_hashed() -> None:
    tokens = {access.new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert token.startswith("amp_") and len(token) == 4 + 43  # 256 bits, base64url
    digest = access.token_hash(token)
    assert len(digest) == 64 and int(digest, 16) >= 0 and token not in digest
    assert access.token_hash(token) == digest
    assert access.token_prefix(token) == token[:12]
    assert access.plausible_token(token)


def test_an_earlier_versions_token_keeps_four_characters_in_clear() -> None:
    assert access.token_prefix("abcdefghijklmnop") == "abcd"


@pytest.mark.parametrize("value", ["", "x" * 257, "with space", "tab\there", "\x00"])
def test_implausible_bearer_values_are_not_looked_up(value: str) -> None:
    assert not access.plausible_token(value)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("alice", True),
        ("ops.team-1", True),
        ("a@example.com", True),
        ("A" * 64, True),
        ("A" * 65, False),
        ("", False),
        ("--api-token", False),
        ("cli:root", False),
        ("-x", False),
        ("has space", False),
        ("ümlaut", False),
    ],
)
def test_account_names(name: str, valid: bool) -> None:
    assert access.valid_account_name(name) is valid


def test_check_role() -> None:
    assert access.check_role("operator") is Role.OPERATOR
    with pytest.raises(ValueError, match="viewer, operator, admin"):
        access.check_role("root")


def test_audit_bodies_keep_no_secrets() -> None:
    body = {"id": "CP-1", "password": "pw", "nested": [{"Token": "t", "keep": 1}]}
    assert redact(body) == {
        "id": "CP-1",
        "password": "***",
        "nested": [{"Token": "***", "keep": 1}],
    }
    change = {"key": "AuthorizationKey", "value": "0123456789abcdef"}
    assert redact(change) == {"key": "AuthorizationKey", "value": "***"}
    assert redact({"key": "HeartbeatInterval", "value": "60"})["value"] == "60"
    excerpt = body_excerpt(json.dumps(body).encode(), "application/json")
    assert excerpt is not None and "pw" not in excerpt and '"keep":1' in excerpt


def test_audit_bodies_are_short_and_json_only() -> None:
    long = json.dumps({"data": "x" * 5000}).encode()
    excerpt = body_excerpt(long, "application/json")
    assert excerpt is not None and len(excerpt) == MAX_DETAILS and excerpt.endswith("…")
    assert body_excerpt(b"binary", "application/octet-stream") is None
    assert body_excerpt(b"{broken", "application/json") == "(not JSON)"
    assert body_excerpt(b"", "application/json") is None


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"id": "CP-1"}, "CP-1"),
        ({"chargePointId": "CP-2", "idTag": "T"}, "CP-2"),
        ({"idTag": "T"}, "T"),
        ({"name": "alice", "role": "viewer"}, "alice"),
        ({}, None),
        ([1, 2], None),
    ],
)
def test_the_target_of_a_create_is_named_by_its_body(body: object, target: str | None) -> None:
    assert body_target(json.dumps(body).encode(), "application/json") == target
