"""The pure rules of operator access: roles, what each may do, and API token secrets.

No I/O: the account service, the REST API's dependencies, the CLI and the unit tests
share these rules.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from enum import StrEnum


class Role(StrEnum):
    """What an account may do; each role may do everything the ones before it may."""

    VIEWER = "viewer"  # reads: every GET
    OPERATOR = "operator"  # also commands, id tags, reservations, lists, profiles, firmware
    ADMIN = "admin"  # also charge points, accounts, tokens, firmware images, settings


ROLES: tuple[Role, ...] = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)

#: Methods that change nothing: a viewer may send them wherever it may read.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The principal a request made with the server's `--api-token` acts as (an admin).
CONFIGURED_TOKEN_ACCOUNT = "--api-token"

#: Every token Ampyre makes starts with this, so scanners and people recognise one.
TOKEN_MARK = "amp_"
#: How many leading characters of a token are kept in clear to tell tokens apart.
PREFIX_LENGTH = 12
#: Longer bearer values are refused without a look at the database.
MAX_TOKEN_LENGTH = 256

_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def role_allows(role: str, required: str) -> bool:
    """Whether an account of `role` may do what needs `required` (unknown roles: nothing)."""
    if role not in ROLES or required not in ROLES:
        return False
    return ROLES.index(Role(role)) >= ROLES.index(Role(required))


def required_role(method: str, *, read: Role, write: Role) -> Role:
    """The role a request needs on an endpoint whose reads need `read` and changes `write`."""
    return read if method.upper() in READ_METHODS else write


def check_role(value: str) -> Role:
    if value not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return Role(value)


def valid_account_name(name: str) -> bool:
    """Letters, digits and `. _ @ -`, starting with a letter or digit, at most 64."""
    return _ACCOUNT_NAME.fullmatch(name) is not None


def new_token() -> str:
    """A new API token: the mark and 256 random bits (URL-safe base64)."""
    return TOKEN_MARK + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex (a 256-bit secret needs no slow hash)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_prefix(token: str) -> str:
    """The part of a token kept in clear: enough to tell tokens apart, too little to guess
    the rest (a token of an earlier version, without the mark, keeps only 4 characters)."""
    return token[:PREFIX_LENGTH] if token.startswith(TOKEN_MARK) else token[:4]


def plausible_token(token: str) -> bool:
    """Whether a bearer value is worth looking up at all."""
    return 0 < len(token) <= MAX_TOKEN_LENGTH and token.isprintable() and " " not in token
