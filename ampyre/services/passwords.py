"""Charge point passwords (security profiles 1 and 2), stored as Argon2id hashes."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Argon2 is slow on purpose; charge points reconnect often with the same password, so a
# successful check is remembered (as a digest bound to the stored hash) per process.
_verified: dict[str, str] = {}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    digest = hashlib.sha256(f"{password_hash}\0{password}".encode()).hexdigest()
    if _verified.get(password_hash) == digest:
        return True
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if len(_verified) > 100_000:
        _verified.clear()
    _verified[password_hash] = digest
    return True
