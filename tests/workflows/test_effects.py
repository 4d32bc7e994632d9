"""Effects leave a transaction only after it commits: a rolled-back change earns nothing, a committed one once."""

from factories import make_citizen, make_staff, submitted_application
from sqlmodel import Session

from workflows import effects, states
from workflows.effects import Effect, EffectKind
from workflows.models import Application


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


def test_the_table_records_the_effect_of_a_transition(session: Session) -> None:
    citizen, _ = make_citizen(session)
    aid = submitted_application(session, citizen)
    app = session.get(Application, aid)
    reviewer = make_staff(session, "ward_reviewer")
    states.apply_event(session, app, "approve", reviewer)  # approving earns no work for the workers
    session.commit()
    assert effects.take_ready(session) == []
    assert states.TABLE[(states.Entity.CERTIFICATE, "failed", "retry")].effect == EffectKind.RENDER_CERTIFICATE
    assert states.INITIAL[states.Entity.CERTIFICATE].effect == EffectKind.RENDER_CERTIFICATE
