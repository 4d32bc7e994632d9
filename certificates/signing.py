"""Ed25519 signatures over a canonical payload, so a certificate can be checked offline."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# An Ed25519 signature is 64 bytes: 86 base64url characters without padding.
_SIGNATURE_RE = re.compile(r"[A-Za-z0-9_-]{86}")


def canonical_payload(payload: Mapping[str, object]) -> bytes:
    """Return the one byte string that is signed for a payload (sorted compact UTF-8 JSON)."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _private_key(private_key_pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def _public_key(public_key_pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def generate_private_key_pem() -> bytes:
    """Return a new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(private_key_pem: bytes) -> bytes:
    """Return the SubjectPublicKeyInfo PEM of a private key."""
    return (
        _private_key(private_key_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def key_id(public_key_pem: bytes) -> str:
    """Return a short identifier of a public key (first 16 hex digits of SHA-256 of the raw key)."""
    # Hash the raw 32 key bytes, not the PEM text, so that line endings or headers do not change the id.
    raw = _public_key(public_key_pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(private_key_pem: bytes, message: bytes) -> str:
    """Return the Ed25519 signature of a message as unpadded base64url."""
    signature = _private_key(private_key_pem).sign(message)
    return base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii")


def verify(public_key_pem: bytes, message: bytes, signature: str) -> bool:
    """Return whether a base64url signature is valid for the message under the public key."""
    key = _public_key(public_key_pem)
    # b64decode silently drops characters outside the alphabet: check the exact shape first.
    if not _SIGNATURE_RE.fullmatch(signature.rstrip("=")):
        return False
    try:
        raw = base64.urlsafe_b64decode(signature.rstrip("=") + "==")
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(raw, message)
    except InvalidSignature:
        return False
    return True
