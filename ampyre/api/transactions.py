"""`/transactions`, `/unmatched-stops` and `/remote-starts`: what charging happened."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from ampyre.api import serializers
from ampyre.api.dependencies import Page, get_csms
from ampyre.api.listing import sort_query
from ampyre.api.serializers import (
    Items,
    RemoteStart,
    Transaction,
    TransactionWithMeterValues,
    UnmatchedStop,
)
from ampyre.api.serializers.tables import csv_chunks
from ampyre.api.types import UTCTimestamp
from ampyre.services.central_system import CentralSystem
from ampyre.services.errors import InvalidRequest
from ampyre.services.listing import SortKey
from ampyre.services.transactions import TransactionFilter

router = APIRouter(tags=["transactions"])


#: The answer's fields a list of transactions sorts by, and the service's names for them.
SORT_FIELDS = {
    "transactionId": "transaction_id",
    "chargePointId": "charge_point_id",
    "idTag": "id_tag",
    "startTimestamp": "start_timestamp",
    "stopTimestamp": "stop_timestamp",
    "energyWh": "energy_wh",
}
sort_transactions = sort_query(SORT_FIELDS, "-transactionId (newest first)")


def transaction_filter(
    chargePointId: str | None = Query(None, description="Only this charge point's"),
    idTag: str | None = Query(None, max_length=20, description="Only this id tag's (any case)"),
    started_from: UTCTimestamp | None = Query(
        None, alias="from", description="Started at or after this time (ISO 8601)"
    ),
    to: UTCTimestamp | None = Query(None, description="Started before this time (ISO 8601)"),
    state: Literal["active", "completed"] | None = Query(
        None, description="Only running (active) or stopped (completed) ones"
    ),
    active: bool | None = Query(None, description="The same as state: true = active"),
) -> TransactionFilter:
    """The filters the transaction list and its CSV export share."""
    if state is not None:
        if active is not None and active != (state == "active"):
            raise InvalidRequest(f"state={state} and active={str(active).lower()} disagree")
        active = state == "active"
    if started_from is not None and to is not None and started_from >= to:
        raise InvalidRequest("from must be before to")
    return TransactionFilter(
        charge_point_id=chargePointId,
        id_tag=idTag,
        started_from=started_from,
        started_before=to,
        active=active,
    )


@router.get("/transactions", summary="List transactions (newest first): filtered and sorted")
async def list_transactions(
    where: TransactionFilter = Depends(transaction_filter),
    sort: list[SortKey] = Depends(sort_transactions),
    page: Page = Depends(),
    csms: CentralSystem = Depends(get_csms),
) -> Items[Transaction]:
    rows, total = await csms.transactions.page(
        where=where, sort=sort, limit=page.limit, offset=page.offset
    )
    return serializers.page([serializers.transaction(r) for r in rows], total)


@router.get(
    "/transactions.csv",
    summary="Export transactions with their energy as CSV (the list's filters and sort)",
    description="Every matching transaction, not a page: one row each, the columns the "
    "list's fields (energyWh = meterStop - meterStart). Streamed as it is read.",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text/csv with a header row",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def export_transactions(
    where: TransactionFilter = Depends(transaction_filter),
    sort: list[SortKey] = Depends(sort_transactions),
    csms: CentralSystem = Depends(get_csms),
) -> StreamingResponse:
    return StreamingResponse(
        csv_chunks(Transaction, csms.transactions.stream(where, sort), serializers.transaction),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="transactions.csv"'},
    )


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
