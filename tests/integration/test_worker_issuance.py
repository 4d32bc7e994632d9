"""A real Celery worker process on this run's runtime: registration → issued PDF, QR decoded and followed."""

import re
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from factories import cccd_for, citizen_data, make_staff, scores
from processes import start_worker, stop_worker
from sqlmodel import Session, select

from certificates import offline
from workflows import issuance
from workflows.clock import now
from workflows.effects import take_ready
from workflows.models import AuditEvent, Certificate

pytestmark = pytest.mark.integration
TOOLS = ("pdftoppm", "pdffonts", "pdftotext", "zbarimg")


@pytest.fixture(scope="module")
def worker(runtime_env: dict[str, str], app, tmp_path_factory) -> Iterator[subprocess.Popen]:
    """A real worker with the same environment as the app under test."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    assert not missing, f"system tools missing (make test installs them): {missing}"
    proc = start_worker(runtime_env, tmp_path_factory.mktemp("worker") / "worker.log", "issuance")
    yield proc
    stop_worker(proc)


def _approved_application(api, session: Session, name: str) -> tuple[dict[str, str], str]:
    me, aid = api.submitted(citizen_data("00004", full_name=name, sex="female", cccd=cccd_for(1988, female=True),
                                         date_of_birth="1988-02-29"))
    make_staff(session, "ward_reviewer", username="it-reviewer")
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("it-reviewer"),
                  json={"action": "approve", "version": 2, "scores": scores(9)})
    assert rv.status_code == 200, rv.json
    make_staff(session, "ward_chair", username="it-chair")
    return me, aid


def _decide(api, aid: str, number: str) -> dict:
    rv = api.call("POST", "/api/v1/decisions", api.token("it-chair"), json={
        "year": 2026, "number": number, "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": [aid]})
    assert rv.status_code == 201, rv.json
    return rv.json


def _wait_issued(api, decision_id: str, seconds: float = 90) -> dict:
    chair = api.token("it-chair")
    deadline = time.monotonic() + seconds
    while True:
        progress = api.call("GET", f"/api/v1/decisions/{decision_id}", chair).json
        if progress["issued"] == progress["total"]:
            return progress
        assert progress["failed"] == 0, progress
        assert time.monotonic() < deadline, f"not issued in time: {progress}"
        time.sleep(0.5)


def test_registration_to_verified_pdf(api, session: Session, worker, tmp_path: Path) -> None:
    name = "Lê Hoàng Yến"
    me, aid = _approved_application(api, session, name)
    decision = _decide(api, aid, "21/QĐ-UBND")
    _wait_issued(api, decision["id"])
    code = decision["certificates"][0]["code"]
    details = api.call("GET", f"/api/v1/certificates/{code}", me).json
    assert details["status"] == "issued" and len(details["sha256"]) == 64
    rv = api.call("GET", f"/api/v1/certificates/{code}/pdf", me)
    assert rv.status_code == 200 and rv.mimetype == "application/pdf"
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(rv.data)

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.strip().splitlines()[2:]
    assert rows and all(line.split()[-5] == "yes" for line in rows), fonts  # the "emb" column
    text = unicodedata.normalize("NFC", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                                       text=True, check=True).stdout)
    assert name in text and "GIẤY CÔNG NHẬN" in text
    # The QR (read at a printer's 300 dpi) opens the verification page; its fragment carries the signed facts.
    [qr] = offline.read_qr_codes(rv.data)
    url, _, fragment = qr.partition("#")
    assert url == f"http://cdht.test/verify/{code}" and fragment.isupper()  # base32: the compact form
    keys = offline.parse_keys(api.call("GET", "/.well-known/cdht-keys.json").json)
    checked = offline.verify_qr(qr, keys)
    assert checked.valid and checked.facts is not None and checked.facts["name"] == name
    assert offline.verify(rv.data, keys).valid  # the attached payload says the same, with no server
    html = api.call("GET", url.removeprefix("http://cdht.test"))
    page_text = html.get_data(as_text=True)
    assert html.status_code == 200 and "Hợp lệ" in page_text
    assert re.search(r"\b001\*{6}\d{3}\b", page_text) and not re.search(r"\d{12}", page_text)  # masked only
    assert api.call("GET", f"/api/v1/verify/{code}").json["valid"] is True

    session.expire_all()
    cert = session.exec(select(Certificate).where(Certificate.code == code)).one()
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == cert.id)
                          .order_by(AuditEvent.id)).all()
    assert events == ["create", "claim", "complete"]


def test_lost_message_is_swept_and_issued_once(api, session: Session, worker, app, monkeypatch) -> None:
    import webapp.api.decisions as decisions_api

    def commit_and_lose(s: Session) -> int:
        s.commit()
        take_ready(s)  # the broker "lost" the messages the commit earned
        return 0

    monkeypatch.setattr(decisions_api, "commit", commit_and_lose)
    _me, aid = _approved_application(api, session, "Trần Văn Đức")
    decision = _decide(api, aid, "22/QĐ-UBND")
    time.sleep(2)
    session.expire_all()
    cert = session.exec(select(Certificate).where(Certificate.decision_id == decision["id"])).one()
    assert cert.status == "queued"
    cert.queued_at = now() - issuance.QUEUED_GRACE - timedelta(minutes=1)
    session.add(cert)
    session.commit()
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert "re-enqueued 1 of 1" in result.output, result.output
    _wait_issued(api, decision["id"])
    # Sweeping again finds nothing and the worker never issues twice.
    assert "re-enqueued 0 of 0" in app.test_cli_runner().invoke(args=["sweep"]).output
    session.expire_all()
    completes = session.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.id,
                                                      AuditEvent.event == "complete")).all()
    assert len(completes) == 1
