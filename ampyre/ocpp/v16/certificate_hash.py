"""CertificateHashDataType of the OCPP 1.6 security extension (whitepaper M03-M05).

A certificate is named between the CSMS and a charge point the way OCSP names one (RFC
6960, CertID): the hash of its issuer's distinguished name, the hash of its issuer's
public key and its serial number. Both sides compute it here, with cryptography's own
OCSP CertID, so the CSMS's record of an installed certificate and the charge point's
report of it are the same object.
"""

from __future__ import annotations

from typing import Literal, get_args

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp

HashAlgorithm = Literal["SHA256", "SHA384", "SHA512"]
HASH_ALGORITHMS: tuple[str, ...] = get_args(HashAlgorithm)

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "SHA256": hashes.SHA256(),
    "SHA384": hashes.SHA384(),
    "SHA512": hashes.SHA512(),
}


def serial_hex(serial_number: int) -> str:
    """A serial number as the whitepaper writes it: hexadecimal, without "0x" and without
    leading zeroes."""
    return format(serial_number, "x")


def certificate_hash_data(
    certificate: x509.Certificate,
    issuer: x509.Certificate | None = None,
    hash_algorithm: HashAlgorithm = "SHA256",
) -> dict[str, str]:
    """The CertificateHashDataType object of `certificate` (camelCase, as on the wire).

    `issuer`: the certificate that signed it; a self-signed (root) certificate is its own
    issuer. A certificate signed by another needs that other's: ValueError without it.
    """
    if issuer is None:
        if certificate.issuer != certificate.subject:
            raise ValueError("the issuer's certificate is needed for a certificate it signed")
        issuer = certificate
    cert_id = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer, _HASHES[hash_algorithm])
        .build()
    )
    return {
        "hashAlgorithm": hash_algorithm,
        "issuerNameHash": cert_id.issuer_name_hash.hex(),
        "issuerKeyHash": cert_id.issuer_key_hash.hex(),
        "serialNumber": serial_hex(certificate.serial_number),
    }
