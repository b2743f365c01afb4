"""The simulated charge point's certificates (security whitepaper A02/A03, M03-M05).

Its own key pair and certificate: a new key and CSR on each request (A02.FR.02/03; the
key never leaves this object, A02.FR.05), switched to once the CSMS's CertificateSigned
brings a chain that holds (A02.FR.06). And the CA certificates installed on it, by type,
named by their hash data.
"""

from __future__ import annotations

import itertools
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ampyre.ocpp.v16.certificate_hash import HASH_ALGORITHMS, HashAlgorithm, certificate_hash_data


@dataclass(slots=True)
class CertificateStore:
    #: The charge point's certificate chain in use (its own first), once it has one.
    chain: list[x509.Certificate] = field(default_factory=list)
    #: CertificateUseEnumType -> the CA certificates installed of that type.
    installed: dict[str, list[x509.Certificate]] = field(default_factory=dict)
    _key: ec.EllipticCurvePrivateKey | None = None
    _pending_key: ec.EllipticCurvePrivateKey | None = None

    @property
    def certificate(self) -> x509.Certificate | None:
        return self.chain[0] if self.chain else None

    def new_csr(self, common_name: str, organization: str) -> str:
        """A new key pair, kept aside until its certificate comes, and its CSR (PEM)."""
        key = ec.generate_private_key(ec.SECP256R1())
        self._pending_key = key
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        csr = (
            x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        )
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    def take_chain(self, pem: str, *, at: datetime | None = None) -> str | None:
        """Switch to the chain if it holds; otherwise why not (the chain is discarded,
        A02.FR.07)."""
        try:
            chain = x509.load_pem_x509_certificates(pem.encode())
        except ValueError:
            return "not a PEM certificate chain"
        leaf = chain[0]
        if self._pending_key is None:
            return "no certificate signing request is outstanding"
        if leaf.public_key() != self._pending_key.public_key():
            return "the certificate does not carry the key of the last CSR"
        moment = at or datetime.now(UTC)
        if not leaf.not_valid_before_utc <= moment <= leaf.not_valid_after_utc:
            return "the certificate is not valid now"
        for certificate, issuer in itertools.pairwise(chain):
            try:
                certificate.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature) as exc:
                return f"the chain does not hold: {exc or type(exc).__name__}"
        self._key, self._pending_key = self._pending_key, None
        self.chain = chain
        return None

    def client_context(self, trusted: ssl.SSLContext) -> ssl.SSLContext:
        """A TLS client context that trusts what `trusted` trusts (its CA files) and
        presents the charge point's certificate (security profile 3, A02.FR.08).

        A new context rather than `trusted` itself: a fleet's charge points share theirs.
        """
        if self._key is None:
            raise ValueError("the charge point has no certificate yet")
        context = ssl.create_default_context()
        context.check_hostname = trusted.check_hostname
        context.verify_mode = trusted.verify_mode
        for der in trusted.get_ca_certs(binary_form=True):
            context.load_verify_locations(cadata=der)
        # load_cert_chain reads files only: an owner-only directory, gone once loaded.
        with tempfile.TemporaryDirectory() as directory:
            key_file = Path(directory) / "key.pem"
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(
                    self._key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
            chain_file = Path(directory) / "chain.pem"
            chain_file.write_bytes(
                b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)
            )
            context.load_cert_chain(chain_file, key_file)
        return context

    def install(self, certificate_type: str, pem: str) -> bool:
        try:
            certificate = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            return False
        held = self.installed.setdefault(certificate_type, [])
        if certificate not in held:
            held.append(certificate)
        return True

    def hash_data(self, certificate_type: str) -> list[dict[str, str]]:
        return [_hash_data(c, self._all()) for c in self.installed.get(certificate_type, [])]

    def delete(self, hash_data: dict[str, str]) -> bool:
        """Remove the installed CA certificate named by `hash_data`; whether one was."""
        algorithm = hash_data["hashAlgorithm"]
        if algorithm not in HASH_ALGORITHMS:
            return False
        everything = self._all()
        for held in self.installed.values():
            for certificate in held:
                if _hash_data(certificate, everything, algorithm) == hash_data:
                    held.remove(certificate)
                    return True
        return False

    def _all(self) -> list[x509.Certificate]:
        return [c for held in self.installed.values() for c in held]


def _hash_data(
    certificate: x509.Certificate, known: list[x509.Certificate], algorithm: str = "SHA256"
) -> dict[str, str]:
    assert algorithm in HASH_ALGORITHMS
    issuer = next(
        (c for c in known if c.subject == certificate.issuer and c is not certificate), None
    )
    if certificate.issuer == certificate.subject:
        issuer = None
    elif issuer is None:
        issuer = certificate  # its issuer is not installed: the best the charge point can say
    return certificate_hash_data(certificate, issuer, cast(HashAlgorithm, algorithm))
