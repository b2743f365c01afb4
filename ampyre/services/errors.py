"""Errors the domain raises; the API maps each to one HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The named thing does not exist (HTTP 404)."""


class Conflict(DomainError):
    """The request clashes with the current state (HTTP 409)."""


class InvalidRequest(DomainError):
    """The request is well-formed but not acceptable (HTTP 422)."""


class Unauthenticated(DomainError):
    """Wrong credentials, or none (HTTP 401)."""


class TooManyAttempts(DomainError):
    """Too many failed sign-ins lately: refused without a check (HTTP 429)."""


class Unavailable(DomainError):
    """A part the request needs is down, e.g. the cluster's Redis (HTTP 503)."""


class ChargePointCallError(DomainError):
    """The charge point answered a command with CALLERROR (HTTP 502)."""

    def __init__(self, code: str, description: str, details: dict[str, Any]) -> None:
        super().__init__(f"Charge point answered {code}: {description}")
        self.code = code
        self.description = description
        self.details = details


class ChargePointTimeout(DomainError):
    """The charge point did not answer a command in time (HTTP 504)."""
