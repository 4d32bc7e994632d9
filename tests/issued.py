"""Issuing a certificate the way the render task does, with a stand-in PDF and a key of the tests' own."""

from sqlmodel import Session

from certificates import (
    FileStorage,
    generate_private_key_pem,
    key_id,
    public_key_pem,
    sign,
    signed_payload,
    storage_key,
)
from workflows import issuance
from workflows.models import Certificate

PRIVATE_KEY = generate_private_key_pem()
PUBLIC_KEY = public_key_pem(PRIVATE_KEY)


def issue_signed(session: Session, cert: Certificate, storage: FileStorage) -> None:
    """What the render task does, with a stand-in PDF: store it, sign snapshot + hash, complete; commit."""
    claimed = issuance.claim(session, cert.id)
    assert claimed is not None
    key = storage_key(cert.year, cert.ward_code, cert.code)
    sha256 = storage.put(key, b"%PDF-1.7 stand-in for " + cert.code.encode())
    issuance.complete(session, cert, claimed_version=claimed.version, storage_key=key, sha256=sha256,
                      signature=sign(PRIVATE_KEY, signed_payload(cert.snapshot, sha256)), key_id=key_id(PUBLIC_KEY))
    session.commit()
