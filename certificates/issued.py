"""What binds an issued certificate: where its PDF lives, what its signature covers, and the check of both.

Plain values in and out (no database, no workflow): the caller reads the recorded row and passes its fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from certificates.signing import canonical_payload, key_id, verify
from certificates.storage import Storage, StorageKeyMissing

# Why a recorded certificate is not the one that was issued (said in logs, never to the public).
UNSIGNED = "unsigned"
UNKNOWN_KEY = "unknown_key"
BAD_SIGNATURE = "bad_signature"
FILE_MISSING = "file_missing"
FILE_CHANGED = "file_changed"


def storage_key(year: int, ward_code: str, code: str) -> str:
    """Where a certificate's PDF lives: one key per certificate, written once."""
    return f"certificates/{year}/{ward_code}/{code}.pdf"


def signed_payload(snapshot: Mapping[str, object], sha256: str) -> bytes:
    """What the Ed25519 signature covers: the printed facts and the PDF's hash."""
    return canonical_payload({**snapshot, "sha256": sha256})


def issued_problem(
    storage: Storage, *, key: str, snapshot: Mapping[str, object], sha256: str | None, signature: str | None,
    signing_key_id: str | None, public_keys: Iterable[bytes],
) -> str | None:
    """Return why a recorded certificate is not authentic, or None when it is.

    Authentic means: the signature verifies over `signed_payload(snapshot, sha256)` under one of the known public
    keys (the one named by `signing_key_id`), and the PDF stored under `key` has exactly that SHA-256.
    """
    if not (sha256 and signature and signing_key_id):
        return UNSIGNED
    keys = [pem for pem in public_keys if key_id(pem) == signing_key_id]
    if not keys:
        return UNKNOWN_KEY
    try:
        message = signed_payload(snapshot, sha256)
    except (TypeError, ValueError):  # a snapshot that cannot be the JSON that was signed
        return BAD_SIGNATURE
    if not any(verify(pem, message, signature) for pem in keys):
        return BAD_SIGNATURE
    try:
        pdf = storage.get(key)
    except StorageKeyMissing:
        return FILE_MISSING
    if hashlib.sha256(pdf).hexdigest() != sha256:
        return FILE_CHANGED
    return None
