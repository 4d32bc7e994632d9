"""Celery tasks: render → sign → store a certificate, and the sweeper that re-sends what was lost."""

import hashlib
import logging
from dataclasses import replace
from datetime import timedelta

from celery import shared_task

import certificates
from certificates import CertificateData, StorageConflict, offline, sign, signed_payload, storage_key
from workflows import batches, decision_documents, issuance
from workflows.db import session_scope
from workflows.effects import Effect, EffectKind
from workflows.errors import Conflict
from workflows.models import Certificate

from .dispatch import drain_outbox, send_each, send_render_batches, unit_of_work
from .metrics import CERTIFICATES_FAILED, CERTIFICATES_ISSUED, CERTIFICATES_SWEPT
from .runtime import runtime

# The renderer (WeasyPrint, Pango) is looked up inside the task, never at import: web processes import this module
# to send tasks and must not pay WeasyPrint's start-up time and memory; a test checks it stays out.
log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
RETRY_DELAYS = (5, 30, 120, 600)


@shared_task(name="cdht.render_certificate", acks_late=True)
def render_certificate(certificate_id: str) -> str:
    """Claim, render, store, sign and mark issued; safe to run twice, a lost run is swept up later."""
    rt = runtime()
    with session_scope(rt.engine) as session:
        cert = issuance.claim(session, certificate_id)
        if cert is None:
            return "skipped"
        claimed, claimed_version = cert, cert.version
    try:
        done = issuance.Completion(claimed, *_produce(claimed))
    except Exception as exc:
        log.exception("certificate %s failed to render", certificate_id)
        return _give_back(certificate_id, claimed_version, f"{type(exc).__name__}: {exc}")
    return _complete_one(done)


@shared_task(name="cdht.render_certificates", acks_late=True)
def render_certificates(certificate_ids: list[str]) -> dict[str, int]:
    """A batch of render_certificate (ADR 32): one claim and one completion for up to BATCH certificates, so the
    bookkeeping's two commits are shared; each file is still stored before anything is marked issued, and a row
    whose claim or completion races with another run falls back to the one-by-one path."""
    rt = runtime()
    try:
        with session_scope(rt.engine) as session:
            claimed = issuance.claim_many(session, certificate_ids)
    except Conflict:  # a row moved between the read and the write: take them one at a time
        outcomes = [render_certificate(certificate_id) for certificate_id in certificate_ids]
        return {outcome: outcomes.count(outcome) for outcome in set(outcomes)}
    taken = {cert.id for cert in claimed}
    counts: dict[str, int] = {}
    for certificate_id in certificate_ids:  # tried before, gone or done: one by one (a done one is skipped)
        if certificate_id not in taken:
            outcome = render_certificate(certificate_id)
            counts[outcome] = counts.get(outcome, 0) + 1
    done: list[issuance.Completion] = []
    for cert in claimed:
        try:
            done.append(issuance.Completion(cert, *_produce(cert)))
        except Exception as exc:
            log.exception("certificate %s failed to render", cert.id)
            outcome = _give_back(cert.id, cert.version, f"{type(exc).__name__}: {exc}")
            counts[outcome] = counts.get(outcome, 0) + 1
    try:
        with unit_of_work(rt.engine) as session:  # the holders' e-mails are sent after this commit
            issuance.complete_many(session, [replace(item, cert=session.merge(item.cert, load=False))
                                             for item in done], key_id=rt.key_id)
        counts["issued"] = counts.get("issued", 0) + len(done)
        CERTIFICATES_ISSUED.inc(len(done))
    except Conflict:
        for item in done:  # one of the claims was lost: complete the others one by one
            outcome = _complete_one(item)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _complete_one(item: issuance.Completion) -> str:
    """Complete one claimed certificate; "claim lost" if the sweeper released the claim meanwhile (another run owns
    the row now and will adopt the file stored here, so nothing is lost and nothing is issued twice)."""
    rt = runtime()
    try:
        with unit_of_work(rt.engine) as session:  # the claimed row as read: the write is fenced by its version
            issuance.complete(session, session.merge(item.cert, load=False), claimed_version=item.cert.version,
                              storage_key=item.storage_key, sha256=item.sha256, signature=item.signature,
                              key_id=rt.key_id)
    except Conflict:
        return "claim lost"
    CERTIFICATES_ISSUED.inc()
    return "issued"


def _produce(cert: Certificate) -> tuple[str, str, str]:
    """Render, store and sign a claimed certificate's PDF; return its storage key, sha256 and signature.

    A crash after storing but before completing leaves the file: it is adopted instead of rendered anew.
    """
    rt = runtime()
    snapshot, ward_code = dict(cert.snapshot), cert.ward_code
    key = storage_key(cert.year, ward_code, cert.code)
    if rt.storage.exists(key):
        pdf = rt.storage.get(key)
    else:
        data = CertificateData.from_payload(snapshot)
        # The offline payload (QR fragment and attachment) is signed first, then the whole PDF (ADR 27).
        seal = offline.seal(data, ward_code=ward_code, private_key_pem=rt.signing_key)
        pdf = certificates.default_renderer().render(data, seal)
        try:
            rt.storage.put(key, pdf)
        except StorageConflict:
            pdf = rt.storage.get(key)
    sha256 = hashlib.sha256(pdf).hexdigest()
    return key, sha256, sign(rt.signing_key, signed_payload(snapshot, sha256))


def _give_back(certificate_id: str, claimed_version: int, error: str) -> str:
    """Hand a failed render back to the queue with a growing delay, or mark it failed after the last attempt."""
    rt = runtime()
    try:
        # Released for another try, the row earns its render again, sent after the commit with the delay.
        with unit_of_work(rt.engine) as session:
            cert = session.get(Certificate, certificate_id)
            if cert is None:
                return "gone"
            delay = RETRY_DELAYS[min(cert.attempts, len(RETRY_DELAYS)) - 1]
            issuance.give_back(session, cert, error, claimed_version=claimed_version,
                               retry_in=timedelta(seconds=delay))
    except Conflict:
        return "claim lost"
    CERTIFICATES_FAILED.inc()
    return "failed"


@shared_task(name="cdht.sweep_certificates")
def sweep_certificates() -> int:
    """Re-enqueue certificates stuck in queued (lost message) or rendering (dead worker), and decision documents and
    batches whose message was lost; first, send what waits in the outbox (ADR 37)."""
    sent, waiting = drain_outbox(runtime().engine)
    if sent or waiting:
        log.info("sweeper sent %d effects from the outbox; %d still wait there", sent, waiting)
    with unit_of_work(runtime().engine) as session:
        ids = issuance.sweep(session)
        documents, prepared = decision_documents.sweep(session), batches.sweep(session)
    if ids:
        CERTIFICATES_SWEPT.inc(len(ids))
        log.info("sweeper re-enqueued %d certificates", len(ids))
    if documents or prepared:
        log.info("sweeper re-sent %d decision documents and %d batches", len(documents), len(prepared))
    return len(ids) + len(documents) + len(prepared)


@shared_task(name="cdht.fan_out")
def fan_out(kind: str, ids: list[str]) -> int:
    """Send the tasks for a large batch of effects (so the request that earned them sent a few messages): renders
    of certificates in batches of RENDER_BATCH (ADR 32), anything else one task per id."""
    if EffectKind(kind) == EffectKind.RENDER_CERTIFICATE:
        return send_render_batches(ids)
    return send_each([Effect(EffectKind(kind), entity_id) for entity_id in ids])
