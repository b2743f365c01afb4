"""The CSMS's record of the charging profiles installed on each connector.

Recorded only when the charge point accepted them, replacing as the charge point does
(OCPP 1.6, 5.16.2): a profile with the same chargingProfileId, or the same purpose and
stackLevel on the same connector, replaces the old one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select

from ampyre.services.clock import now
from ampyre.storage.database import Database
from ampyre.storage.models import InstalledChargingProfile


class ChargingProfileService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def on_set_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        if response.get("status") != "Accepted":
            return
        connector_id = int(request["connectorId"])
        profile = request["csChargingProfiles"]
        await self.install(charge_point_id, connector_id, profile)

    async def install(
        self, charge_point_id: str, connector_id: int, profile: dict[str, Any]
    ) -> None:
        purpose = profile["chargingProfilePurpose"]
        async with self.db.sessions.begin() as session:
            await session.execute(
                delete(InstalledChargingProfile).where(
                    InstalledChargingProfile.charge_point_id == charge_point_id,
                    or_(
                        InstalledChargingProfile.charging_profile_id
                        == profile["chargingProfileId"],
                        (InstalledChargingProfile.connector_id == connector_id)
                        & (InstalledChargingProfile.purpose == purpose)
                        & (InstalledChargingProfile.stack_level == profile["stackLevel"]),
                    ),
                )
            )
            session.add(
                InstalledChargingProfile(
                    charge_point_id=charge_point_id,
                    connector_id=connector_id,
                    charging_profile_id=profile["chargingProfileId"],
                    purpose=purpose,
                    stack_level=profile["stackLevel"],
                    transaction_id=profile.get("transactionId"),
                    profile=profile,
                    installed_at=now(),
                )
            )

    async def on_clear_answered(
        self, charge_point_id: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        if response.get("status") != "Accepted":
            return
        conditions = [InstalledChargingProfile.charge_point_id == charge_point_id]
        if request.get("id") is not None:
            conditions.append(InstalledChargingProfile.charging_profile_id == request["id"])
        else:
            # OCPP 1.6, 5.5: without an id, the other fields filter; connectorId 0 means
            # the profiles on the charge point as a whole... and with no field, all of them.
            if request.get("connectorId") is not None:
                conditions.append(InstalledChargingProfile.connector_id == request["connectorId"])
            if request.get("chargingProfilePurpose") is not None:
                conditions.append(
                    InstalledChargingProfile.purpose == request["chargingProfilePurpose"]
                )
            if request.get("stackLevel") is not None:
                conditions.append(InstalledChargingProfile.stack_level == request["stackLevel"])
        async with self.db.sessions.begin() as session:
            await session.execute(delete(InstalledChargingProfile).where(*conditions))

    async def page(
        self, charge_point_id: str, *, limit: int, offset: int
    ) -> tuple[list[InstalledChargingProfile], int]:
        query = select(InstalledChargingProfile).where(
            InstalledChargingProfile.charge_point_id == charge_point_id
        )
        async with self.db.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.order_by(
                    InstalledChargingProfile.connector_id,
                    InstalledChargingProfile.purpose,
                    InstalledChargingProfile.stack_level,
                )
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)
