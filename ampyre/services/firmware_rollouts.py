"""Firmware rollouts: one image sent to many charge points, a bounded number at a time.

Each charge point of a rollout gets a firmware update attempt (Pending until sent), so its
progress is that attempt's status, moved along by its FirmwareStatusNotifications like any
other. Charge points offline when their turn comes are marked Offline and sent to as soon
as they are connected again (the periodic sweep looks), until the rollout is cancelled.
Everything is in the database, so a restarted server carries on where it stopped.
A signed rollout keeps the signature it sends (SignedUpdateFirmware) with the rollout.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ampyre.ocpp.v16.messages import unparse
from ampyre.services.clock import now
from ampyre.services.errors import InvalidRequest
from ampyre.services.firmware import (
    FIRMWARE_UPDATE,
    FirmwareService,
    firmware_request,
)
from ampyre.services.firmware_signing import FirmwareSignature
from ampyre.services.gateway import ChargePointGateway
from ampyre.services.lookup import get_or_not_found
from ampyre.storage.database import Database
from ampyre.storage.models import ChargePoint, FirmwareRollout, FirmwareUpdate
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.firmware")

DEFAULT_CONCURRENCY = 10
#: Not sent yet; cancelling a rollout cancels these.
QUEUED = ("Pending", "Offline")
#: Statuses a rollout's sending task picks up. An attempt is Sending while a task of one
#: node sends it; one still Sending long after (`firmware.STALLED_SENDING_MARGIN`) was
#: interrupted by a stop of its node: it is sent again, by whichever node resumes it.
UNSENT = ("Pending", "Offline", "Sending")


@dataclass(slots=True)
class RolloutProgress:
    rollout: FirmwareRollout
    updates: list[FirmwareUpdate]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(update.status for update in self.updates))

    @property
    def state(self) -> str:
        """Running while any charge point may still make progress; else Finished."""
        if self.rollout.cancelled_at is not None and all(
            update.status in FIRMWARE_UPDATE.terminal for update in self.updates
        ):
            return "Cancelled"
        if any(update.status not in FIRMWARE_UPDATE.terminal for update in self.updates):
            return "Running"
        return "Finished"


class FirmwareRolloutService:
    def __init__(
        self,
        db: Database,
        firmware: FirmwareService,
        gateway: ChargePointGateway,
        *,
        call_timeout: float,
    ) -> None:
        self.db = db
        self.firmware = firmware
        self.gateway = gateway
        self.call_timeout = call_timeout
        self._running: dict[int, asyncio.Task[None]] = {}

    async def start(
        self,
        charge_point_ids: list[str],
        *,
        location: str,
        firmware_image_id: int | None,
        retrieve_date: datetime,
        retries: int | None,
        retry_interval: int | None,
        concurrency: int = DEFAULT_CONCURRENCY,
        signature: FirmwareSignature | None = None,
    ) -> FirmwareRollout:
        identities = list(dict.fromkeys(charge_point_ids))
        if not identities:
            raise InvalidRequest("chargePointIds: name at least one charge point")
        request = firmware_request(0, location, retrieve_date, retries, retry_interval, signature)
        self.gateway.check_request(request.action, unparse(request))
        async with self.db.sessions.begin() as session:
            known = set(
                await session.scalars(select(ChargePoint.id).where(ChargePoint.id.in_(identities)))
            )
            unknown = [identity for identity in identities if identity not in known]
            if unknown:
                raise InvalidRequest(f"chargePointIds: unknown charge point(s) {unknown}")
            rollout = FirmwareRollout(
                firmware_image_id=firmware_image_id,
                location=location,
                retrieve_date=retrieve_date,
                retries=retries,
                retry_interval=retry_interval,
                concurrency=concurrency,
                created_at=now(),
                signature=signature.signature if signature else None,
                signing_certificate=signature.signing_certificate if signature else None,
            )
            session.add(rollout)
            await session.flush()
            for identity in identities:
                self.firmware.queue(
                    session,
                    identity,
                    rollout_id=rollout.id,
                    location=location,
                    retrieve_date=retrieve_date,
                    retries=retries,
                    retry_interval=retry_interval,
                    firmware_image_id=firmware_image_id,
                    signed=signature is not None,
                )
        log.info("firmware rollout %d: %d charge points", rollout.id, len(identities))
        self._launch(rollout.id)
        return rollout

    async def progress(self, rollout_id: int) -> RolloutProgress:
        async with self.db.sessions() as session:
            rollout = await get_or_not_found(
                session, FirmwareRollout, rollout_id, f"Firmware rollout {rollout_id}"
            )
            updates = await session.scalars(
                select(FirmwareUpdate)
                .where(FirmwareUpdate.rollout_id == rollout_id)
                .order_by(FirmwareUpdate.charge_point_id)
            )
            return RolloutProgress(rollout, list(updates))

    async def page(self, *, limit: int, offset: int) -> tuple[list[RolloutProgress], int]:
        ids, total = await fetch_page(
            self.db.sessions,
            select(FirmwareRollout.id),
            FirmwareRollout.id.desc(),
            limit=limit,
            offset=offset,
        )
        return [await self.progress(rollout_id) for rollout_id in ids], total

    async def cancel(self, rollout_id: int) -> RolloutProgress:
        """Stop sending: charge points not yet sent to are Cancelled (sent ones go on)."""
        timestamp = now()
        async with self.db.sessions.begin() as session:
            rollout = await get_or_not_found(
                session, FirmwareRollout, rollout_id, f"Firmware rollout {rollout_id}"
            )
            if rollout.cancelled_at is None:
                rollout.cancelled_at = timestamp
            await session.execute(
                update(FirmwareUpdate)
                .where(FirmwareUpdate.rollout_id == rollout_id, FirmwareUpdate.status.in_(QUEUED))
                .values(status="Cancelled", updated_at=timestamp, finished_at=timestamp)
            )
        return await self.progress(rollout_id)

    async def resume(self) -> None:
        """Send what is due: attempts not sent yet, Offline ones once their charge point is
        back, and those a stop of the server interrupted."""
        async with self.db.sessions() as session:
            rows = await session.execute(
                select(
                    FirmwareUpdate.rollout_id, FirmwareUpdate.charge_point_id, FirmwareUpdate.status
                ).where(FirmwareUpdate.rollout_id.is_not(None), FirmwareUpdate.status.in_(UNSENT))
            )
            due: set[int] = {
                rollout_id
                for rollout_id, charge_point_id, status in rows
                if rollout_id is not None
                and rollout_id not in self._running
                and (status != "Offline" or self.gateway.is_connected(charge_point_id))
            }
        for rollout_id in due:
            self._launch(rollout_id)

    async def stop(self) -> None:
        """Cancel the sending tasks (at shutdown); their attempts resume on the next start."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _launch(self, rollout_id: int) -> None:
        if rollout_id in self._running:
            return
        task = asyncio.create_task(self._send_due(rollout_id), name=f"rollout-{rollout_id}")
        self._running[rollout_id] = task
        task.add_done_callback(lambda _: self._running.pop(rollout_id, None))

    async def _send_due(self, rollout_id: int) -> None:
        async with self.db.sessions() as session:
            rollout = await session.get(FirmwareRollout, rollout_id)
            if rollout is None or rollout.cancelled_at is not None:
                return
            rows = await session.execute(
                select(FirmwareUpdate.id, FirmwareUpdate.charge_point_id, FirmwareUpdate.status)
                .where(FirmwareUpdate.rollout_id == rollout_id, FirmwareUpdate.status.in_(UNSENT))
                .order_by(FirmwareUpdate.id)
            )
            due = [
                update_id
                for update_id, charge_point_id, status in rows
                if status != "Offline" or self.gateway.is_connected(charge_point_id)
            ]
        slots = asyncio.Semaphore(rollout.concurrency)
        signature = (
            FirmwareSignature(rollout.signature, rollout.signing_certificate)
            if rollout.signature is not None and rollout.signing_certificate is not None
            else None
        )

        async def send(update_id: int) -> None:
            async with slots:
                try:
                    await self.firmware.send_queued(
                        update_id, rollout.location, self.call_timeout, signature
                    )
                except Exception:
                    log.exception(
                        "firmware rollout %d: sending update %d failed", rollout_id, update_id
                    )

        await asyncio.gather(*(send(update_id) for update_id in due))
