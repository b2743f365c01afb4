"""OCPP-J 1.6 RPC error codes (OCPP-J 1.6, section 4.2.3).

The spellings are those of the OCPP-J 1.6 specification, including its known typos
(`FormationViolation`, `OccurenceConstraintViolation`): the errata sheet (sections 5.1 and
5.2) keeps them on purpose, because charge points in the field compare against them.
"""

from __future__ import annotations

from typing import Any


class OcppError(Exception):
    """An error that is reported to the peer as a CALLERROR frame."""

    code: str = "GenericError"

    def __init__(self, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.details: dict[str, Any] = details or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


class NotImplementedError_(OcppError):
    code = "NotImplemented"


class NotSupportedError(OcppError):
    code = "NotSupported"


class InternalError(OcppError):
    code = "InternalError"


class ProtocolError(OcppError):
    code = "ProtocolError"


class SecurityError(OcppError):
    code = "SecurityError"


class FormationViolation(OcppError):
    code = "FormationViolation"


class PropertyConstraintViolation(OcppError):
    code = "PropertyConstraintViolation"


class OccurenceConstraintViolation(OcppError):
    code = "OccurenceConstraintViolation"


class TypeConstraintViolation(OcppError):
    code = "TypeConstraintViolation"


class GenericError(OcppError):
    code = "GenericError"
