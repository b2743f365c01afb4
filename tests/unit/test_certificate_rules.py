"""The rules of charge point certificates: CSR validation, the CA's files and signatures,
certificate hash data, and the simulated charge point's certificate store."""

from __future__ import annotations

import hashlib
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ampyre.ocpp.v16.certificate_hash import certificate_hash_data
from ampyre.services.certificates.authority import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    CertificateAuthority,
    SigningFailed,
    chain_pem,
)
from ampyre.services.certificates.csr import CsrRejected, CsrRules, validate_csr
from ampyre.simulator.certificates import CertificateStore

RULES = CsrRules(organization="ACME CPO")


def make_csr(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    *,
    cn: str | None = "CP-1",
    o: str | None = "ACME CPO",
) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    attributes = []
    if o is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if cn is not None:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def tampered(pem: str) -> str:
    """The CSR with the last byte of its signature changed."""
    der = bytearray(x509.load_pem_x509_csr(pem.encode()).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()


# -- CSR rules -------------------------------------------------------------------------------


def test_a_good_csr_passes() -> None:
    assert validate_csr(make_csr(), "CP-1", RULES).subject.rfc4514_string() == "CN=CP-1,O=ACME CPO"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    validate_csr(make_csr(rsa_key), "CP-1", RULES)
    validate_csr(make_csr(ec.generate_private_key(ec.SECP384R1())), "CP-1", RULES)


@pytest.mark.parametrize(
    ("csr", "reason"),
    [
        (lambda: make_csr(cn="CP-2"), "CN 'CP-2' is not the charge point's identity"),
        (lambda: make_csr(cn=None), "exactly one CN"),
        (lambda: make_csr(o="Other CPO"), "O 'Other CPO' is not the operator's organisation"),
        (lambda: make_csr(o=None), "exactly one O"),
        (
            lambda: make_csr(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
            "RSA key of 1024 bits",
        ),
        (lambda: make_csr(ec.generate_private_key(ec.SECP256K1())), "elliptic curve secp256k1"),
        (
            lambda: tampered(
                make_csr(rsa.generate_private_key(public_exponent=65537, key_size=2048))
            ),
            "signature does not verify",
        ),
        (lambda: "-----BEGIN CERTIFICATE REQUEST-----", "not a PEM certificate signing request"),
        (lambda: "hello", "not a PEM certificate signing request"),
    ],
)
def test_a_bad_csr_is_rejected_saying_why(csr, reason: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CsrRejected, match=reason):
        validate_csr(csr(), "CP-1", RULES)


# -- the certificate authority -----------------------------------------------------------------


def authority(tmp_path: Path, **options: object) -> CertificateAuthority:
    return CertificateAuthority(
        tmp_path,
        organization="ACME CPO",
        validity_days=30,
        **options,  # type: ignore[arg-type]
    )


async def test_the_ca_is_created_once_with_an_owner_only_key(tmp_path: Path) -> None:
    ca = authority(tmp_path)
    certificate, created = ca.init()
    assert created
    key_file = tmp_path / "ca" / CA_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca").stat().st_mode) == 0o700
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "ACME CPO"
    )
    # Another process (or a restart) uses the same CA.
    again, created_again = authority(tmp_path).init()
    assert not created_again and again == certificate
    assert await authority(tmp_path).certificate() == certificate


async def test_the_ca_signs_a_chain_the_charge_point_can_verify(tmp_path: Path) -> None:
    ca = authority(tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = validate_csr(make_csr(key), "CP-1", RULES)
    leaf, root = await ca.sign(csr, "CP-1")
    assert leaf.public_key() == key.public_key()
    assert leaf.subject == csr.subject and leaf.issuer == root.subject
    leaf.verify_directly_issued_by(root)
    lifetime = leaf.not_valid_after_utc - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert chain_pem([leaf, root]).count("BEGIN CERTIFICATE") == 2


async def test_an_operator_rsa_ca_signs_with_rsa_pss(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Operator CA")])
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "op-ca.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "op-ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ca = authority(
        tmp_path / "data", cert_path=tmp_path / "op-ca.pem", key_path=tmp_path / "op-ca.key"
    )
    leaf, root = await ca.sign(validate_csr(make_csr(), "CP-1", RULES), "CP-1")
    assert root == certificate
    leaf.verify_directly_issued_by(root)
    assert leaf.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSASSA_PSS
    # Never past the CA's own end.
    assert leaf.not_valid_after_utc == certificate.not_valid_after_utc
    assert not (tmp_path / "data" / "ca").exists()


async def test_an_external_ca_command_signs(tmp_path: Path) -> None:
    # The "external CA" is Ampyre's own CA in another directory, behind a command.
    signer = tmp_path / "signer.py"
    signer.write_text(
        "import asyncio, os, sys\n"
        "from cryptography import x509\n"
        "from ampyre.services.certificates.authority import CertificateAuthority, chain_pem\n"
        "csr = x509.load_pem_x509_csr(sys.stdin.buffer.read())\n"
        f"ca = CertificateAuthority({str(tmp_path / 'external')!r}, organization='X', "
        "validity_days=5)\n"
        "chain = asyncio.run(ca.sign(csr, os.environ['AMPYRE_CHARGE_POINT_ID']))\n"
        "sys.stdout.write(chain_pem(chain))\n"
    )
    ca = authority(tmp_path, sign_command=f"{sys.executable} {signer}")
    leaf, root = await ca.sign(validate_csr(make_csr(), "CP-1", RULES), "CP-1")
    leaf.verify_directly_issued_by(root)
    assert not (tmp_path / "ca").exists()  # Ampyre made no CA of its own
    failing = authority(tmp_path, sign_command=f"{sys.executable} -c 'import sys; sys.exit(3)'")
    with pytest.raises(SigningFailed, match="exited with 3"):
        await failing.sign(validate_csr(make_csr(), "CP-1", RULES), "CP-1")


# -- hash data and the simulated charge point's store ----------------------------------------


def test_hash_data_of_a_root_certificate(tmp_path: Path) -> None:
    root, _ = authority(tmp_path).init()
    data = certificate_hash_data(root)
    assert data["hashAlgorithm"] == "SHA256"
    assert data["issuerNameHash"] == hashlib.sha256(root.issuer.public_bytes()).hexdigest()
    assert data["serialNumber"] == format(root.serial_number, "x")
    assert len(data["issuerKeyHash"]) == 64
    assert certificate_hash_data(root, hash_algorithm="SHA384")["hashAlgorithm"] == "SHA384"


async def test_the_simulated_store_takes_only_a_chain_for_its_key(tmp_path: Path) -> None:
    ca = authority(tmp_path)
    store = CertificateStore()
    pem = store.new_csr("CP-1", "ACME CPO")
    chain = await ca.sign(validate_csr(pem, "CP-1", RULES), "CP-1")
    other = CertificateStore()
    other.new_csr("CP-1", "ACME CPO")
    assert other.take_chain(chain_pem(chain)) == (
        "the certificate does not carry the key of the last CSR"
    )
    assert store.take_chain(chain_pem(chain)) is None
    assert store.certificate == chain[0]

    root = chain[1]
    assert store.install("CentralSystemRootCertificate", chain_pem([root]))
    assert store.hash_data("CentralSystemRootCertificate") == [certificate_hash_data(root)]
    assert store.hash_data("ManufacturerRootCertificate") == []
    assert store.delete(certificate_hash_data(root))
    assert not store.delete(certificate_hash_data(root))
    assert not store.install("CentralSystemRootCertificate", "nonsense")


def test_ca_files_are_named_for_operators(tmp_path: Path) -> None:
    authority(tmp_path).init()
    assert sorted(p.name for p in (tmp_path / "ca").iterdir()) == [CA_CERT_FILE, CA_KEY_FILE]


def test_ampyre_ca_init_creates_the_ca_once(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ampyre.cli import main

    data_dir = str(tmp_path / "data")
    args = ["ca", "init", "--data-dir", data_dir, "--ca-organization", "ACME CPO"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Created CA") and "O=ACME CPO" in first.output
    second = CliRunner().invoke(main, args)
    assert second.output.startswith("Existing CA")
    assert "PRIVATE KEY" not in first.output + second.output
    fingerprint = [line for line in first.output.splitlines() if "SHA-256" in line]
    assert fingerprint and fingerprint[0] in second.output


def test_the_renewal_window_is_shorter_than_a_certificates_life() -> None:
    from pydantic import ValidationError

    from ampyre.config import Settings

    with pytest.raises(ValidationError, match="fewer than --certificate-validity-days"):
        Settings(certificate_validity_days=30, certificate_renew_days=30)
    with pytest.raises(ValidationError, match="--ca-cert and --ca-key go together"):
        Settings(ca_cert=__file__)


def test_broken_operator_ca_files_are_refused_at_start_and_at_signing(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from ampyre.config import Settings

    authority(tmp_path / "one").init()
    authority(tmp_path / "two").init()
    cert = tmp_path / "one" / "ca" / CA_CERT_FILE
    with pytest.raises(ValidationError, match="--ca-key is not the key of --ca-cert"):
        Settings(ca_cert=cert, ca_key=tmp_path / "two" / "ca" / CA_KEY_FILE)
    with pytest.raises(ValidationError, match="not a PEM certificate"):
        Settings(ca_cert=__file__, ca_key=tmp_path / "two" / "ca" / CA_KEY_FILE)
    assert Settings(ca_cert=cert, ca_key=tmp_path / "one" / "ca" / CA_KEY_FILE).ca_cert == cert


async def test_a_ca_that_cannot_sign_says_so_before_accepting(tmp_path: Path) -> None:
    missing = authority(tmp_path, cert_path=tmp_path / "no.pem", key_path=tmp_path / "no.key")
    with pytest.raises(OSError):
        await missing.check()
    await authority(tmp_path).check()  # Ampyre's own: created on first use
