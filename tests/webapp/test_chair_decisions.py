"""The chair's past decisions, each with the people it recognises (linked to their certificates), and the issuance
progress as JSON for the page's script; another ward's decision is a 404 everywhere."""

from factories import make_staff, signed_in
from sqlmodel import Session, select

from workflows.models import Certificate, Decision


def _living_ward(app) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "--password", "test-password-1"]).exit_code == 0


def test_past_decisions_recipients_and_progress(web, session: Session, sent) -> None:
    _living_ward(web)
    chair = signed_in(web, "chair00004")
    decision = session.exec(select(Decision)).one()
    listing = chair.get(f"/chair/decisions?year={decision.year}").get_data(as_text=True)
    assert f'href="/chair/decisions/{decision.id}"' in listing and "0/3" in listing  # issued of total
    page = chair.get(f"/chair/decisions/{decision.id}").get_data(as_text=True)
    certificates = session.exec(select(Certificate).where(Certificate.decision_id == decision.id)).all()
    for cert in certificates:
        assert f'href="/chair/certificates/{cert.code}"' in page and cert.register_number in page
    assert "Nguyễn Thị Thu Hà" in page and "1985" in page  # name and year of birth tell namesakes apart
    assert f'data-progress-url="/chair/decisions/{decision.id}/progress"' in page
    progress = chair.get(f"/chair/decisions/{decision.id}/progress")
    assert progress.status_code == 200
    assert progress.json["total"] == 3 and progress.json["issued"] == 0 and "0/3" in progress.json["text"]
    # Once every certificate is issued the page stops asking.
    for cert in certificates:
        cert.status = "issued"
        session.add(cert)
    session.commit()
    done = chair.get(f"/chair/decisions/{decision.id}").get_data(as_text=True)
    assert "data-progress-url" not in done and chair.get(
        f"/chair/decisions/{decision.id}/progress").json["issued"] == 3


def test_recipients_page_by_register_number(web, session: Session, sent) -> None:
    _living_ward(web)
    from workflows import decisions
    from workflows.models import User
    from workflows.registration import actor_for

    chair = actor_for(session, session.exec(select(User).where(User.username == "chair00004")).one())
    decision = session.exec(select(Decision)).one()
    first, after = decisions.recipients(session, chair, decision.id, limit=2)
    rest, end = decisions.recipients(session, chair, decision.id, after=after, limit=2)
    assert len(first) == 2 and len(rest) == 1 and end is None
    numbers = [r.register_number for r in first + rest]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_another_wards_chair_sees_nothing(web, session: Session, sent) -> None:
    _living_ward(web)
    decision = session.exec(select(Decision)).one()
    make_staff(session, "ward_chair", ward="00070", username="chair-elsewhere")
    other = signed_in(web, "chair-elsewhere")
    assert other.get(f"/chair/decisions/{decision.id}").status_code == 404
    assert other.get(f"/chair/decisions/{decision.id}/progress").status_code == 404
    assert decision.id not in other.get(f"/chair/decisions?year={decision.year}").get_data(as_text=True)
