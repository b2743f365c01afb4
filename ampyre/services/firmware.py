"""Firmware updates (OCPP 1.6, 5.19 and 4.5): update attempts and their progress; the
images they download are `firmware_images`'s, the base of the service.

Each UpdateFirmware becomes an attempt whose FirmwareStatusNotifications are kept; the
attempt a notification reports on is the charge point's latest one sent.

A signed update (security whitepaper L01) is the same attempt sent as SignedUpdateFirmware
with the image's signature (`firmware_signing.py`); its SignedFirmwareStatusNotifications
move it along like FirmwareStatusNotifications, through the extra statuses
(SignatureVerified, InvalidSignature...).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from ocpp.v16.enums import UpdateFirmwareStatus
from sqlalchemy import and_, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.ocpp.v16.csms_messages.firmware import UpdateFirmwareConf, UpdateFirmwareReq
from ampyre.ocpp.v16.csms_messages.security import (
    Firmware,
    SignedUpdateFirmwareConf,
    SignedUpdateFirmwareReq,
)
from ampyre.services.clock import format_timestamp, now, parse_timestamp
from ampyre.services.commands import CommandService
from ampyre.services.errors import DomainError
from ampyre.services.file_store import FileStore
from ampyre.services.firmware_images import FirmwareImages
from ampyre.services.firmware_signing import FirmwareSignature, FirmwareSigner, choose_signature
from ampyre.services.transfer_attempts import AttemptKind, AttemptTracker, mask_password
from ampyre.storage.database import Database
from ampyre.storage.models import FirmwareStatusEvent, FirmwareUpdate

log = logging.getLogger("ampyre.firmware")

#: Seconds beyond twice the call time-out after which a Sending attempt counts as stalled.
STALLED_SENDING_MARGIN = 10

FIRMWARE_UPDATE = AttemptKind(
    action="UpdateFirmware",
    noun="Firmware update",
    terminal=frozenset(
        {
            "Installed",
            "DownloadFailed",
            "InstallationFailed",
            "Rejected",
            "Error",
            "Cancelled",
            "Superseded",
            # Signed updates only (whitepaper L01): the charge point gives up on the image.
            "InvalidSignature",
            "InstallVerificationFailed",
        }
    ),
    reopenable=frozenset({"DownloadFailed", "InstallationFailed", "Error"}),
)
#: The same attempts, sent as SignedUpdateFirmware.
SIGNED_FIRMWARE_UPDATE = dataclasses.replace(
    FIRMWARE_UPDATE, action="SignedUpdateFirmware", noun="Firmware update"
)
#: SignedUpdateFirmware.conf statuses after which the charge point goes ahead.
SIGNED_UPDATE_TAKEN = frozenset(
    {UpdateFirmwareStatus.accepted, UpdateFirmwareStatus.accepted_canceled}
)


class FirmwareService(FirmwareImages):
    """Sends firmware updates and follows them; the images they download come with the
    base (`FirmwareImages`), so that one service is the front ends' way to firmware."""

    def __init__(
        self,
        db: Database,
        store: FileStore,
        commands: CommandService,
        signer: FirmwareSigner | None = None,
    ) -> None:
        super().__init__(db, store)
        self.signer = signer
        # Signed attempts are rows of the same table: one charge point, one update at a time.
        self.attempts, self.signed_attempts = (
            AttemptTracker(
                db, commands, kind, FirmwareUpdate, FirmwareStatusEvent, "firmware_update_id"
            )
            for kind in (FIRMWARE_UPDATE, SIGNED_FIRMWARE_UPDATE)
        )
        commands.register_effect("UpdateFirmware", self.on_update_firmware_answered)
        commands.register_effect("SignedUpdateFirmware", self.on_signed_update_firmware_answered)

    # -- updates ----------------------------------------------------------------------

    async def update(
        self,
        charge_point_id: str,
        *,
        location: str,
        retrieve_date: datetime,
        retries: int | None,
        retry_interval: int | None,
        firmware_image_id: int | None,
        timeout: float,
        signature: FirmwareSignature | None = None,
    ) -> FirmwareUpdate:
        """Send UpdateFirmware (SignedUpdateFirmware with a signature) now and record the
        attempt (also when it fails)."""
        await self.attempts.commands.charge_points.get(charge_point_id)
        tracker = self.signed_attempts if signature else self.attempts
        attempt = await tracker.open(
            charge_point_id,
            firmware_request(0, location, retrieve_date, retries, retry_interval, signature),
            firmware_image_id=firmware_image_id,
            location=mask_password(location),
            retrieve_date=retrieve_date,
            retries=retries,
            retry_interval=retry_interval,
            signed=signature is not None,
        )
        request = firmware_request(
            attempt.id, location, retrieve_date, retries, retry_interval, signature
        )
        await tracker.send(attempt.id, charge_point_id, request, timeout)
        return await self.attempts.get(charge_point_id, attempt.id)

    async def signature_for(
        self,
        firmware_image_id: int | None,
        *,
        signature: str | None = None,
        signing_certificate: str | None = None,
    ) -> FirmwareSignature:
        """The signature a signed update of this image carries (see `choose_signature`)."""
        image = await self.image(firmware_image_id) if firmware_image_id is not None else None
        return choose_signature(
            self.signer,
            image_sha256=image.sha256 if image is not None else None,
            signature=signature,
            signing_certificate=signing_certificate,
        )

    def queue(
        self,
        session: AsyncSession,
        charge_point_id: str,
        *,
        rollout_id: int,
        location: str,
        retrieve_date: datetime,
        retries: int | None,
        retry_interval: int | None,
        firmware_image_id: int | None,
        signed: bool = False,
    ) -> None:
        """Add a not yet sent (Pending) attempt of a rollout, in the caller's transaction."""
        session.add(
            self.attempts.new(
                charge_point_id,
                "Pending",
                rollout_id=rollout_id,
                firmware_image_id=firmware_image_id,
                location=mask_password(location),
                retrieve_date=retrieve_date,
                retries=retries,
                retry_interval=retry_interval,
                signed=signed,
            )
        )

    async def send_queued(
        self,
        update_id: int,
        location: str,
        timeout: float,
        signature: FirmwareSignature | None = None,
    ) -> None:
        """Send a rollout attempt not sent yet; an offline charge point's stays Offline.

        `location` and `signature` come from the rollout: the attempt keeps the location
        with any password masked.
        """
        # Taken once, by one task of one node: a Sending attempt is taken again only when
        # its sender has long stopped (the server stopped while sending it).
        stalled = now() - timedelta(seconds=2 * timeout + STALLED_SENDING_MARGIN)
        async with self.db.sessions.begin() as session:
            claimed = await session.execute(
                update(FirmwareUpdate)
                .where(
                    FirmwareUpdate.id == update_id,
                    or_(
                        FirmwareUpdate.status.in_(("Pending", "Offline")),
                        and_(
                            FirmwareUpdate.status == "Sending",
                            FirmwareUpdate.updated_at < stalled,
                        ),
                    ),
                )
                .values(status="Sending", updated_at=now())
                .returning(FirmwareUpdate.charge_point_id)
            )
            charge_point_id = claimed.scalar()
        if charge_point_id is None:
            return  # cancelled, or taken by another task meanwhile
        attempt = await self.attempts.get(charge_point_id, update_id)
        request = firmware_request(
            update_id,
            location,
            attempt.retrieve_date,
            attempt.retries,
            attempt.retry_interval,
            signature,
        )
        tracker = self.signed_attempts if signature else self.attempts
        try:
            await tracker.send(update_id, charge_point_id, request, timeout, keep_if_offline=True)
        except DomainError as exc:
            log.info(
                "[%s] rollout %s not delivered: %s",
                charge_point_id,
                tracker.kind.action,
                exc.detail,
            )

    async def on_update_firmware_answered(
        self, charge_point_id: str, request: UpdateFirmwareReq, response: UpdateFirmwareConf
    ) -> None:
        """UpdateFirmware.conf is empty: any CALLRESULT means the charge point took it."""

        async def recorded() -> dict[str, Any]:
            return await self._recorded(request.location, request.retrieve_date, request)

        await self.attempts.complete(charge_point_id, "Sent", recorded)

    async def on_signed_update_firmware_answered(
        self,
        charge_point_id: str,
        request: SignedUpdateFirmwareReq,
        response: SignedUpdateFirmwareConf,
    ) -> None:
        """Accepted: the charge point goes ahead; anything else (Rejected, InvalidCertificate,
        RevokedCertificate) ends the attempt as Rejected with the charge point's word."""
        firmware = request.firmware

        async def recorded() -> dict[str, Any]:
            columns = await self._recorded(firmware.location, firmware.retrieve_date_time, request)
            return {**columns, "signed": True}

        if response.status in SIGNED_UPDATE_TAKEN:
            await self.signed_attempts.complete(charge_point_id, "Sent", recorded, error=None)
        else:
            await self.signed_attempts.complete(
                charge_point_id, "Rejected", recorded, error=response.status.value
            )

    async def _recorded(
        self,
        location: str,
        retrieve_date: str,
        request: UpdateFirmwareReq | SignedUpdateFirmwareReq,
    ) -> dict[str, Any]:
        """The columns of an update sent through the generic commands endpoint."""
        return {
            "firmware_image_id": await self.image_id_of(location),
            "location": mask_password(location),
            "retrieve_date": parse_timestamp(retrieve_date),
            "retries": request.retries,
            "retry_interval": request.retry_interval,
        }

    async def record_status(self, charge_point_id: str, status: str) -> None:
        await self.attempts.record_notification(charge_point_id, status)

    async def history(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[FirmwareUpdate], int]:
        return await self.attempts.page(charge_point_id, limit=limit, offset=offset)


def firmware_request(
    request_id: int,
    location: str,
    retrieve_date: datetime,
    retries: int | None,
    retry_interval: int | None,
    signature: FirmwareSignature | None,
) -> UpdateFirmwareReq | SignedUpdateFirmwareReq:
    """UpdateFirmware.req (OCPP 1.6, 6.55), or SignedUpdateFirmware.req (whitepaper 5.13)
    when there is a signature; `request_id` is the attempt's (the signed request's only)."""
    if signature is None:
        return UpdateFirmwareReq(
            location=location,
            retrieve_date=format_timestamp(retrieve_date),
            retries=retries,
            retry_interval=retry_interval,
        )
    return SignedUpdateFirmwareReq(
        request_id=request_id,
        firmware=Firmware(
            location=location,
            retrieve_date_time=format_timestamp(retrieve_date),
            signing_certificate=signature.signing_certificate,
            signature=signature.signature,
        ),
        retries=retries,
        retry_interval=retry_interval,
    )
