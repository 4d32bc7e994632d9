"""Issuance as the database sees it: claims are exclusive, failures are bounded, sweeps find the lost."""

from datetime import timedelta

import pytest
from factories import make_citizen, make_staff, scores, submitted_application
from issued import PUBLIC_KEY, issue_signed
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from certificates import FileStorage, generate_private_key_pem, public_key_pem
from workflows import decisions, issuance, review
from workflows.clock import now
from workflows.errors import Conflict, Invalid, NotFound
from workflows.inputs import DecisionInput, ReviewInput, RevocationInput, parse
from workflows.models import Certificate


def _queued_certificate(session: Session) -> tuple[Certificate, object]:
    citizen, _ = make_citizen(session)
    aid = submitted_application(session, citizen)
    reviewer = make_staff(session, "ward_reviewer")
    review.review(session, reviewer, aid, parse(ReviewInput, {"action": "approve", "scores": scores(9), "version": 2}))
    chair = make_staff(session, "ward_chair")
    _decision, certs = decisions.record_decision(
        session, chair, parse(DecisionInput, {"year": 2026, "number": f"{aid[:6]}/QĐ", "signed_on": "2026-11-02",
                                              "signer_name": "Nguyễn Văn Thắng", "application_ids": [aid]}),
        new_code=lambda: aid[:5].upper() + "-" + aid[5:10].upper(), verify_url=lambda c: f"https://x/verify/{c}")
    session.commit()
    return certs[0], chair


def test_claim_is_exclusive_and_repeatable(session: Session) -> None:
    cert, _ = _queued_certificate(session)
    assert issuance.claim(session, cert.id) is not None
    session.commit()
    assert issuance.claim(session, cert.id) is None  # a second delivery of the same message does nothing
    assert cert.attempts == 1


def seal_statements(engine) -> list[str]:
    """What sealing a transaction's audit records costs at its commit: lock the chain's head, read the records,
    write their seals and the head (one statement on PostgreSQL, two on SQLite)."""
    writes = ["WITH"] if engine.dialect.name == "postgresql" else ["UPDATE", "UPDATE"]
    return ["SELECT", "SELECT", *writes]


def test_claim_and_complete_each_write_one_row_and_its_audit(session: Session) -> None:
    """The worker's bookkeeping per certificate: the claim reads the row it renders and writes it once; completion
    writes it once, without reading it again; each with its audit row, sealed at commit."""
    cert, _ = _queued_certificate(session)
    engine, queued_version = session.get_bind(), cert.version
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine, expire_on_commit=False) as claiming:
            claimed = issuance.claim(claiming, cert.id)
            assert claimed is not None
            claiming.commit()
        seal = seal_statements(engine)  # the audit row's seal at commit (ADR 36)
        assert statements == ["SELECT", "UPDATE", "INSERT", *seal]
        statements.clear()
        with Session(engine) as completing:
            issuance.complete(completing, completing.merge(claimed, load=False), claimed_version=claimed.version,
                              storage_key="k", sha256="0" * 64, signature="s", key_id="test")
            completing.commit()
        assert statements == ["UPDATE", "INSERT", *seal]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    session.expire_all()
    done = session.get(Certificate, cert.id)
    assert done is not None
    assert (done.status, done.attempts, done.sha256, done.key_id) == ("issued", 1, "0" * 64, "test")
    assert done.claimed_at is not None and done.issued_at is not None and done.version == queued_version + 2


def test_failures_retry_then_stop(session: Session) -> None:
    cert, _ = _queued_certificate(session)
    for attempt in range(1, issuance.MAX_ATTEMPTS + 1):
        claimed = issuance.claim(session, cert.id)
        assert claimed is not None and claimed.attempts == attempt
        again = issuance.give_back(session, claimed, "boom", claimed_version=claimed.version)
        session.commit()
        assert again is (attempt < issuance.MAX_ATTEMPTS)
    assert cert.status == "failed" and cert.last_error == "boom"


def test_sweep_releases_dead_renders_and_resends_old_queued(session: Session) -> None:
    cert, _ = _queued_certificate(session)
    issuance.claim(session, cert.id)
    cert.claimed_at = now() - issuance.RENDERING_TIMEOUT - timedelta(minutes=1)
    session.add(cert)
    session.commit()
    assert issuance.sweep(session) == [cert.id]
    session.commit()
    assert cert.status == "queued"
    assert issuance.sweep(session) == []  # just re-sent: not again until the grace period passes


def test_verification_needs_a_known_key_and_the_stored_file(session: Session, tmp_path) -> None:
    cert, _ = _queued_certificate(session)
    storage = FileStorage(tmp_path)
    issue_signed(session, cert, storage)
    assert issuance.verify(session, cert.code, public_keys=[PUBLIC_KEY], storage=storage).status == "valid"
    other_key = public_key_pem(generate_private_key_pem())
    assert issuance.verify(session, cert.code, public_keys=[other_key], storage=storage).status == "invalid"
    assert issuance.verify(session, cert.code, public_keys=[other_key, PUBLIC_KEY], storage=storage).valid
    empty = FileStorage(tmp_path / "elsewhere")  # the row and the signature are fine, the file is not there
    assert issuance.verify(session, cert.code, public_keys=[PUBLIC_KEY], storage=empty).status == "invalid"


def _why(reason: str) -> RevocationInput:
    return parse(RevocationInput, {"reason": reason})


def test_revoke_needs_reason_and_shows_on_verification(session: Session, tmp_path) -> None:
    cert, chair = _queued_certificate(session)
    with pytest.raises(Conflict):
        issuance.revoke(session, chair, cert.code, _why("sai thông tin"))  # not issued yet
    storage = FileStorage(tmp_path)
    issue_signed(session, cert, storage)
    keys = {"public_keys": [PUBLIC_KEY], "storage": storage}
    assert issuance.verify(session, cert.code, **keys).status == "valid"
    with pytest.raises(Invalid):
        _why("  ")  # a blank reason never reaches the domain
    other_ward_chair = make_staff(session, "ward_chair", ward="00070")
    with pytest.raises(NotFound):
        issuance.revoke(session, other_ward_chair, cert.code, _why("x"))
    issuance.revoke(session, chair, cert.code, _why("Cấp nhầm người"))
    session.commit()
    result = issuance.verify(session, cert.code, **keys)
    assert (result.valid, result.status, result.reason) == (False, "revoked", "Cấp nhầm người")
    assert issuance.verify(session, "ZZZZZ-ZZZZZ", **keys).status == "unknown"


def _second_row(cert: Certificate, live_key: str | None) -> Certificate:
    """Another certificate row for the same citizen, title and year, written straight to the table."""
    return Certificate(
        code="SECND-00001", register_number=f"{cert.register_number}-2", application_id=cert.application_id,
        citizen_id=cert.citizen_id, decision_id=cert.decision_id, ward_code=cert.ward_code,
        title_type=cert.title_type, year=cert.year, status="queued", live_key=live_key, snapshot=cert.snapshot)


def test_one_live_certificate_per_citizen_and_year(session: Session, tmp_path) -> None:
    cert, chair = _queued_certificate(session)
    assert cert.live_key == f"{cert.citizen_id}:{cert.title_type}:{cert.year}"
    # The database itself refuses a second live certificate, whatever code path (or hand) writes it.
    session.add(_second_row(cert, cert.live_key))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # Once the first is no longer live (revoked: live_key cleared), a new live one may be written.
    issue_signed(session, cert, FileStorage(tmp_path))
    issuance.revoke(session, chair, cert.code, _why("Cấp lại"))
    session.add(_second_row(cert, f"{cert.citizen_id}:{cert.title_type}:{cert.year}"))
    session.commit()


def test_a_recognised_application_cannot_be_decided_again(session: Session) -> None:
    cert, chair = _queued_certificate(session)
    # The application is recognised now: a second decision over it is refused by the state table.
    with pytest.raises(Invalid):
        decisions.record_decision(
            session, chair, parse(DecisionInput, {"year": 2026, "number": "dup/QĐ", "signed_on": "2026-11-03",
                                                  "signer_name": "A", "application_ids": [cert.application_id]}),
            new_code=lambda: "AAAAA-BBBBB", verify_url=lambda c: c)


def test_pending_certificate_tells_nothing_about_its_holder(session: Session, tmp_path) -> None:
    cert, _ = _queued_certificate(session)
    result = issuance.verify(session, cert.code, public_keys=[PUBLIC_KEY], storage=FileStorage(tmp_path))
    assert (result.status, result.holder_name, result.cccd_masked) == ("pending", None, None)


def test_failed_certificates_can_be_retried_after_an_outage(session: Session) -> None:
    cert, _ = _queued_certificate(session)
    for _ in range(issuance.MAX_ATTEMPTS):
        claimed = issuance.claim(session, cert.id)
        issuance.give_back(session, claimed, "storage down", claimed_version=claimed.version)
        session.commit()
    assert cert.status == "failed"
    assert issuance.retry_failed(session) == [cert.id]
    session.commit()
    assert (cert.status, cert.attempts) == ("queued", 0)


def test_a_lost_claim_cannot_complete(session: Session) -> None:
    cert, _ = _queued_certificate(session)
    first = issuance.claim(session, cert.id)
    slow_version = first.version
    session.commit()
    issuance.give_back(session, cert, "worker lost while rendering")  # what the sweeper does after the timeout
    second = issuance.claim(session, cert.id)
    session.commit()
    with pytest.raises(Conflict):
        issuance.complete(session, cert, claimed_version=slow_version, storage_key="k", sha256="0" * 64,
                          signature="s", key_id="kid")
    session.rollback()
    issuance.complete(session, cert, claimed_version=second.version, storage_key="k", sha256="0" * 64,
                      signature="s", key_id="kid")
    session.commit()
    assert cert.status == "issued"
