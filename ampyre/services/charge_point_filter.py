"""Which charge points a list holds (`ChargePointFilter`) and what it may be sorted by:
the operator's view of the fleet, as SQL conditions on the charge point records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam, or_

from ampyre.storage.models import ChargePoint


@dataclass(slots=True, frozen=True)
class ChargePointFilter:
    """Which charge points a list holds; every given field must match."""

    #: With `connected`: the identities connected now (the gateway knows them).
    connected_ids: frozenset[str] | None = None
    connected: bool | None = None
    registration_status: str | None = None
    vendor: str | None = None
    model: str | None = None
    firmware_version: str | None = None
    #: Found, ignoring case, in the identity, vendor, model, serial numbers or firmware.
    text: str | None = None

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.connected is not None:
            # Written into the SQL rather than one parameter per id: a fleet of more
            # charge points than a statement may have parameters (32767) still works.
            ids: BindParameter[list[str]] = bindparam(
                "connected_ids",
                sorted(self.connected_ids or ()),
                expanding=True,
                literal_execute=True,
            )
            member = ChargePoint.id.in_(ids)
            found.append(member if self.connected else ~member)
        exact = {
            ChargePoint.registration_status: self.registration_status,
            ChargePoint.charge_point_vendor: self.vendor,
            ChargePoint.charge_point_model: self.model,
            ChargePoint.firmware_version: self.firmware_version,
        }
        found.extend(column == value for column, value in exact.items() if value is not None)
        if self.text:
            found.append(
                or_(
                    *(
                        column.icontains(self.text, autoescape=True)
                        for column in (
                            ChargePoint.id,
                            ChargePoint.charge_point_vendor,
                            ChargePoint.charge_point_model,
                            ChargePoint.charge_point_serial_number,
                            ChargePoint.charge_box_serial_number,
                            ChargePoint.firmware_version,
                        )
                    )
                )
            )
        return found


#: What a list of charge points may be sorted by (`SortKey.field`).
CHARGE_POINT_SORT = {
    "id": ChargePoint.id,
    "registration_status": ChargePoint.registration_status,
    "vendor": ChargePoint.charge_point_vendor,
    "model": ChargePoint.charge_point_model,
    "firmware_version": ChargePoint.firmware_version,
    "security_profile": ChargePoint.security_profile,
    "last_seen": ChargePoint.last_seen,
    "last_boot": ChargePoint.last_boot,
    "created_at": ChargePoint.created_at,
}
