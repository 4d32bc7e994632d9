"""A worker killed mid-batch costs time, never a certificate, and never makes two."""

import hashlib
import time
from datetime import timedelta

import pytest
from factories import make_citizen, make_staff, scores, submitted_application
from processes import kill_worker, start_worker, stop_worker
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from workflows import review
from workflows.clock import now
from workflows.inputs import ReviewInput, parse
from workflows.models import AuditEvent, Certificate

pytestmark = pytest.mark.integration
BATCH = 30


def _issued(session: Session, decision_id: str) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Certificate).where(
        Certificate.decision_id == decision_id, Certificate.status == "issued")).one()


def test_killed_worker_loses_nothing_and_duplicates_nothing(api, session: Session, app, runtime_env,
                                                            tmp_path) -> None:
    reviewer = make_staff(session, "ward_reviewer", username="crash-reviewer")
    make_staff(session, "ward_chair", username="crash-chair")
    ids = []
    for _ in range(BATCH):
        citizen, _username = make_citizen(session)
        aid = submitted_application(session, citizen)
        verdict = parse(ReviewInput, {"action": "approve", "scores": scores(9), "version": 2})
        review.review(session, reviewer, aid, verdict)
        session.commit()
        ids.append(aid)

    first = start_worker(runtime_env, tmp_path / "first.log", "first")
    rv = api.call("POST", "/api/v1/decisions", api.token("crash-chair"), json={
        "year": 2026, "number": "99/QĐ-UBND", "signed_on": "2026-11-25", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": ids})
    assert rv.status_code == 201, rv.json
    decision_id = rv.json["id"]
    deadline = time.monotonic() + 90
    while _issued(session, decision_id) < 2:
        assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
        time.sleep(0.05)
    kill_worker(first)
    issued_before = _issued(session, decision_id)
    assert issued_before < BATCH, "the worker finished before it could be killed; the test proved nothing"

    # What the sweeper waits for in real time, the test moves the rows past (the clock is the one thing mocked).
    with app.extensions["cdht"].engine.begin() as conn:
        old = now() - timedelta(hours=1)
        conn.execute(update(Certificate).where(col(Certificate.decision_id) == decision_id)
                     .values(queued_at=old, claimed_at=old))
    second = start_worker(runtime_env, tmp_path / "second.log", "second", concurrency=2)
    try:
        swept = app.test_cli_runner().invoke(args=["sweep"])
        assert swept.exit_code == 0, swept.output
        deadline = time.monotonic() + 120
        while _issued(session, decision_id) < BATCH:
            assert time.monotonic() < deadline, (tmp_path / "second.log").read_text()
            time.sleep(0.3)
    finally:
        stop_worker(second)

    certs = session.exec(select(Certificate).where(Certificate.decision_id == decision_id)).all()
    assert len(certs) == BATCH and len({c.application_id for c in certs}) == BATCH
    storage = app.extensions["cdht"].storage
    for cert in certs:
        assert hashlib.sha256(storage.get(cert.storage_key)).hexdigest() == cert.sha256
        completes = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == cert.id, AuditEvent.event == "complete")).one()
        assert completes == 1, cert.code
