"""The security whitepaper's pure rules: profile upgrades (A05) and firmware signatures (L01)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st

from ampyre.ocpp.v16 import firmware_signature
from ampyre.services.errors import Conflict, InvalidRequest
from ampyre.services.firmware_signing import FirmwareSigner, choose_signature
from ampyre.services.security_profiles import check_upgrade
from tests.certificates import make_signing_pair

profiles = st.integers(min_value=0, max_value=3)


@given(profiles, profiles, st.booleans())
def test_only_upgrades_are_allowed(current: int, requested: int, root_installed: bool) -> None:
    allowed = requested > current and (requested < 2 or root_installed)
    try:
        check_upgrade(current, requested, root_certificate_installed=root_installed)
    except Conflict as refused:
        assert not allowed
        if requested < current:
            assert "never be downgraded remotely" in refused.detail
    else:
        assert allowed


def test_profile_out_of_range() -> None:
    with pytest.raises(InvalidRequest):
        check_upgrade(0, 4, root_certificate_installed=True)


@pytest.fixture
def pair(tmp_path: Path) -> dict[str, Path]:
    return make_signing_pair(tmp_path)


def test_signatures_verify_with_the_certificate_only(pair: dict[str, Path], tmp_path: Path) -> None:
    signer = FirmwareSigner.from_files(pair["key"], pair["cert"])
    image = b"firmware image" * 1000
    signed = signer.sign_digest(hashlib.sha256(image).hexdigest())
    assert firmware_signature.verify(signed.signing_certificate, signed.signature, image)
    assert not firmware_signature.verify(signed.signing_certificate, signed.signature, image + b"!")
    other = make_signing_pair(tmp_path, "other")
    assert not firmware_signature.verify(other["cert"].read_text(), signed.signature, image)
    assert "PRIVATE" not in repr(signer)


def test_rsa_keys_sign_too() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    loaded = firmware_signature.load_signing_key(pem)
    data = b"image"
    signature = firmware_signature.sign(loaded, data)
    raw = base64.b64decode(signature)
    # RSASSA-PKCS1-v1_5 with SHA-256, as any verifier of "RSA-SHA256" expects.
    key.public_key().verify(raw, data, padding.PKCS1v15(), hashes.SHA256())


def test_a_certificate_of_another_key_is_refused_at_start(
    pair: dict[str, Path], tmp_path: Path
) -> None:
    other = make_signing_pair(tmp_path, "other")
    with pytest.raises(ValueError, match="is not the certificate"):
        FirmwareSigner.from_files(pair["key"], other["cert"])
    pair["cert"].chmod(0o600)
    with pytest.raises(ValueError, match="not an unencrypted PEM"):
        FirmwareSigner.from_files(pair["cert"], pair["cert"])
    pair["key"].chmod(0o640)
    with pytest.raises(ValueError, match="readable by its owner only"):
        FirmwareSigner.from_files(pair["key"], pair["cert"])


def test_choose_signature(pair: dict[str, Path]) -> None:
    signer = FirmwareSigner.from_files(pair["key"], pair["cert"])
    certificate = pair["cert"].read_text()
    given_signature = choose_signature(
        None, image_sha256=None, signature="AAAA", signing_certificate=certificate
    )
    assert given_signature.signature == "AAAA"
    with pytest.raises(InvalidRequest, match="go together"):
        choose_signature(signer, image_sha256=None, signature="AAAA", signing_certificate=None)
    with pytest.raises(InvalidRequest, match="base64"):
        choose_signature(signer, image_sha256=None, signature="$$", signing_certificate=certificate)
    with pytest.raises(InvalidRequest, match="PEM certificate"):
        choose_signature(signer, image_sha256=None, signature="AAAA", signing_certificate="x")
    with pytest.raises(Conflict, match="not configured"):
        choose_signature(None, image_sha256="00" * 32, signature=None, signing_certificate=None)
    with pytest.raises(InvalidRequest, match="hosts"):
        choose_signature(signer, image_sha256=None, signature=None, signing_certificate=None)
    own = choose_signature(signer, image_sha256="ab" * 32, signature=None, signing_certificate=None)
    assert own.signing_certificate == certificate
