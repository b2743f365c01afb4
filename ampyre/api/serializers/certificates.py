"""Charge point certificates as the REST API shows them: what the CA issued, and the CA
certificates the charge point holds. Public material only: no key is ever among them."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ampyre.ocpp.v16.certificate_hash import serial_hex
from ampyre.services.clock import format_timestamp, now
from ampyre.storage.models import InstalledCertificate, IssuedCertificate


def issued_certificate(row: IssuedCertificate) -> dict[str, Any]:
    return {
        "serialNumber": row.serial_number,
        "subject": row.subject,
        "notBefore": format_timestamp(row.not_before),
        "notAfter": format_timestamp(row.not_after),
        "expired": row.not_after <= now(),
        "daysLeft": max(0, (row.not_after - now()).days),
        "issuedAt": format_timestamp(row.issued_at),
        "status": row.status,
        "answeredAt": format_timestamp(row.answered_at),
        "renewalRequestedAt": format_timestamp(row.renewal_requested_at),
        "certificate": row.certificate,
    }


def installed_certificate(row: InstalledCertificate) -> dict[str, Any]:
    return {
        "certificateType": row.certificate_type,
        "certificateHashData": {
            "hashAlgorithm": row.hash_algorithm,
            "issuerNameHash": row.issuer_name_hash,
            "issuerKeyHash": row.issuer_key_hash,
            "serialNumber": row.serial_number,
        },
        "source": row.source,
        "updatedAt": format_timestamp(row.updated_at),
    }


def ca_certificate(certificate: x509.Certificate) -> dict[str, Any]:
    return {
        "subject": certificate.subject.rfc4514_string(),
        "serialNumber": serial_hex(certificate.serial_number),
        "notBefore": format_timestamp(certificate.not_valid_before_utc),
        "notAfter": format_timestamp(certificate.not_valid_after_utc),
        "sha256Fingerprint": certificate.fingerprint(hashes.SHA256()).hex(),
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }
