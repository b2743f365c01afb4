"""Which signature a signed firmware update carries (security whitepaper L01).

Either the operator brings the signature made elsewhere (the manufacturer's signing
service) with its certificate, or Ampyre signs a hosted image with the key and
certificate it was started with. The key is read once at start from a file only its
owner may read; it is never shown, logged or stored anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ampyre.ocpp.v16 import firmware_signature
from ampyre.ocpp.v16.firmware_signature import SignatureFormatError, SigningKey
from ampyre.services.errors import Conflict, InvalidRequest


@dataclass(frozen=True, slots=True)
class FirmwareSignature:
    """What SignedUpdateFirmware.req carries besides the location."""

    #: Base64 of the signature over the image.
    signature: str
    #: PEM of the certificate whose key made it.
    signing_certificate: str


class FirmwareSigner:
    """Signs hosted images with the configured key (the digest stored at upload is signed)."""

    def __init__(self, key: SigningKey, certificate_pem: str) -> None:
        self._key = key
        self.certificate_pem = certificate_pem

    def __repr__(self) -> str:
        return "FirmwareSigner(key=<hidden>)"

    @classmethod
    def from_files(cls, key_path: Path, certificate_path: Path) -> FirmwareSigner:
        """Load key and certificate; ValueError (a start-up error, raised as early as
        `Settings` validation) when they are unusable."""
        if key_path.stat().st_mode & 0o077:
            raise ValueError(
                f"--firmware-signing-key {key_path}: the key file must be readable by its "
                "owner only (chmod 600)"
            )
        try:
            key = firmware_signature.load_signing_key(key_path.read_bytes())
        except (ValueError, TypeError) as exc:  # never echo the key's content
            raise ValueError(
                f"--firmware-signing-key {key_path}: not an unencrypted PEM RSA or EC key "
                f"({type(exc).__name__})"
            ) from None
        certificate = certificate_path.read_text()
        try:
            if not firmware_signature.matches(key, certificate):
                raise ValueError(
                    f"--firmware-signing-certificate {certificate_path} is not the "
                    "certificate of --firmware-signing-key"
                )
        except SignatureFormatError as exc:
            raise ValueError(f"--firmware-signing-certificate {certificate_path}: {exc}") from None
        return cls(key, certificate)

    def sign_digest(self, sha256_hex: str) -> FirmwareSignature:
        return FirmwareSignature(
            firmware_signature.sign_digest(self._key, bytes.fromhex(sha256_hex)),
            self.certificate_pem,
        )


def choose_signature(
    signer: FirmwareSigner | None,
    *,
    image_sha256: str | None,
    signature: str | None,
    signing_certificate: str | None,
) -> FirmwareSignature:
    """The operator's signature if given (checked for form only: the charge point is the
    one that verifies it), else Ampyre's own over the hosted image."""
    if signature is not None or signing_certificate is not None:
        if signature is None or signing_certificate is None:
            raise InvalidRequest("signature and signingCertificate go together")
        try:
            firmware_signature.decode_signature(signature)
            firmware_signature.load_certificate(signing_certificate)
        except SignatureFormatError as exc:
            raise InvalidRequest(f"signature/signingCertificate: {exc}") from None
        return FirmwareSignature(signature, signing_certificate)
    if signer is None:
        raise Conflict(
            "Firmware signing is not configured: start the server with "
            "--firmware-signing-key and --firmware-signing-certificate, or give the "
            "image's signature and signingCertificate"
        )
    if image_sha256 is None:
        raise InvalidRequest(
            "Ampyre signs only the images it hosts (firmwareId): for another location "
            "give signature and signingCertificate"
        )
    return signer.sign_digest(image_sha256)
