"""Effects leave a transaction only after it commits: a rolled-back change earns nothing, a committed one once."""

from factories import make_citizen, make_staff, scores, submitted_application
from sqlmodel import Session

from certificates import new_code
from workflows import decisions, effects, review, states
from workflows.effects import Effect, EffectKind
from workflows.inputs import DecisionInput, ReviewInput, parse


def test_effects_wait_for_the_commit_and_vanish_on_rollback(session: Session) -> None:
    effects.emit(session, Effect(EffectKind.RENDER_CERTIFICATE, "a"))
    assert effects.take_ready(session) == []  # not committed yet
    session.rollback()
    session.commit()
    assert effects.take_ready(session) == []  # what was rolled back earned nothing
    effects.emit(session, Effect(EffectKind.RENDER_CERTIFICATE, "b"))
    session.commit()
    assert effects.take_ready(session) == [Effect(EffectKind.RENDER_CERTIFICATE, "b")]
    assert effects.take_ready(session) == []  # handed over once


def test_a_decision_earns_one_render_per_certificate_and_only_after_commit(session: Session) -> None:
    reviewer, chair = make_staff(session, "ward_reviewer"), make_staff(session, "ward_chair")
    ids = []
    for _ in range(2):
        citizen, _ = make_citizen(session)
        aid = submitted_application(session, citizen)
        verdict = parse(ReviewInput, {"action": "approve", "version": 2, "scores": scores(9)})
        review.review(session, reviewer, aid, verdict)
        ids.append(aid)
    session.commit()
    # proposing earns no render, only the citizens' e-mails (ADR 33)
    assert effects.take_ready(session) == [Effect(EffectKind.NOTIFY_PROPOSED, aid) for aid in ids]
    data = parse(DecisionInput, {"year": 2026, "number": "E/QĐ", "signed_on": "2026-11-20", "signer_name": "A",
                                 "application_ids": ids})
    decision, certs = decisions.record_decision(session, chair, data, new_code=new_code, verify_url=str)
    assert effects.take_ready(session) == []  # recorded, not ready: nothing is sent before the commit
    session.commit()
    ready = effects.take_ready(session)
    # The table's initial state of a certificate carries the render: one per certificate, ids only; and the decision
    # document's own render (ADR 30); and each recognised citizen's e-mail (ADR 33).
    assert sorted(ready, key=lambda e: (e.entity_id, e.kind)) == sorted(
        [*(Effect(EffectKind.RENDER_CERTIFICATE, c.id) for c in certs),
         Effect(EffectKind.RENDER_DECISION, decision.id),
         *(Effect(EffectKind.NOTIFY_RECOGNISED, aid) for aid in ids)], key=lambda e: (e.entity_id, e.kind))
    assert states.INITIAL[states.Entity.CERTIFICATE].effect == EffectKind.RENDER_CERTIFICATE
