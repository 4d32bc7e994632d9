"""The decision document: queued with the decision, rendered by the task, downloaded by the ward's staff (ADR 30)."""

import hashlib
import subprocess
import unicodedata
from datetime import timedelta

from factories import citizen_data, make_staff, signed_in
from sqlmodel import Session

from workflows.models import Decision


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(unicodedata.normalize("NFC", out.stdout.decode()).split())


def test_the_decision_document_is_rendered_after_the_commit_and_downloaded(app, api, session: Session) -> None:
    number = "88/QĐ-UBND"
    make_staff(session, "ward_reviewer", username=f"rev-{number}")
    make_staff(session, "ward_chair", username=f"chair-{number}")
    make_staff(session, "ward_chair", ward="00070", username="chair-other")
    _aid, decided = api.recognised(citizen_data(), number)
    chair = api.token(f"chair-{number}")
    url = f"/api/v1/decisions/{decided['id']}/pdf"
    rv = api.call("GET", url, chair)
    assert rv.status_code == 409 and rv.json["error"]["code"] == "decision_document_not_ready"
    assert api.call("GET", url, api.token("chair-other")).status_code == 404  # another ward's

    assert app.extensions["celery"].tasks["cdht.render_decision_document"](decided["id"]) == "issued"
    assert app.extensions["celery"].tasks["cdht.render_decision_document"](decided["id"]) == "skipped"  # once
    rv = api.call("GET", url, chair)
    assert rv.status_code == 200 and rv.mimetype == "application/pdf"
    session.expire_all()
    decision = session.get(Decision, decided["id"])
    assert decision is not None and decision.document_sha256 == hashlib.sha256(rv.data).hexdigest()
    text = _text(rv.data)
    for line in ("ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH", f"Số: {number}", "Ba Đình, ngày 20 tháng 11 năm 2026",
                 "Điều 1. Công nhận 1 công dân đạt danh hiệu “Công dân học tập” năm 2026",
                 "TM. ỦY BAN NHÂN DÂN", "Nguyễn Văn Thắng", "HN-00004-2026-"):
        assert line in text, (line, text)
    assert api.call("GET", f"/api/v1/decisions/{decided['id']}", chair).json["document_status"] == "issued"

    page = signed_in(app, f"chair-{number}")
    html = page.get(f"/chair/decisions/{decided['id']}").get_data(as_text=True)
    assert f"/chair/decisions/{decided['id']}/pdf" in html
    download = page.get(f"/chair/decisions/{decided['id']}/pdf")
    assert download.status_code == 200 and download.data == rv.data


def test_a_lost_document_message_is_sent_again_by_the_sweeper_once_a_grace(app, api, session: Session,
                                                                           monkeypatch) -> None:
    from celery.app.task import Task

    number = "89/QĐ-UBND"
    make_staff(session, "ward_reviewer", username=f"rev-{number}")
    make_staff(session, "ward_chair", username=f"chair-{number}")
    _aid, decided = api.recognised(citizen_data(), number)  # its document's message: lost (never run here)
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, **options: sent.append(
        (self.name, tuple(args or ()))))
    cli = app.test_cli_runner()
    assert "0 decision documents" in cli.invoke(args=["sweep"]).output  # within the grace: nothing yet
    decision = session.get(Decision, decided["id"])
    decision.created_at = decision.created_at - timedelta(minutes=16)
    session.add(decision)
    session.commit()
    assert "1 decision documents" in cli.invoke(args=["sweep"]).output
    assert sent == [("cdht.render_decision_document", (decided["id"],))]
    assert "0 decision documents" in cli.invoke(args=["sweep"]).output  # not again before another grace
    assert app.extensions["celery"].tasks["cdht.render_decision_document"](decided["id"]) == "issued"
    session.expire_all()
    decision = session.get(Decision, decided["id"])
    decision.document_queued_at = decision.created_at - timedelta(hours=1)
    session.add(decision)
    session.commit()
    assert "0 decision documents" in cli.invoke(args=["sweep"]).output  # issued: never sent again


def test_the_sweeper_stops_after_five_re_sends(app, api, session: Session, monkeypatch, caplog) -> None:
    """A document whose render kills its worker each time is not sent for ever: five times, then a logged error."""
    from celery.app.task import Task

    from workflows import decision_documents

    number = "90/QĐ-UBND"
    make_staff(session, "ward_reviewer", username=f"rev-{number}")
    make_staff(session, "ward_chair", username=f"chair-{number}")
    _aid, decided = api.recognised(citizen_data(), number)
    sent: list[str] = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, **options: sent.append(self.name))
    cli = app.test_cli_runner()
    for _ in range(decision_documents.MAX_RESENDS + 2):
        decision = session.get(Decision, decided["id"])
        decision.document_queued_at = decision.created_at - timedelta(hours=1)  # each re-send lost in its turn
        session.add(decision)
        session.commit()
        cli.invoke(args=["sweep"])
        session.expire_all()
    assert sent.count("cdht.render_decision_document") == decision_documents.MAX_RESENDS
    assert session.get(Decision, decided["id"]).document_resends == decision_documents.MAX_RESENDS
    assert "sent for the last time" in caplog.text
