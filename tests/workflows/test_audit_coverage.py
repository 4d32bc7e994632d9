"""What the audit trail records beyond state changes (issue: insiders): the citizen's self-scores with what they
replaced, the reviewer's scores, the decision itself, and the sweeper's re-sends."""

from datetime import timedelta

from factories import make_citizen, make_staff, scores
from sqlmodel import Session, col, select

from workflows import applications, decisions, issuance, review
from workflows.clock import now
from workflows.inputs import (
    ActivityInput,
    ApplicationInput,
    DecisionInput,
    ReviewInput,
    SelfAssessmentInput,
    parse,
)
from workflows.models import AuditEvent, Certificate


def _rows(session: Session, entity_id: str, event: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity_id == entity_id, AuditEvent.event == event)
                             .order_by(col(AuditEvent.id))))


def test_self_scores_reviewer_scores_decision_and_resends_are_audited(session: Session) -> None:
    citizen, _ = make_citizen(session)
    app = applications.open_application(session, citizen, parse(ApplicationInput, {"year": 2026}))
    applications.add_activity(session, citizen, app.id, parse(
        ActivityInput, {"title": "Lớp tin học", "kind": "course", "hours": 20, "started_on": "2026-03-01"}))
    all_nines = scores(9)
    applications.set_self_assessment(session, citizen, app.id, parse(SelfAssessmentInput, {"scores": all_nines}))
    first_code = next(iter(all_nines))
    applications.set_self_assessment(session, citizen, app.id,
                                     parse(SelfAssessmentInput, {"scores": {first_code: 7}}))
    applications.set_self_assessment(session, citizen, app.id,  # the same again: no change, no record
                                     parse(SelfAssessmentInput, {"scores": {first_code: 7}}))
    applications.submit(session, citizen, app.id)
    session.commit()
    edits = [r.detail for r in _rows(session, app.id, "change") if r.detail.get("change") == "self_scores"]
    assert edits == [{"change": "self_scores", "scores": all_nines, "before": {}},
                     {"change": "self_scores", "scores": {first_code: 7}, "before": {first_code: 9}}]

    reviewer = make_staff(session, "ward_reviewer")
    ward_scores = scores(9)
    review.review(session, reviewer, app.id,
                  parse(ReviewInput, {"action": "approve", "scores": ward_scores, "version": 2}))
    session.commit()
    (approved,) = _rows(session, app.id, "approve")
    # The ward's scores as the reviewer gave them (each indicator's code and score), beside the total.
    assert len(approved.detail["scores"]) == len(ward_scores) and set(approved.detail["scores"].values()) == {9}
    assert approved.detail["total"] == sum(approved.detail["scores"].values())

    chair = make_staff(session, "ward_chair")
    decision, certs = decisions.record_decision(
        session, chair, parse(DecisionInput, {"year": 2026, "number": "77/QĐ-UBND", "signed_on": "2026-11-02",
                                              "signer_name": "Nguyễn Văn Thắng", "application_ids": [app.id]}),
        new_code=lambda: "AUDIT-00001", verify_url=lambda c: f"https://x/verify/{c}")
    session.commit()
    (made,) = _rows(session, decision.id, "create")
    assert (made.entity_type, made.actor_id) == ("decision", chair.user_id)
    assert made.detail == {"ward_code": "00004", "year": 2026, "number": "77/QĐ-UBND", "signed_on": "2026-11-02",
                           "signer_name": "Nguyễn Văn Thắng", "applications": 1}

    cert = session.get(Certificate, certs[0].id)
    assert cert is not None
    cert.queued_at = now() - issuance.QUEUED_GRACE - timedelta(minutes=1)
    session.add(cert)
    session.commit()
    assert issuance.sweep(session) == [cert.id]
    session.commit()
    (resent,) = _rows(session, cert.id, "resend")
    assert (resent.actor_role, resent.entity_type) == ("system", "certificate")
