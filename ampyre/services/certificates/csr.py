"""Whether a charge point's certificate signing request may be signed (pure rules).

Security whitepaper: the CSR is PEM (A02.FR.03, RFC 2986); its subject names the charge
point in CN (A00.FR.511) and the operator in O, the CpoName the charge point was given
(A02.FR.13); its key gives at least 112 bits of security (A00.FR.501-503: RSA/DSA of
2048 bits or more, elliptic curves of 224 bits or more; Ampyre takes the NIST curves
P-256, P-384 and P-521 that TLS stacks verify). A CSR whose signature does not verify
was not made by the holder of the key, so it is refused too.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

MIN_RSA_BITS = 2048
ALLOWED_CURVES: tuple[type[ec.EllipticCurve], ...] = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


class CsrRejected(ValueError):
    """The CSR breaks a rule; the message says which, for the event log."""


@dataclass(frozen=True, slots=True)
class CsrRules:
    """What the CSMS requires of a charge point's CSR."""

    #: The O of the subject: the operator's organisation (the charge point's CpoName).
    organization: str


def _single(name: x509.Name, oid: x509.ObjectIdentifier, label: str) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1:
        raise CsrRejected(f"the subject must have exactly one {label}, it has {len(values)}")
    value = values[0].value
    return value if isinstance(value, str) else value.decode(errors="replace")


def check_key(key: object) -> None:
    """A00.FR.501-503: the key's strength."""
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CsrRejected(
                f"{'RSA' if isinstance(key, rsa.RSAPublicKey) else 'DSA'} key of "
                f"{key.key_size} bits: at least {MIN_RSA_BITS} are required"
            )
        return
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ALLOWED_CURVES):
            raise CsrRejected(
                f"elliptic curve {key.curve.name}: use P-256, P-384 or P-521 (secp256r1...)"
            )
        return
    raise CsrRejected(f"unsupported key type {type(key).__name__}")


def validate_csr(pem: str, identity: str, rules: CsrRules) -> x509.CertificateSigningRequest:
    """The parsed CSR of charge point `identity`, or CsrRejected saying what is wrong."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError as exc:
        raise CsrRejected(f"not a PEM certificate signing request: {exc}") from None
    try:
        signature_valid = csr.is_signature_valid
        key = csr.public_key()
    except Exception as exc:  # unknown algorithms surface only here
        raise CsrRejected(f"unusable key or signature: {exc}") from None
    if not signature_valid:
        raise CsrRejected("the CSR's signature does not verify with its own key")
    check_key(key)
    common_name = _single(csr.subject, NameOID.COMMON_NAME, "CN (commonName)")
    if common_name != identity:
        raise CsrRejected(
            f"CN {common_name!r} is not the charge point's identity {identity!r} (A00.FR.511)"
        )
    organization = _single(csr.subject, NameOID.ORGANIZATION_NAME, "O (organizationName)")
    if organization != rules.organization:
        raise CsrRejected(
            f"O {organization!r} is not the operator's organisation {rules.organization!r} "
            "(A02.FR.13: the charge point's CpoName)"
        )
    return csr
