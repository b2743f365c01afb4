"""Firmware signatures of SignedUpdateFirmware (security whitepaper L01, A00.FR.506).

One definition of the signature shared by the CSMS, which signs hosted images, and the
simulated charge point, which verifies what it downloaded: SHA-256 over the whole image,
signed with RSASSA-PKCS1-v1_5 for an RSA key or ECDSA for an EC key, carried in the
request as base64 next to the signing certificate (PEM).
"""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

#: A private key Ampyre can sign firmware with.
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SignatureFormatError(ValueError):
    """A signature or certificate that cannot even be read."""


def load_signing_key(pem: bytes) -> SigningKey:
    """The private key of a PEM file; RSA and EC keys only (the whitepaper's two)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SignatureFormatError("the firmware signing key must be an RSA or EC key")
    return key


def load_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise SignatureFormatError(f"not a PEM certificate: {exc}") from None


def sign(key: SigningKey, data: bytes) -> str:
    """The base64 signature of `data` as SignedUpdateFirmware.req carries it."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return sign_digest(key, digest.finalize())


def sign_digest(key: SigningKey, sha256: bytes) -> str:
    """`sign` of an image whose SHA-256 is known (a hosted image's is, from its upload)."""
    algorithm = Prehashed(hashes.SHA256())
    if isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(sha256, padding.PKCS1v15(), algorithm)
    else:
        raw = key.sign(sha256, ec.ECDSA(algorithm))
    return base64.b64encode(raw).decode()


def decode_signature(signature: str) -> bytes:
    try:
        return base64.b64decode(signature, validate=True)
    except ValueError:  # binascii.Error, or characters outside ASCII
        raise SignatureFormatError("the signature is not base64") from None


def verify(certificate_pem: str, signature: str, data: bytes) -> bool:
    """Whether `signature` over `data` was made by the key of `certificate_pem`."""
    public_key = load_certificate(certificate_pem).public_key()
    raw = decode_signature(signature)
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(raw, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def matches(key: SigningKey, certificate_pem: str) -> bool:
    """Whether the certificate is the key's (a signature it made would verify)."""
    public = load_certificate(certificate_pem).public_key()
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return bool(public.public_bytes(enc, fmt) == key.public_key().public_bytes(enc, fmt))
