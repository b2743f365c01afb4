"""`/charge-points/{id}/commands/{Action}`: any CSMS-initiated OCPP message, forwarded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse

from ampyre.api.dependencies import call_timeout, get_csms, sent_responses
from ampyre.ocpp.v16.validation import CSMS_INITIATED, get_validator
from ampyre.services.central_system import CentralSystem
from ampyre.services.errors import NotFound

router = APIRouter(tags=["commands"])


@router.post(
    "/charge-points/{charge_point_id}/commands/{action}",
    summary="Send a CSMS-initiated OCPP 1.6 message and return the charge point's answer",
    response_model=dict[str, Any],
    responses=sent_responses(
        "Not connected, or not allowed in its registration state",
        _200="The charge point's CALLRESULT payload, as it sent it",
        _404="Unknown charge point or action",
        _422="The body is not valid against the action's schema",
    ),
)
async def send_command(
    charge_point_id: str,
    action: str,
    payload: Any = Body(default=None, description="The OCPP request payload, unchanged"),
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> JSONResponse:
    if payload is None:
        payload = {}
    result = await csms.commands.send(charge_point_id, action, payload, timeout=timeout)
    headers = {}
    if result.remote_start_id is not None:
        headers["X-Remote-Start-Id"] = str(result.remote_start_id)
        headers["Location"] = f"/api/v1/remote-starts/{result.remote_start_id}"
    return JSONResponse(result.payload, headers=headers)


@router.get(
    "/commands/schemas",
    summary="The official OCPP 1.6 JSON schema of every CSMS-initiated request",
    description="Action -> the request schema the CSMS validates commands against (the "
    "`ocpp` package's files); the console builds its command forms from them.",
)
async def command_schemas() -> dict[str, Any]:
    validator = get_validator()
    return {action: validator.request_schema(action) for action in sorted(CSMS_INITIATED)}


@router.get(
    "/commands/schemas/{action}",
    summary="The official OCPP 1.6 JSON schema of one CSMS-initiated request",
    responses={404: {"description": "Not an action the CSMS sends"}},
)
async def command_schema(action: str) -> dict[str, Any]:
    if action not in CSMS_INITIATED:
        raise NotFound(f"No CSMS-initiated action {action!r}")
    return get_validator().request_schema(action)
