"""Raising a charge point's security profile over OCPP (security whitepaper A05).

The profile stored per charge point is what admission demands (`ChargePointService.
authorize_connection`): a password from 1, TLS from 2, a client certificate at 3. An
upgrade first puts the new profile's prerequisites in place, then asks the charge point
with ChangeConfiguration SecurityProfile; only its acceptance raises the stored profile,
after which a connection below it is refused. Lowering a profile over OCPP is forbidden
("For security reasons it is not allowed to change to a lower Security Profile over
OCPP"); the operator's own registration (PATCH) remains the way back for a charge point
reinstalled on site.
"""

from __future__ import annotations

import logging
import secrets

from ocpp.v16.enums import ConfigurationStatus

from ampyre.ocpp.v16.csms_messages.core import ChangeConfigurationConf, ChangeConfigurationReq
from ampyre.services.certificates import CertificateService
from ampyre.services.charge_points import ChargePointService, ChargePointUpdate
from ampyre.services.commands import CommandService
from ampyre.services.configuration import AUTHORIZATION_KEY
from ampyre.services.errors import Conflict, DomainError, InvalidRequest
from ampyre.storage.models import ChargePoint

#: The certificate type a charge point checks this server's TLS certificate with.
CENTRAL_SYSTEM_ROOT = "CentralSystemRootCertificate"

log = logging.getLogger("ampyre.security")

SECURITY_PROFILE_KEY = "SecurityProfile"
PROFILES = (0, 1, 2, 3)
#: ChangeConfiguration answers after which the key holds the new value.
APPLIED = frozenset({ConfigurationStatus.accepted, ConfigurationStatus.reboot_required})
#: Random bytes of a generated AuthorizationKey: the whitepaper's maximum, 20 (7.2).
AUTHORIZATION_KEY_BYTES = 20


def check_upgrade(current: int, requested: int, *, root_certificate_installed: bool) -> None:
    """Whether `current` may become `requested` over OCPP (A05), else the reason."""
    if requested not in PROFILES:
        raise InvalidRequest("profile must be 0, 1, 2 or 3")
    if requested < current:
        raise Conflict(
            f"A charge point may never be downgraded remotely (it is at profile {current})"
        )
    if requested == current:
        raise Conflict(f"The charge point is at profile {current} already")
    if requested >= 2 and not root_certificate_installed:
        # A05.FR.03: the charge point needs the Central System's root certificate to
        # check this server's TLS certificate.
        raise Conflict(
            f"Profile {requested} needs the Central System root certificate installed on "
            "the charge point: install it (POST .../certificates/install, or refresh the "
            "installed list), or confirm it is there with rootCertificateInstalled: true"
        )


class SecurityProfileService:
    def __init__(
        self,
        charge_points: ChargePointService,
        commands: CommandService,
        certificates: CertificateService,
    ) -> None:
        self.charge_points = charge_points
        self.commands = commands
        self.certificates = certificates

    async def upgrade(
        self,
        charge_point_id: str,
        profile: int,
        *,
        root_certificate_installed: bool = False,
        timeout: float,
    ) -> ChargePoint:
        charge_point = await self.charge_points.get(charge_point_id)
        current = charge_point.security_profile
        if profile >= 2 and not root_certificate_installed:
            # What InstallCertificate or GetInstalledCertificateIds recorded (A05.FR.03).
            root_certificate_installed = any(
                row.certificate_type == CENTRAL_SYSTEM_ROOT
                for row in await self.certificates.installed(charge_point_id)
            )
        check_upgrade(current, profile, root_certificate_installed=root_certificate_installed)
        new_key = profile in (1, 2) and not charge_point.password_hash
        if new_key:
            # A05.FR.02: Basic auth needs an AuthorizationKey. Once accepted it is the
            # charge point's password (`ConfigurationService`'s effect, A01).
            key = secrets.token_hex(AUTHORIZATION_KEY_BYTES)
            await self._change(charge_point_id, AUTHORIZATION_KEY, key, timeout)
        try:
            await self._change(charge_point_id, SECURITY_PROFILE_KEY, str(profile), timeout)
        except DomainError:
            if new_key:
                # The charge point stays at its profile, which sends no password: asking
                # for the key just set would lock it out. (Had it switched after all, its
                # password is simply not asked for.)
                await self.charge_points.update(
                    charge_point_id, ChargePointUpdate(password=None, security_profile=current)
                )
            raise
        # Profile 3 authenticates by client certificate: no password is asked any more.
        changes = (
            ChargePointUpdate(password=None, security_profile=profile)
            if profile == 3
            else ChargePointUpdate(security_profile=profile)
        )
        upgraded = await self.charge_points.update(charge_point_id, changes)
        log.warning("[%s] security profile raised from %d to %d", charge_point_id, current, profile)
        return upgraded

    async def _change(self, charge_point_id: str, key: str, value: str, timeout: float) -> None:
        answer = await self.commands.ask(
            charge_point_id,
            ChangeConfigurationReq(key=key, value=value),
            ChangeConfigurationConf,
            timeout=timeout,
        )
        if answer.status not in APPLIED:
            raise Conflict(
                f"The charge point answered {answer.status.value} to ChangeConfiguration "
                f"{key}: its security profile is unchanged"
            )
