"""`/transactions`, `/unmatched-stops` and `/remote-starts`: what charging happened."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from ampyre.api import serializers
from ampyre.api.dependencies import Page, get_csms
from ampyre.api.serializers import (
    Items,
    RemoteStart,
    Transaction,
    TransactionWithMeterValues,
    UnmatchedStop,
)
from ampyre.services.central_system import CentralSystem

router = APIRouter(tags=["transactions"])


@router.get("/transactions", summary="List transactions, newest first")
async def list_transactions(
    chargePointId: str | None = Query(None),
    active: bool | None = Query(None, description="Only running (true) or finished (false)"),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[Transaction]:
    rows, total = await csms.transactions.page(
        charge_point_id=chargePointId, active=active, limit=page.limit, offset=page.offset
    )
    return serializers.page([serializers.transaction(r) for r in rows], total)


@router.get("/transactions/{transaction_id}", summary="A transaction with its meter values")
async def get_transaction(
    transaction_id: int, csms: CentralSystem = Depends(get_csms)
) -> TransactionWithMeterValues:
    transaction, meter_values = await csms.transactions.get(transaction_id)
    return serializers.transaction_with_meter_values(transaction, meter_values)


@router.get(
    "/unmatched-stops",
    summary="StopTransactions that named a transaction the CSMS never assigned",
)
async def list_unmatched_stops(
    chargePointId: str | None = Query(None),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[UnmatchedStop]:
    rows, total = await csms.transactions.unmatched_stops(
        charge_point_id=chargePointId, limit=page.limit, offset=page.offset
    )
    return serializers.page([serializers.unmatched_stop(r) for r in rows], total)


@router.get("/remote-starts", summary="Remote starts and the transactions they became")
async def list_remote_starts(
    chargePointId: str | None = Query(None),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[RemoteStart]:
    rows, total = await csms.remote_starts.page(
        charge_point_id=chargePointId, limit=page.limit, offset=page.offset
    )
    return serializers.page([serializers.remote_start(r) for r in rows], total)


@router.get("/remote-starts/{remote_start_id}", summary="One remote start")
async def get_remote_start(
    remote_start_id: int, csms: CentralSystem = Depends(get_csms)
) -> RemoteStart:
    return serializers.remote_start(await csms.remote_starts.get(remote_start_id))
