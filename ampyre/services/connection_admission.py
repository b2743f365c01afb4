"""Who may connect: the decision at the WebSocket upgrade, from the charge point's record
(password, security profile; security whitepaper, 2.1) and the limits on failed logins.
An unknown identity is registered on the spot when the operator allows auto-registration."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass

from ocpp.v16.enums import RegistrationStatus

from ampyre.services.clock import now
from ampyre.services.login_throttle import LoginThrottle
from ampyre.services.passwords import verify_password
from ampyre.storage import repositories
from ampyre.storage.database import Database
from ampyre.storage.sql import Cursor

__all__ = ["ConnectAuthorization", "ConnectRefusal", "ConnectionAdmission", "registrable"]

_charge_points = repositories.charge_points


class ConnectRefusal(enum.Enum):
    """Why a charge point may not connect."""

    UNKNOWN = "unknown charge point"
    CREDENTIALS_REQUIRED = "credentials required"
    WRONG_CREDENTIALS = "wrong credentials"
    TLS_REQUIRED = "security profile requires TLS"
    CLIENT_CERTIFICATE_REQUIRED = "security profile 3 requires a client certificate"
    TOO_MANY_ATTEMPTS = "too many failed logins: try again later"


@dataclass(slots=True)
class ConnectAuthorization:
    """The outcome of a connection attempt's identity and credential check."""

    #: Why not, when the charge point may not connect (None: it may).
    refusal: ConnectRefusal | None = None
    lenient: bool = False
    #: The registration status of the charge point's last boot (None: never booted).
    boot_status: RegistrationStatus | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def reason(self) -> str:
        return self.refusal.value if self.refusal is not None else ""


def registrable(charge_point_id: str) -> bool:
    # The REST API addresses charge points by a path segment, where "/" (even as %2F)
    # cannot stand; OCPP identities in the field never contain one.
    return "/" not in charge_point_id and bool(charge_point_id.strip())


class ConnectionAdmission:
    def __init__(self, db: Database, *, auto_register: bool) -> None:
        self.db = db
        self.auto_register = auto_register
        self.throttle = LoginThrottle()

    async def authorize(
        self,
        charge_point_id: str,
        password: str | None,
        *,
        tls: bool,
        client_cert: bool,
        address: str | None = None,
    ) -> ConnectAuthorization:
        """Decide at the WebSocket upgrade whether this identity may connect.

        `address`: the client's, for the limits on failed logins (`login_throttle.py`).
        """
        if self.throttle.blocked(charge_point_id, address):
            return ConnectAuthorization(ConnectRefusal.TOO_MANY_ATTEMPTS)
        auto_register = self.auto_register and registrable(charge_point_id)

        def unit(cursor: Cursor) -> _charge_points.Admission | None:
            found = _charge_points.admission(cursor, charge_point_id)
            if found is None and auto_register:
                _charge_points.register(cursor, charge_point_id, now())
                found = _charge_points.admission(cursor, charge_point_id)
            return found

        charge_point = await self.db.commits.run(unit)
        if charge_point is None:
            return ConnectAuthorization(ConnectRefusal.UNKNOWN)
        if charge_point.password_hash:
            if password is None:
                return ConnectAuthorization(ConnectRefusal.CREDENTIALS_REQUIRED)
            # Argon2 takes tens of milliseconds by design: off the event loop.
            if not await asyncio.to_thread(verify_password, charge_point.password_hash, password):
                self.throttle.failed(charge_point_id, address)
                return ConnectAuthorization(ConnectRefusal.WRONG_CREDENTIALS)
            self.throttle.succeeded(charge_point_id)
        if charge_point.security_profile >= 2 and not tls:
            return ConnectAuthorization(ConnectRefusal.TLS_REQUIRED)
        if charge_point.security_profile >= 3 and not client_cert:
            return ConnectAuthorization(ConnectRefusal.CLIENT_CERTIFICATE_REQUIRED)
        boot_status = charge_point.boot_status
        return ConnectAuthorization(
            lenient=charge_point.lenient,
            boot_status=RegistrationStatus(boot_status) if boot_status else None,
        )
