"""Files served to those who may see them: a certificate's stored PDF, a decision's ZIP and merged PDF."""

import json
import re
import unicodedata

from flask import Response

from certificates import StorageKeyMissing
from workflows import batches, privacy
from workflows.actors import Actor
from workflows.batches import BatchStatus
from workflows.clock import today
from workflows.errors import Conflict, NotFound
from workflows.models import Certificate, CertificateBatch, Decision
from workflows.vocabulary import CertificateStatus

from .database import db, engine
from .dispatch import unit_of_work
from .runtime import runtime

# Statuses whose certificate has a stored PDF (a revoked or superseded one stays downloadable for the record).
HAS_PDF = frozenset({CertificateStatus.ISSUED, CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED})


# Chromium shows a PDF through an internal <embed>, which the pages' `object-src 'none'` blocks (crbug 271452): a PDF
# opened in the browser gets a policy of its own, still refusing to be framed (nosniff comes with every answer).
INLINE_PDF_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'"}


def pdf_response(cert: Certificate, *, inline: bool = False) -> Response:
    """The stored PDF (opened in the browser to print it when `inline`, else downloaded), or 409 while it is still
    being produced."""
    if cert.storage_key is None or cert.status not in HAS_PDF:
        raise Conflict("not_issued_yet")
    try:
        data = runtime().storage.get(cert.storage_key)
    except StorageKeyMissing as exc:
        raise NotFound() from exc
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="giay-cong-nhan-{cert.code}.pdf"',
        "Cache-Control": "private, no-store"} | (INLINE_PDF_HEADERS if inline else {}))


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


BATCH_FILES = {"zip": "application/zip", "pdf": "application/pdf"}


def batch_download(actor: Actor, decision_id: str, kind: str) -> Response:
    """The decision's ZIP or merged PDF (ADR 31), read in the request's read-only session; when its listing has no
    ready batch, the batch is asked for in a short write transaction of its own (once: a row records it, and its task
    is sent after that commit), then 409 says it is being prepared."""
    found = batches.listing(db(), actor, decision_id)
    batch = found.batch
    if batch is None or batch.status != BatchStatus.READY:
        # The one write a GET makes (ADR 14 keeps the request's own session read-only): asking for the files.
        with unit_of_work(engine()) as session:
            _decision, batch = batches.request(session, actor, decision_id)
    return batch_response(batch, found.decision, kind)


def batch_response(batch: CertificateBatch, decision: Decision, kind: str) -> Response:
    """A decision's ZIP or merged PDF once its batch is ready (ADR 31); 409 while preparing or after it failed."""
    if batch.status == BatchStatus.FAILED:
        raise Conflict("batch_failed")
    if batch.status != BatchStatus.READY:
        raise Conflict("batch_preparing", count=batch.count)
    try:
        data = runtime().storage.get(batch.zip_key if kind == "zip" else batch.pdf_key)
    except StorageKeyMissing as exc:
        raise NotFound() from exc
    name = f"giay-cong-nhan-qd-{_slug(decision.number)}-{decision.number_year}.{kind}"
    return Response(data, mimetype=BATCH_FILES[kind], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


def _slug(text: str) -> str:
    """A decision number as a file name: "125/QĐ-UBND" → "125-qd-ubnd"."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-") or "quyet-dinh"


def personal_data_response(actor: Actor) -> Response:
    """Everything held about the citizen as a JSON file to keep (an attachment no cache keeps), read in the
    request's read-only session; the download is audited in a transaction of its own (ADR 41)."""
    document = privacy.export(db(), actor)
    with unit_of_work(engine()) as session:
        privacy.record_export(session, actor, document)
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="cdht-du-lieu-ca-nhan-{today().isoformat()}.json"',
        "Cache-Control": "no-store"})
