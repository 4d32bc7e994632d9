"""Files served to those who may see them: a certificate's stored PDF."""

from flask import Response

from certificates import StorageKeyMissing
from workflows.errors import Conflict, NotFound
from workflows.models import Certificate, Decision
from workflows.vocabulary import CertificateStatus

from .runtime import runtime

# Statuses whose certificate has a stored PDF (a revoked or superseded one stays downloadable for the record).
HAS_PDF = frozenset({CertificateStatus.ISSUED, CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED})


def pdf_response(cert: Certificate) -> Response:
    """The stored PDF, or 409 while it is still being produced."""
    if cert.storage_key is None or cert.status not in HAS_PDF:
        raise Conflict("not_issued_yet")
    try:
        data = runtime().storage.get(cert.storage_key)
    except StorageKeyMissing as exc:
        raise NotFound() from exc
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="giay-cong-nhan-{cert.code}.pdf"',
        "Cache-Control": "private, no-store"})


def decision_pdf_response(decision: Decision) -> Response:
    """A decision's stored document (the caller checked it is issued and the actor may see it)."""
    try:
        data = runtime().storage.get(decision.document_key or "")
    except (StorageKeyMissing, ValueError) as exc:
        raise NotFound() from exc
    number = decision.number.split("/", 1)[0]
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="quyet-dinh-{number}-{decision.number_year}.pdf"',
        "Cache-Control": "private, no-store"})
