"""Charge point certificates (security whitepaper A02/A03, M03-M05) and the CSMS's CA.

Reads for every role; the commands that change what a charge point holds are for admins.
Only public material is shown: the CA's private key never leaves its file.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from ampyre.api.dependencies import Page, call_timeout, get_csms, sent_responses
from ampyre.api.serializers import certificates as serialize
from ampyre.services.central_system import CentralSystem
from ampyre.services.certificates.service import CERTIFICATE_TYPES, CertificateType

router = APIRouter(tags=["certificates"])

_NOT_CONNECTED = "The charge point is not connected, or not Accepted; nothing sent"


class InstallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificateType: CertificateType
    certificate: str = Field(
        min_length=1, max_length=5500, description="The CA certificate, PEM encoded"
    )


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificateType: CertificateType | None = Field(
        None, description="Ask for this type only; default: both"
    )


@router.get(
    "/ca",
    summary="The CA certificate that signs charge point certificates (public part only)",
    responses={404: {"description": "An external CA signs, and no --ca-cert was given"}},
)
async def ca(csms: CentralSystem = Depends(get_csms)) -> dict[str, Any]:
    return serialize.ca_certificate(await csms.certificates.authority.certificate())


@router.get(
    "/charge-points/{charge_point_id}/certificates",
    summary="Certificates issued to the charge point (newest first) and the CA "
    "certificates it holds",
)
async def list_certificates(
    charge_point_id: str, page: Page = Depends(), csms: CentralSystem = Depends(get_csms)
) -> dict[str, Any]:
    rows, total = await csms.certificates.issued(
        charge_point_id, limit=page.limit, offset=page.offset
    )
    return {
        "items": [serialize.issued_certificate(row) for row in rows],
        "total": total,
        "installed": await _installed(csms, charge_point_id),
    }


@router.post(
    "/charge-points/{charge_point_id}/certificates/renew",
    summary="Ask the charge point for a new key and CSR "
    "(ExtendedTriggerMessage SignChargePointCertificate)",
    responses=sent_responses(_NOT_CONNECTED),
)
async def renew(
    charge_point_id: str,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    return await csms.certificates.renew(charge_point_id, timeout=timeout)


@router.post(
    "/charge-points/{charge_point_id}/certificates/install",
    summary="Install a CA certificate on the charge point (InstallCertificate)",
    responses=sent_responses(_NOT_CONNECTED, _422="Not a PEM certificate; nothing sent"),
)
async def install(
    charge_point_id: str,
    body: InstallBody,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    return await csms.certificates.install(
        charge_point_id, body.certificateType, body.certificate, timeout=timeout
    )


@router.post(
    "/charge-points/{charge_point_id}/certificates/refresh",
    summary="Ask the charge point which CA certificates it holds (GetInstalledCertificateIds) "
    "and record them",
    responses=sent_responses(_NOT_CONNECTED),
)
async def refresh(
    charge_point_id: str,
    body: RefreshBody | None = None,
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    certificate_type = body.certificateType if body is not None else None
    types: list[str] = [certificate_type] if certificate_type else list(CERTIFICATE_TYPES)
    answers = await csms.certificates.refresh(charge_point_id, types, timeout=timeout)
    return {"answers": answers, "installed": await _installed(csms, charge_point_id)}


@router.delete(
    "/charge-points/{charge_point_id}/certificates/installed/{key}",
    summary="Delete an installed CA certificate (DeleteCertificate), named by its serial "
    "number or issuer key hash as last reported",
    responses=sent_responses(
        "Not connected, or several installed certificates match; nothing sent",
        _404="Unknown charge point, or no such installed certificate known (refresh first)",
    ),
)
async def delete_installed(
    charge_point_id: str,
    key: str = Path(max_length=128),
    timeout: float = Depends(call_timeout),
    csms: CentralSystem = Depends(get_csms),
) -> dict[str, Any]:
    return await csms.certificates.delete_installed(charge_point_id, key, timeout=timeout)


async def _installed(csms: CentralSystem, charge_point_id: str) -> list[dict[str, Any]]:
    """The CA certificates the charge point holds, as it last reported them."""
    return [
        serialize.installed_certificate(row)
        for row in await csms.certificates.installed(charge_point_id)
    ]
