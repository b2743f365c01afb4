"""Charge point certificates: signing (A02/A03) and the renewal policy; the CA certificates
a charge point holds (M03-M05) are `installed`'s, the base of the service.

SignCertificate is answered at once, Accepted when the CSR keeps the rules (`csr`) and
Rejected otherwise (A02.FR.11/12); the signing and the CertificateSigned that carries the
chain happen after the answer, in the background, since an external CA may take its time.
Every issued certificate is recorded with the charge point's answer to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from ocpp.v16.enums import CertificateSignedStatus, GenericStatus, MessageTrigger
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from ampyre.ocpp.v16.certificate_hash import serial_hex
from ampyre.ocpp.v16.csms_messages.security import (
    CertificateSignedConf,
    CertificateSignedReq,
    ExtendedTriggerMessageConf,
    ExtendedTriggerMessageReq,
)
from ampyre.ocpp.v16.messages import unparse
from ampyre.services.certificates.authority import CertificateAuthority, SigningFailed, chain_pem
from ampyre.services.certificates.csr import CsrRejected, CsrRules, validate_csr
from ampyre.services.certificates.installed import InstalledCertificates
from ampyre.services.clock import now
from ampyre.services.commands import CommandService
from ampyre.services.errors import ChargePointCallError, ChargePointTimeout, DomainError
from ampyre.services.event_log import EventLogService
from ampyre.storage.database import Database
from ampyre.storage.models import IssuedCertificate
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.certificates")

#: CertificateUseEnumType of the security extension.
CertificateType = Literal["CentralSystemRootCertificate", "ManufacturerRootCertificate"]
CERTIFICATE_TYPES: tuple[str, ...] = get_args(CertificateType)
#: How long the renewal policy waits before asking a charge point again that did not come
#: back with a CSR (or whose new certificate it refused).
RENEWAL_RETRY = timedelta(hours=6)
#: How long the CertificateSigned after an accepted SignCertificate waits for its answer.
CERTIFICATE_SIGNED_TIMEOUT = 60.0

#: An issued certificate's status once the charge point took it (CertificateSigned.conf).
ACCEPTED = CertificateSignedStatus.accepted.value

_FAILED_SEND: dict[type[DomainError], str] = {
    ChargePointCallError: "CallError",
    ChargePointTimeout: "TimedOut",
}


class CertificateService(InstalledCertificates):
    """A charge point's certificates, the one service the front ends and the handlers use:
    the CA certificates it holds (the base, `InstalledCertificates`), and the certificate
    it is issued, with the renewal policy that asks for a new one (this class)."""

    def __init__(
        self,
        db: Database,
        commands: CommandService,
        event_log: EventLogService,
        authority: CertificateAuthority,
        *,
        renew_days: int,
        call_timeout: float,
    ) -> None:
        super().__init__(db, commands, event_log)
        self.authority = authority
        self.rules = CsrRules(organization=authority.organization)
        self.renew_before = timedelta(days=renew_days) if renew_days > 0 else None
        self.call_timeout = call_timeout
        self._background: set[asyncio.Task[None]] = set()
        commands.register_effect("CertificateSigned", self.on_certificate_signed_answered)

    # -- SignCertificate --------------------------------------------------------------------

    async def request_signature(self, charge_point_id: str, csr_pem: str) -> bool:
        """Whether a charge point's CSR is accepted for signing. An accepted one is signed
        and sent back with CertificateSigned once this returns (the caller answers first)."""
        try:
            csr = validate_csr(csr_pem, charge_point_id, self.rules)
        except CsrRejected as exc:
            log.warning("[%s] SignCertificate rejected: %s", charge_point_id, exc)
            await self.event_log.record(
                charge_point_id,
                "SignCertificate",
                {"csr": csr_pem, "status": GenericStatus.rejected.value, "reason": str(exc)},
            )
            return False
        try:
            await self.authority.check()
        except (OSError, ValueError) as exc:
            # A02.FR.12: not able to process the request.
            log.error("[%s] SignCertificate rejected: the CA cannot sign: %s", charge_point_id, exc)
            await self.event_log.record(
                charge_point_id,
                "SignCertificate",
                {
                    "csr": csr_pem,
                    "status": GenericStatus.rejected.value,
                    "reason": f"the CA cannot sign: {exc}",
                },
            )
            return False
        await self.event_log.record(
            charge_point_id,
            "SignCertificate",
            {"csr": csr_pem, "status": GenericStatus.accepted.value},
        )
        # Started now, it runs once the handler's answer is on its way: the answer is sent
        # without awaiting anything after the handler returns (transport/connection.py).
        self._spawn(self._issue(charge_point_id, csr))
        return True

    async def _issue(self, charge_point_id: str, csr: x509.CertificateSigningRequest) -> None:
        try:
            chain = await self.authority.sign(csr, charge_point_id)
        except (SigningFailed, OSError, ValueError) as exc:
            log.error("[%s] the CA did not sign the certificate: %s", charge_point_id, exc)
            await self.event_log.record(
                charge_point_id, "CertificateSigningFailed", {"reason": str(exc)}
            )
            return
        leaf = chain[0]
        async with self.db.sessions.begin() as session:
            session.add(
                IssuedCertificate(
                    charge_point_id=charge_point_id,
                    serial_number=serial_hex(leaf.serial_number),
                    subject=leaf.subject.rfc4514_string()[:512],
                    not_before=leaf.not_valid_before_utc,
                    not_after=leaf.not_valid_after_utc,
                    issued_at=now(),
                    certificate=leaf.public_bytes(serialization.Encoding.PEM).decode(),
                    status="Sending",
                )
            )
        log.info(
            "[%s] signed certificate %s, valid until %s",
            charge_point_id,
            serial_hex(leaf.serial_number),
            leaf.not_valid_after_utc.isoformat(),
        )
        request = CertificateSignedReq(certificate_chain=chain_pem(chain))
        try:
            await self.commands.ask(
                charge_point_id, request, CertificateSignedConf, timeout=CERTIFICATE_SIGNED_TIMEOUT
            )
        except DomainError as exc:
            # Not connected, deleted, or a chain past CertificateSigned's 10000 characters.
            status = _FAILED_SEND.get(type(exc), "NotSent")
            log.warning("[%s] CertificateSigned %s: %s", charge_point_id, status, exc.detail)
            await self._set_issued_status(charge_point_id, leaf.serial_number, status)

    async def on_certificate_signed_answered(
        self, charge_point_id: str, request: CertificateSignedReq, response: CertificateSignedConf
    ) -> None:
        """Note the charge point's answer on the certificate the chain begins with."""
        try:
            leaf = x509.load_pem_x509_certificate(request.certificate_chain.encode())
        except ValueError:
            return  # an operator's own chain through the commands endpoint
        await self._set_issued_status(charge_point_id, leaf.serial_number, response.status.value)

    async def _set_issued_status(self, charge_point_id: str, serial: int, status: str) -> None:
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(IssuedCertificate)
                .where(
                    IssuedCertificate.charge_point_id == charge_point_id,
                    IssuedCertificate.serial_number == serial_hex(serial),
                )
                .values(status=status, answered_at=now())
            )

    async def renew(self, charge_point_id: str, *, timeout: float) -> dict[str, Any]:
        """Ask the charge point for a new key and CSR (A02: ExtendedTriggerMessage
        SignChargePointCertificate); its answer."""
        request = ExtendedTriggerMessageReq(
            requested_message=MessageTrigger.sign_charge_point_certificate
        )
        answer = await self.commands.ask(
            charge_point_id, request, ExtendedTriggerMessageConf, timeout=timeout
        )
        return unparse(answer)

    # -- reading ----------------------------------------------------------------------------

    async def issued(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[IssuedCertificate], int]:
        """The certificates issued to a charge point, newest first."""
        await self._known(charge_point_id)
        query = select(IssuedCertificate).where(
            IssuedCertificate.charge_point_id == charge_point_id
        )
        return await fetch_page(
            self.db.sessions, query, IssuedCertificate.id.desc(), limit=limit, offset=offset
        )

    # -- renewal policy -----------------------------------------------------------------------

    async def renew_expiring(self) -> list[str]:
        """Ask each connected charge point whose newest accepted certificate expires within
        the renewal window for a new one; the charge points asked. A charge point is asked
        again only after RENEWAL_RETRY, and in a cluster by one node only (the claim); a
        certificate whose whole life is shorter than the window is left alone."""
        if self.renew_before is None:
            return []
        current = now()
        horizon = current + self.renew_before
        newer = aliased(IssuedCertificate)
        async with self.db.sessions() as session:
            due = list(
                await session.execute(
                    select(
                        IssuedCertificate.id,
                        IssuedCertificate.charge_point_id,
                        IssuedCertificate.not_before,
                        IssuedCertificate.not_after,
                    ).where(
                        IssuedCertificate.status == ACCEPTED,
                        IssuedCertificate.not_after <= horizon,
                        (IssuedCertificate.renewal_requested_at.is_(None))
                        | (IssuedCertificate.renewal_requested_at < current - RENEWAL_RETRY),
                        ~exists().where(
                            newer.charge_point_id == IssuedCertificate.charge_point_id,
                            newer.id > IssuedCertificate.id,
                            newer.status == ACCEPTED,
                        ),
                    )
                )
            )
        asked = []
        for certificate_id, charge_point_id, not_before, not_after in due:
            if not_after - not_before <= self.renew_before:
                # A certificate made short (the CA expires soon) would be renewed into
                # another as short, again and again: that is the operator's to fix.
                continue
            if not self.commands.gateway.is_connected(charge_point_id):
                continue
            if not await self._claim_renewal(certificate_id, current):
                continue
            asked.append(charge_point_id)
            self._spawn(self._ask_renewal(charge_point_id))
        return asked

    async def _claim_renewal(self, certificate_id: int, current: datetime) -> bool:
        async with self.db.sessions.begin() as session:
            result = await session.execute(
                update(IssuedCertificate)
                .where(
                    IssuedCertificate.id == certificate_id,
                    (IssuedCertificate.renewal_requested_at.is_(None))
                    | (IssuedCertificate.renewal_requested_at < current - RENEWAL_RETRY),
                )
                .values(renewal_requested_at=current)
            )
            return bool(getattr(result, "rowcount", 0))

    async def _ask_renewal(self, charge_point_id: str) -> None:
        try:
            answer = await self.renew(charge_point_id, timeout=self.call_timeout)
        except DomainError as exc:
            log.warning("[%s] certificate renewal request failed: %s", charge_point_id, exc.detail)
            return
        log.info(
            "[%s] certificate near expiry: renewal requested, %s",
            charge_point_id,
            answer["status"],
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("certificate work failed", exc_info=task.exception())
