"""What the firmware routers share: the update source, the upload target, error answers
and the base URL."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ampyre.api.dependencies import sent_responses
from ampyre.api.types import UTCTimestamp
from ampyre.services.central_system import CentralSystem
from ampyre.services.diagnostics_uploads import UploadTarget
from ampyre.services.firmware_signing import FirmwareSignature


def attempt_responses(conflict: str) -> dict[int | str, dict[str, Any]]:
    """The error answers of an endpoint that sends a request and records the attempt."""
    return sent_responses(
        conflict,
        callerror="The charge point answered CALLERROR (recorded as Rejected)",
        no_answer="No answer in time (recorded as Error)",
    )


class UpdateFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    firmwareId: int | None = Field(None, description="A hosted image (POST /firmware)")
    location: str | None = Field(
        None, min_length=1, max_length=2048, description="Or any URL the charge point can reach"
    )
    retrieveDate: UTCTimestamp | None = Field(None, description="Default: now")
    retries: int | None = Field(None, ge=0)
    retryInterval: int | None = Field(None, ge=0, description="Seconds")
    signed: bool = Field(
        False,
        description="Send SignedUpdateFirmware (security whitepaper L01): with `signature` "
        "and `signingCertificate`, or signed by this server (--firmware-signing-key) for a "
        "hosted image",
    )
    signature: str | None = Field(
        None, min_length=1, max_length=800, description="Base64 signature over the image"
    )
    signingCertificate: str | None = Field(
        None, min_length=1, max_length=5500, description="PEM certificate of the signing key"
    )

    @model_validator(mode="after")
    def _one_source(self) -> UpdateFields:
        if (self.firmwareId is None) == (self.location is None):
            raise ValueError("give either firmwareId or location")
        if not self.signed and (self.signature or self.signingCertificate):
            raise ValueError("signature and signingCertificate are for signed: true")
        return self


class UploadFields(BaseModel):
    """Where a charge point uploads a file it is asked for (GetDiagnostics, GetLog) and
    how often it tries."""

    model_config = ConfigDict(extra="forbid")

    transport: Literal["http", "ftp", "external"] = Field(
        "http", description="Upload to this server over HTTP or FTP, or to `location`"
    )
    location: str | None = Field(None, min_length=1, max_length=2048)
    retries: int | None = Field(None, ge=0)
    retryInterval: int | None = Field(None, ge=0)

    def target(self, request: Request) -> UploadTarget:
        """The upload target of this body, on this server's address."""
        return UploadTarget(
            self.transport, base_url(request), self.location, self.retries, self.retryInterval
        )


def base_url(request: Request) -> str:
    configured: str | None = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


async def location_of(
    request: Request, csms: CentralSystem, body: UpdateFields
) -> tuple[str, int | None]:
    """The location to send, and the hosted image it is, if it is one."""
    if body.firmwareId is None:
        assert body.location is not None
        return body.location, await csms.firmware.image_id_of(body.location)
    image = await csms.firmware.image(body.firmwareId)
    return csms.firmware.image_url(image, base_url(request)), image.id


async def signature_of(
    csms: CentralSystem, body: UpdateFields, firmware_id: int | None
) -> FirmwareSignature | None:
    """The signature of a signed update or rollout (None: unsigned)."""
    if not body.signed:
        return None
    return await csms.firmware.signature_for(
        firmware_id, signature=body.signature, signing_certificate=body.signingCertificate
    )
