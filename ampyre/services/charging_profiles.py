"""The CSMS's record of the charging profiles installed on each connector (OCPP 1.6, 3.13).

A profile is checked against the Smart Charging rules before it is sent and recorded only
when the charge point accepted it, replacing as the charge point does (OCPP 1.6, 5.16.3):
a profile with the same chargingProfileId, or the same purpose and stackLevel on the same
connector, replaces the old one. A TxProfile is recorded against its transaction (the one
it names, else the one active on its connector) and ends with it; the TxProfile of a
RemoteStartTransaction is held until the transaction it starts exists (5.16.2).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from ocpp.v16.enums import (
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ClearChargingProfileStatus,
)
from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ampyre.ocpp.v16.csms_messages.smart_charging import (
    ClearChargingProfileConf,
    ClearChargingProfileReq,
    SetChargingProfileConf,
    SetChargingProfileReq,
)
from ampyre.services.clock import now
from ampyre.services.errors import InvalidRequest, NotFound
from ampyre.services.remote_starts import PENDING
from ampyre.services.smart_charging import composite, validation
from ampyre.storage.database import Database
from ampyre.storage.models import (
    ChargingProfileIdSequence,
    InstalledChargingProfile,
    RemoteStart,
    RemoteStartChargingProfile,
    Transaction,
)
from ampyre.storage.paging import fetch_page

log = logging.getLogger("ampyre.charging_profiles")

TX_PROFILE = ChargingProfilePurposeType.tx_profile.value
#: ClearChargingProfile answers after which the record holds none of the profiles named:
#: Unknown says the charge point holds no matching profile, so neither should the record.
_CLEARED = (ClearChargingProfileStatus.accepted, ClearChargingProfileStatus.unknown)


class ChargingProfileService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- Before a profile is sent ---------------------------------------------------------

    async def check_set_request(self, charge_point_id: str, request: dict[str, Any]) -> None:
        """Refuse a SetChargingProfile.req that breaks a Smart Charging rule (InvalidRequest)."""
        connector_id = int(request["connectorId"])
        profile = request["csChargingProfiles"]
        active_id = None
        if profile["chargingProfilePurpose"] == TX_PROFILE and connector_id > 0:
            transaction = await self.active_transaction(charge_point_id, connector_id)
            active_id = transaction.id if transaction is not None else None
        validation.check_set_charging_profile(
            connector_id, profile, active_transaction_id=active_id
        )

    async def check_remote_start_request(
        self, charge_point_id: str, request: dict[str, Any]
    ) -> None:
        """Refuse a RemoteStartTransaction.req whose chargingProfile breaks a rule."""
        profile = request.get("chargingProfile")
        if profile is not None:
            validation.check_remote_start_profile(profile)

    # -- What the charge point's answers mean ---------------------------------------------

    async def on_set_answered(
        self, charge_point_id: str, request: SetChargingProfileReq, response: SetChargingProfileConf
    ) -> None:
        if response.status is not ChargingProfileStatus.accepted:
            return
        connector_id = request.connector_id
        profile = request.cs_charging_profiles
        transaction_id = profile.get("transactionId")
        if profile["chargingProfilePurpose"] == TX_PROFILE and transaction_id is None:
            transaction = await self.active_transaction(charge_point_id, connector_id)
            if transaction is None:
                # Checked before sending; the transaction stopped while the answer came.
                log.warning(
                    "[%s] TxProfile %s accepted on connector %d without a transaction: "
                    "not recorded",
                    charge_point_id,
                    profile["chargingProfileId"],
                    connector_id,
                )
                return
            transaction_id = transaction.id
        await self.install(charge_point_id, connector_id, profile, transaction_id=transaction_id)

    async def on_clear_answered(
        self,
        charge_point_id: str,
        request: ClearChargingProfileReq,
        response: ClearChargingProfileConf,
    ) -> None:
        if response.status not in _CLEARED:
            return
        async with self.db.sessions.begin() as session:
            await session.execute(
                delete(InstalledChargingProfile).where(*_clear_conditions(charge_point_id, request))
            )

    # -- Recording ------------------------------------------------------------------------

    async def install(
        self,
        charge_point_id: str,
        connector_id: int,
        profile: dict[str, Any],
        *,
        transaction_id: int | None = None,
    ) -> InstalledChargingProfile:
        async with self.db.sessions.begin() as session:
            return await self._install(
                session, charge_point_id, connector_id, profile, transaction_id
            )

    async def _install(
        self,
        session: AsyncSession,
        charge_point_id: str,
        connector_id: int,
        profile: dict[str, Any],
        transaction_id: int | None,
    ) -> InstalledChargingProfile:
        purpose = profile["chargingProfilePurpose"]
        same_id = InstalledChargingProfile.charging_profile_id == profile["chargingProfileId"]
        same_place = (
            (InstalledChargingProfile.connector_id == connector_id)
            & (InstalledChargingProfile.purpose == purpose)
            & (InstalledChargingProfile.stack_level == profile["stackLevel"])
        )
        await session.execute(
            delete(InstalledChargingProfile).where(
                InstalledChargingProfile.charge_point_id == charge_point_id,
                same_id | same_place,
            )
        )
        row = InstalledChargingProfile(
            charge_point_id=charge_point_id,
            connector_id=connector_id,
            charging_profile_id=profile["chargingProfileId"],
            purpose=purpose,
            stack_level=profile["stackLevel"],
            transaction_id=transaction_id,
            profile=profile,
            installed_at=now(),
        )
        session.add(row)
        await session.flush()
        return row

    async def hold_for_remote_start(
        self, charge_point_id: str, remote_start_id: int, profile: dict[str, Any]
    ) -> None:
        """Keep a RemoteStartTransaction's TxProfile until its transaction starts.

        Called before the request is sent, so a fast StartTransaction finds it. Held
        profiles of remote starts that are no longer pending are dropped on the way.
        """
        async with self.db.sessions.begin() as session:
            settled = select(RemoteStart.id).where(
                RemoteStart.charge_point_id == charge_point_id, RemoteStart.state != PENDING
            )
            await session.execute(
                delete(RemoteStartChargingProfile).where(
                    RemoteStartChargingProfile.charge_point_id == charge_point_id,
                    RemoteStartChargingProfile.remote_start_id.in_(settled),
                )
            )
            session.add(
                RemoteStartChargingProfile(
                    remote_start_id=remote_start_id,
                    charge_point_id=charge_point_id,
                    profile=profile,
                    created_at=now(),
                )
            )

    async def install_held(
        self,
        session: AsyncSession,
        charge_point_id: str,
        remote_start_id: int,
        connector_id: int,
        transaction_id: int,
    ) -> None:
        """Record a remote start's TxProfile against the transaction it became (5.16.2)."""
        held = await session.get(RemoteStartChargingProfile, remote_start_id)
        if held is None or held.charge_point_id != charge_point_id:
            return
        await session.delete(held)
        await self._install(session, charge_point_id, connector_id, held.profile, transaction_id)
        log.info(
            "[%s] TxProfile %s of remote start %d recorded for transaction %d",
            charge_point_id,
            held.profile["chargingProfileId"],
            remote_start_id,
            transaction_id,
        )

    async def next_profile_id(self, charge_point_id: str) -> int:
        """A chargingProfileId this charge point has not seen from the CSMS: above every
        id recorded on it and every id assigned before, even of profiles since cleared."""
        table = ChargingProfileIdSequence
        async with self.db.sessions.begin() as session:
            highest = await session.scalar(
                select(func.max(InstalledChargingProfile.charging_profile_id)).where(
                    InstalledChargingProfile.charge_point_id == charge_point_id
                )
            )
            floor = max(int(highest or 0), 0)
            insert = sqlite_insert if self.db.is_sqlite else postgresql_insert
            statement = (
                insert(table)
                .values(charge_point_id=charge_point_id, last_id=floor + 1)
                .on_conflict_do_update(
                    index_elements=[table.charge_point_id],
                    set_={
                        "last_id": case((table.last_id > floor, table.last_id + 1), else_=floor + 1)
                    },
                )
                .returning(table.last_id)
            )
            return int((await session.execute(statement)).scalar_one())

    # -- Reading --------------------------------------------------------------------------

    async def active_transaction(
        self, charge_point_id: str, connector_id: int
    ) -> Transaction | None:
        """The transaction the CSMS records as running on a connector (the newest one)."""
        async with self.db.sessions() as session:
            return await session.scalar(
                select(Transaction)
                .where(
                    Transaction.charge_point_id == charge_point_id,
                    Transaction.connector_id == connector_id,
                    Transaction.stop_timestamp.is_(None),
                )
                .order_by(Transaction.start_timestamp.desc(), Transaction.id.desc())
                .limit(1)
            )

    async def get(self, charge_point_id: str, charging_profile_id: int) -> InstalledChargingProfile:
        async with self.db.sessions() as session:
            row = await session.scalar(
                select(InstalledChargingProfile).where(
                    InstalledChargingProfile.charge_point_id == charge_point_id,
                    InstalledChargingProfile.charging_profile_id == charging_profile_id,
                )
            )
        if row is None:
            raise NotFound(
                f"No charging profile {charging_profile_id} recorded on {charge_point_id!r}"
            )
        return row

    async def matching(
        self, charge_point_id: str, clear_request: dict[str, Any]
    ) -> list[InstalledChargingProfile]:
        """The recorded profiles a ClearChargingProfile.req (schema-valid) would remove."""
        try:
            request = msgspec.convert(clear_request, ClearChargingProfileReq)
        except msgspec.ValidationError as exc:
            raise InvalidRequest(f"ClearChargingProfile: {exc}") from None
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(InstalledChargingProfile)
                .where(*_clear_conditions(charge_point_id, request))
                .order_by(*_LISTING_ORDER)
            )
            return list(rows)

    async def page(
        self,
        charge_point_id: str,
        *,
        connector_id: int | None = None,
        purpose: str | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[InstalledChargingProfile], int]:
        query = select(InstalledChargingProfile).where(
            InstalledChargingProfile.charge_point_id == charge_point_id
        )
        if connector_id is not None:
            query = query.where(InstalledChargingProfile.connector_id == connector_id)
        if purpose is not None:
            query = query.where(InstalledChargingProfile.purpose == purpose)
        return await fetch_page(
            self.db.sessions, query, *_LISTING_ORDER, limit=limit, offset=offset
        )

    async def composite_schedule(
        self,
        charge_point_id: str,
        connector_id: int,
        *,
        start: datetime,
        duration: int,
        charging_rate_unit: str | None,
        default_limit: float | None,
    ) -> dict[str, Any]:
        """The composite schedule of a connector as the CSMS computes it from its records.

        The transaction is the one the CSMS records as active on the connector: its
        TxProfiles apply and its start anchors Relative profiles.
        """
        transaction = None
        if connector_id > 0:
            transaction = await self.active_transaction(charge_point_id, connector_id)
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(InstalledChargingProfile).where(
                    InstalledChargingProfile.charge_point_id == charge_point_id
                )
            )
            profiles = [_as_installed(row) for row in rows]
        return composite.composite_schedule(
            profiles,
            connector_id,
            start=start,
            duration=duration,
            charging_rate_unit=charging_rate_unit,
            transaction_id=transaction.id if transaction is not None else None,
            transaction_start=transaction.start_timestamp if transaction is not None else None,
            default_limit=default_limit,
        )


_LISTING_ORDER = (
    InstalledChargingProfile.connector_id,
    InstalledChargingProfile.purpose,
    InstalledChargingProfile.stack_level,
)


def _clear_conditions(
    charge_point_id: str, request: ClearChargingProfileReq
) -> Sequence[ColumnElement[bool]]:
    """Which profiles a ClearChargingProfile.req names (OCPP 1.6, 6.13; errata v4 3.25-3.26).

    With an id, only that profile and the other fields are ignored; otherwise every given
    field must match (connectorId 0 is the charge point as a whole, not "any"), and with
    no field at all every profile matches.
    """
    conditions = [InstalledChargingProfile.charge_point_id == charge_point_id]
    if request.id is not None:
        conditions.append(InstalledChargingProfile.charging_profile_id == request.id)
        return conditions
    if request.connector_id is not None:
        conditions.append(InstalledChargingProfile.connector_id == request.connector_id)
    if request.charging_profile_purpose is not None:
        purpose = request.charging_profile_purpose.value
        conditions.append(InstalledChargingProfile.purpose == purpose)
    if request.stack_level is not None:
        conditions.append(InstalledChargingProfile.stack_level == request.stack_level)
    return conditions


def _as_installed(row: InstalledChargingProfile) -> dict[str, Any]:
    """A recorded profile as the composite algorithm reads it: a TxProfile names the
    transaction the CSMS recorded it against, also when it was sent without one."""
    profile = dict(row.profile)
    if row.purpose == TX_PROFILE and row.transaction_id is not None:
        profile["transactionId"] = row.transaction_id
    return {"connectorId": row.connector_id, "csChargingProfiles": profile}
