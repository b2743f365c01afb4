"""The CSMS certificate authority that signs charge point certificates (whitepaper A02/A03).

Three ways to sign, the first that is configured:

- an external CA (`--ca-sign-command`): the whitepaper's preference (A02.FR.04, "SHOULD
  NOT sign the certificate itself, but instead forwards the CSR to a dedicated certificate
  authority"); the command gets the CSR on stdin and answers with the chain on stdout;
- the operator's own CA key and certificate (`--ca-cert`, `--ca-key`);
- a CA Ampyre creates on first use in `--data-dir/ca/` (or with `ampyre ca init`): an EC
  P-256 key, owner-only (0600) in an owner-only directory, and a self-signed certificate.

The private key stays in this module: nothing returns it, and it is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ampyre.services.clock import now
from ampyre.services.errors import NotFound

log = logging.getLogger("ampyre.certificates")

CA_DIR = "ca"
CA_CERT_FILE = "ca-cert.pem"
CA_KEY_FILE = "ca-key.pem"
#: The validity of a CA Ampyre creates: it outlives many charge point certificates.
CA_VALIDITY = dt.timedelta(days=20 * 365)
#: Charge point clocks run a little behind; a certificate valid from "now" would be
#: refused by one that is a minute late (A02.FR.06 checks the validity period).
BACKDATE = dt.timedelta(minutes=5)
#: How long the external signing command may take.
SIGN_COMMAND_TIMEOUT = 30.0


class SigningFailed(Exception):
    """The CA could not sign (the external command failed, or answered nonsense)."""


@dataclass(frozen=True, slots=True)
class _Issuer:
    certificate: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes


class CertificateAuthority:
    def __init__(
        self,
        data_dir: str | Path,
        *,
        organization: str,
        validity_days: int,
        cert_path: str | Path | None = None,
        key_path: str | Path | None = None,
        sign_command: str | None = None,
    ) -> None:
        self.directory = Path(data_dir).expanduser().resolve() / CA_DIR
        self.organization = organization
        self.validity = dt.timedelta(days=validity_days)
        self.cert_path = Path(cert_path) if cert_path else self.directory / CA_CERT_FILE
        self.key_path = Path(key_path) if key_path else self.directory / CA_KEY_FILE
        self.operator_provided = cert_path is not None
        self.sign_command = sign_command
        self._issuer: _Issuer | None = None
        self._lock = asyncio.Lock()

    @property
    def external(self) -> bool:
        return self.sign_command is not None

    # -- the CA's own certificate ---------------------------------------------------------

    def init(self) -> tuple[x509.Certificate, bool]:
        """Load the CA, creating it first when Ampyre manages it and it does not exist;
        the CA certificate and whether it was created now."""
        created = False
        if not self.operator_provided and not self.cert_path.exists():
            created = self._create()
        self._issuer = self._load()
        return self._issuer.certificate, created

    async def certificate(self) -> x509.Certificate:
        """The CA certificate (public): the one that signs, or with an external CA the
        operator's --ca-cert; NotFound when an external CA signs and none is given."""
        if self.external and not self.operator_provided:
            raise NotFound(
                "Charge point certificates are signed by an external CA (--ca-sign-command); "
                "give its certificate with --ca-cert to publish it here"
            )
        if self.external:
            return x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        return (await self._ready()).certificate

    async def check(self) -> None:
        """Raise OSError or ValueError when this CA cannot sign (its files are missing,
        unreadable or do not match); an external CA is only known to fail when it does."""
        if not self.external:
            await self._ready()

    async def _ready(self) -> _Issuer:
        async with self._lock:
            if self._issuer is None:
                await asyncio.to_thread(self.init)
            assert self._issuer is not None
            return self._issuer

    def _create(self) -> bool:
        """Write a new key and self-signed certificate. Several processes of one server
        may start at once: each writes into its own directory and renames it into place;
        the first rename wins and the others use its CA. False when another won."""
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, f"{self.organization} Charge Point CA"[:64]
                ),
            ]
        )
        start = now() - BACKDATE
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        staging = Path(tempfile.mkdtemp(prefix=".ca-", dir=self.directory.parent))  # 0700
        try:
            key_file = os.open(staging / CA_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(key_file, "wb") as out:
                out.write(
                    key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
            (staging / CA_CERT_FILE).write_bytes(
                certificate.public_bytes(serialization.Encoding.PEM)
            )
            try:
                staging.rename(self.directory)
            except OSError:
                if self.directory.exists():
                    return False  # another process created it first
                raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        log.info("created the certificate authority in %s", self.directory)
        return True

    def _load(self) -> _Issuer:
        certificate = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ValueError(f"the CA key {self.key_path} is neither an EC nor an RSA key")
        if key.public_key() != certificate.public_key():
            raise ValueError(f"the CA key {self.key_path} does not belong to {self.cert_path}")
        return _Issuer(certificate, key)

    # -- signing ----------------------------------------------------------------------------

    async def sign(
        self, csr: x509.CertificateSigningRequest, charge_point_id: str
    ) -> list[x509.Certificate]:
        """The certificate chain for a validated CSR: the charge point's certificate first,
        then the CA certificate(s)."""
        if self.sign_command is not None:
            chain = await self._sign_externally(csr, charge_point_id, self.sign_command)
        else:
            issuer = await self._ready()
            chain = [self._sign_locally(csr, issuer), issuer.certificate]
        if chain[0].public_key() != csr.public_key():
            raise SigningFailed("the signed certificate does not carry the CSR's key")
        return chain

    def _sign_locally(
        self, csr: x509.CertificateSigningRequest, issuer: _Issuer
    ) -> x509.Certificate:
        start = now() - BACKDATE
        end = min(start + BACKDATE + self.validity, issuer.certificate.not_valid_after_utc)
        key = csr.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(key, rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=isinstance(key, ec.EllipticCurvePublicKey),
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            # The charge point authenticates to the CSMS with it (security profile 3).
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer.certificate.public_key()  # type: ignore[arg-type]
                ),
                False,
            )
        )
        if isinstance(issuer.key, rsa.RSAPrivateKey):
            # A00.FR.505: RSA-PSS or ECDSA for signing by the certificate authority.
            return builder.sign(
                issuer.key,
                hashes.SHA256(),
                rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH),
            )
        return builder.sign(issuer.key, hashes.SHA256())

    @staticmethod
    async def _sign_externally(
        csr: x509.CertificateSigningRequest, charge_point_id: str, command: str
    ) -> list[x509.Certificate]:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(command),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "AMPYRE_CHARGE_POINT_ID": charge_point_id},
        )
        try:
            async with asyncio.timeout(SIGN_COMMAND_TIMEOUT):
                out, err = await process.communicate(csr.public_bytes(serialization.Encoding.PEM))
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise SigningFailed(
                f"the CA sign command did not answer within {SIGN_COMMAND_TIMEOUT:g} s"
            ) from None
        if process.returncode != 0:
            reason = err.decode(errors="replace").strip().splitlines()
            raise SigningFailed(
                f"the CA sign command exited with {process.returncode}"
                + (f": {reason[-1][:200]}" if reason else "")
            )
        try:
            chain = x509.load_pem_x509_certificates(out)
        except ValueError as exc:
            raise SigningFailed(f"the CA sign command wrote no PEM certificates: {exc}") from None
        return chain


def chain_pem(chain: list[x509.Certificate]) -> str:
    """The chain as CertificateSigned carries it: PEM certificates, one after another."""
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
