"""`flask demo` seeds a living ward: every state of an application, a decision whose certificates a worker issues,
digital-skill records, so that each staff screen has something on first sight; a second run changes nothing."""

from collections import Counter

from factories import PASSWORD, signed_in
from sqlmodel import Session, func, select

from workflows.demo_ward import DECISION_NUMBER, PEOPLE, WARD
from workflows.models import Activity, Application, AuditEvent, Certificate, Citizen, Decision, DigitalAttainment


def _rows(session: Session) -> tuple[int, ...]:
    return tuple(session.exec(select(func.count()).select_from(t)).one()
                 for t in (Citizen, Application, Certificate, Decision, DigitalAttainment, AuditEvent))


def test_demo_seeds_a_living_ward_once(app, session: Session, sent) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert f"Demo ward {WARD}" in result.output and DECISION_NUMBER in result.output

    states = Counter(session.exec(select(Application.state).where(Application.ward_code == WARD)).all())
    assert states == {"draft": 1, "submitted": 4, "returned": 1, "approved": 1, "rejected": 1, "recognised": 3}
    returned = session.exec(select(Application).where(Application.state == "returned")).one()
    assert returned.review_comment and "II.1" in returned.review_comment

    decision = session.exec(select(Decision).where(Decision.number == DECISION_NUMBER)).one()
    certificates = session.exec(select(Certificate).where(Certificate.decision_id == decision.id)).all()
    assert len(certificates) == 3 and {c.status for c in certificates} == {"queued"}
    # The renders and the decision's document were handed to the broker after the commit.
    names = Counter(name for name, _args, _options in sent)
    assert names["cdht.render_decision_document"] == 1
    rendered = [args[0] for name, args, _ in sent if name == "cdht.render_certificate"]  # a few: one task each
    rendered += [i for name, args, _ in sent if name == "cdht.render_certificates" for i in args[0]]
    assert sorted(rendered) == sorted(c.id for c in certificates)

    digital = Counter(session.exec(select(DigitalAttainment.state)).all())
    assert digital == {"verified": sum(p.digital_level is not None for p in PEOPLE), "pending": 1}
    assert runner.invoke(args=["rollup", "check"]).exit_code == 0  # the counters agree with the rows

    before = _rows(session)
    again = runner.invoke(args=["demo", "--password", PASSWORD])
    assert again.exit_code == 0 and "Demo ward" not in again.output
    session.expire_all()
    assert _rows(session) == before


def test_the_demo_ward_fills_the_staff_screens(app, session: Session, sent) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    queue = signed_in(app, f"reviewer{WARD}").get("/reviewer/?state=submitted").get_data(as_text=True)
    # namesakes, told apart by their tổ dân phố
    assert "Nguyễn Văn An" in queue and "Tổ dân phố 2" in queue and "Tổ dân phố 5" in queue
    chair = signed_in(app, f"chair{WARD}")
    decision = session.exec(select(Decision).where(Decision.number == DECISION_NUMBER)).one()
    page = chair.get(f"/chair/decisions/{decision.id}")
    assert page.status_code == 200 and DECISION_NUMBER in page.get_data(as_text=True)
    citizen = signed_in(app, PEOPLE[8].cccd)  # the returned application: the reviewer's words are on the home page
    assert "II.1" in citizen.get("/citizen/").get_data(as_text=True)


def test_a_returned_application_shows_the_reviewers_note_next_to_the_activity(app, session: Session, sent) -> None:
    from workflows.demo_ward import ACTIVITY_NOTE

    assert app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    returned = session.exec(select(Application).where(Application.state == "returned")).one()
    [(activity_id, note)] = returned.review_notes.items()
    assert note == ACTIVITY_NOTE
    citizen = signed_in(app, PEOPLE[8].cccd)
    home = citizen.get("/citizen/").get_data(as_text=True)
    assert ACTIVITY_NOTE in home and f"#note-{activity_id}" in home
    listing = citizen.get(f"/citizen/applications/{returned.id}/activities").get_data(as_text=True)
    assert f'id="note-{activity_id}"' in listing and ACTIVITY_NOTE in listing


def test_a_note_must_name_an_activity_of_the_application(app, session: Session, sent) -> None:
    from factories import csrf

    assert app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    waiting = session.exec(select(Application).where(Application.state == "submitted")).first()
    reviewer = signed_in(app, f"reviewer{WARD}")
    page = reviewer.get(f"/reviewer/applications/{waiting.id}").get_data(as_text=True)
    assert 'name="note-' in page
    bad = reviewer.post(f"/reviewer/applications/{waiting.id}", data={
        "csrf_token": csrf(page), "version": str(waiting.version), "action": "return", "note-nothere": "x"})
    assert bad.status_code == 422 and 'href="#note-nothere"' in bad.get_data(as_text=True)
    activity = session.exec(select(Activity.id).where(Activity.application_id == waiting.id)).first()
    ok = reviewer.post(f"/reviewer/applications/{waiting.id}", data={
        "csrf_token": csrf(page), "version": str(waiting.version), "action": "return",
        f"note-{activity}": "Thiếu số giờ học."})  # a note alone is enough to return it
    assert ok.status_code == 302
    session.expire_all()
    assert session.get(Application, waiting.id).review_notes == {activity: "Thiếu số giờ học."}
