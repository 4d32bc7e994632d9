"""Celery task: render a recognition decision's document and store it write-once (ADR 30).

Kept apart from webapp/tasks.py (certificates) so each kind of document's task reads on its own.
"""

import hashlib
import logging

from celery import shared_task

import certificates
from certificates import StorageConflict
from workflows import decision_documents
from workflows.db import session_scope
from workflows.models import Decision

from .runtime import runtime

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"


@shared_task(name="cdht.render_decision_document", acks_late=True)
def render_decision_document(decision_id: str) -> str:
    """Render, store and record the decision's PDF; safe to run twice (a stored file is adopted, never replaced)."""
    rt = runtime()
    with session_scope(rt.engine) as session:
        decision = session.get(Decision, decision_id)
        if decision is None or decision.document_status != decision_documents.QUEUED:
            return "skipped"
        key = decision_documents.storage_key_of(decision)
        data = decision_documents.document_data(session, decision)
    # A crash after storing but before recording leaves the file: adopt it instead of rendering anew.
    if rt.storage.exists(key):
        pdf = rt.storage.get(key)
    else:
        pdf = certificates.default_renderer().render_decision(data)
        certificates.release_memory()
        try:
            rt.storage.put(key, pdf)
        except StorageConflict:
            pdf = rt.storage.get(key)
    with session_scope(rt.engine) as session:
        decision = session.get(Decision, decision_id)
        if decision is None:
            return "gone"
        decision_documents.complete(session, decision, key, hashlib.sha256(pdf).hexdigest())
    log.info("decision %s: document stored", decision_id)
    return "issued"
