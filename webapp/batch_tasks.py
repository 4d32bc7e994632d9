"""The batch task (ADR 31): a decision's issued PDFs as one ZIP and one merged PDF, stored write-once.

Kept apart from the render task (webapp/tasks.py). pikepdf merges the PDFs; nothing here renders, and the web tier
only reads the stored files."""

import hashlib
import logging

from celery import shared_task

from certificates import Storage, StorageConflict
from certificates.batch import merged_pdf, zip_of
from workflows import batches
from workflows.db import session_scope

from .dispatch import unit_of_work
from .runtime import runtime

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
RETRY_DELAYS = (10, 60, 300, 1200)  # after attempts 1–4; the fifth failure marks the batch failed


@shared_task(name="cdht.prepare_batch", acks_late=True)
def prepare_batch(batch_id: str) -> str:
    """Claim, read the certificates' stored PDFs, write the ZIP and the merged PDF, mark ready; safe to run twice."""
    rt = runtime()
    with session_scope(rt.engine) as session:
        claimed = batches.claim(session, batch_id)
    if claimed is None:
        return "skipped"
    try:
        pdfs = [_checked(rt.storage, key, sha256) for _number, key, sha256 in claimed.files]
        # Deterministic bytes: a second run (a lost ack) finds the same files already stored.
        if not rt.storage.exists(claimed.zip_key):
            _put(rt.storage, claimed.zip_key, zip_of([(f"{number}.pdf", pdf) for (number, _k, _s), pdf
                                                      in zip(claimed.files, pdfs, strict=True)],
                                                     claimed.decision.signed_on))
        if not rt.storage.exists(claimed.pdf_key):
            _put(rt.storage, claimed.pdf_key, merged_pdf(pdfs))
    except Exception as exc:
        log.exception("batch %s failed (attempt %d)", batch_id, claimed.attempt)
        with unit_of_work(rt.engine) as session:  # the retry is sent after this commit, with its delay
            return batches.give_back(session, claimed, f"{type(exc).__name__}: {exc}", RETRY_DELAYS)
    with session_scope(rt.engine) as session:
        return "ready" if batches.complete(session, claimed) else "claim lost"


def _checked(storage: Storage, key: str, sha256: str) -> bytes:
    """A certificate's stored PDF, refused if it is not the file that was signed."""
    data = storage.get(key)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{key} does not match its recorded SHA-256")
    return data


def _put(storage: Storage, key: str, data: bytes) -> None:
    try:
        storage.put(key, data)
    except StorageConflict:  # another run stored its own bytes first: they hold the same certificates
        log.warning("batch file %s already stored by another run; kept", key)
