"""The state of each connector: status, availability, transaction, reservation, meter.

Connector 0 stands for the charge point as a whole (OCPP 1.6, 3.7): it has a status and an
availability but never a transaction, and its meter is the sum of the others'.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus

from ampyre.ocpp.v16.messages import MeterValue
from ampyre.simulator.meter import Meter


@dataclass(slots=True)
class Transaction:
    transaction_id: int
    connector_id: int
    id_tag: str
    meter_start: int
    started_at: datetime
    #: The Transaction.Begin sample, sent again in the StopTransaction's transactionData.
    begin_sample: MeterValue | None = None


@dataclass(slots=True)
class Reservation:
    reservation_id: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry: datetime
    expiry_task: asyncio.Task[None] | None = None


@dataclass(slots=True)
class Connector:
    connector_id: int
    status: ChargePointStatus = ChargePointStatus.available
    error_code: ChargePointErrorCode = ChargePointErrorCode.no_error
    operative: bool = True
    #: An availability change answered "Scheduled", applied when the transaction ends.
    scheduled_operative: bool | None = None
    transaction: Transaction | None = None
    #: Set between an accepted RemoteStartTransaction and its StartTransaction, so that a
    #: second remote start cannot take the same connector meanwhile.
    claimed: bool = False
    reservation: Reservation | None = None
    meter: Meter = field(default_factory=Meter)

    @property
    def busy(self) -> bool:
        return self.transaction is not None or self.claimed

    def idle_status(self) -> ChargePointStatus:
        """The status to report when no session occupies the connector."""
        if not self.operative:
            return ChargePointStatus.unavailable
        if self.status == ChargePointStatus.faulted:
            return ChargePointStatus.faulted
        if self.reservation is not None:
            return ChargePointStatus.reserved
        return ChargePointStatus.available
