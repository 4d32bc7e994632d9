"""A decision's certificates as one batch (ADR 31): the ZIP of its issued PDFs and one merged PDF for printing, made by
the task (called directly here, as a worker would), asked for once, cached per listing and renewed after a reissue."""

import io
import zipfile
from datetime import timedelta

import pikepdf
from factories import citizen_data, csrf, make_staff, scores, signed_in
from sqlmodel import Session, select

import webapp.batch_tasks
from workflows import batches
from workflows.models import Certificate, CertificateBatch

NUMBER = "61/QĐ-UBND"
NAMES = ("Nguyễn Thị Bích", "Trần Văn Cường", "Lê Thu Hà")


def _prepared(sent) -> list[tuple]:
    return [(args, options) for name, args, options in sent if name == "cdht.prepare_batch"]


def _decision(api, session: Session, app, *, render: bool = True) -> tuple[str, dict[str, str]]:
    """A decision of three citizens through the API, its certificates rendered by the task; its id, chair's token."""
    make_staff(session, "ward_reviewer", username=f"rev-{NUMBER}")
    make_staff(session, "ward_chair", username=f"chair-{NUMBER}")
    reviewer, chair = api.token(f"rev-{NUMBER}"), api.token(f"chair-{NUMBER}")
    ids = []
    for name in NAMES:
        _me, aid = api.submitted(citizen_data(full_name=name))
        rv = api.call("POST", f"/api/v1/applications/{aid}/review", reviewer,
                      json={"action": "approve", "version": 2, "scores": scores(9)})
        assert rv.status_code == 200, rv.json
        ids.append(aid)
    rv = api.call("POST", "/api/v1/decisions", chair, json={
        "year": 2026, "number": NUMBER, "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": ids})
    assert rv.status_code == 201, rv.json
    if render:
        for cert in rv.json["certificates"]:
            _render(app, session, cert["code"])
    return rv.json["id"], chair


def _render(app, session: Session, code: str) -> None:
    cert_id = session.exec(select(Certificate.id).where(Certificate.code == code)).one()
    assert app.extensions["celery"].tasks["cdht.render_certificate"](cert_id) == "issued"


def _prepare(app, session: Session, decision_id: str) -> str:
    """Run the batch task on the decision's newest batch, as a worker would; its outcome."""
    session.expire_all()
    batch = session.exec(select(CertificateBatch).where(CertificateBatch.decision_id == decision_id)
                         .order_by(CertificateBatch.requested_at.desc())).first()
    assert batch is not None
    return app.extensions["celery"].tasks["cdht.prepare_batch"](batch.id)


def _issued_numbers(session: Session, decision_id: str) -> list[str]:
    session.expire_all()
    return sorted(session.exec(select(Certificate.register_number).where(
        Certificate.decision_id == decision_id, Certificate.status == "issued")).all())


def test_409_while_prepared_once_then_the_zip_and_the_merged_pdf(api, session: Session, app, sent) -> None:
    decision_id, chair = _decision(api, session, app)
    sent.clear()
    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert rv.status_code == 409 and rv.json["error"]["code"] == "batch_preparing", rv.json
    assert "3" in rv.json["error"]["message"]
    # Asked again (the PDF too) while preparing: no second task.
    assert api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.pdf", chair).status_code == 409
    assert api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair).status_code == 409
    batch = session.exec(select(CertificateBatch)).one()
    assert _prepared(sent) == [((batch.id,), {"countdown": None})]

    assert _prepare(app, session, decision_id) == "ready"
    assert _prepare(app, session, decision_id) == "skipped"  # a second delivery does nothing
    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert rv.status_code == 200 and rv.mimetype == "application/zip"
    assert "attachment" in rv.headers["Content-Disposition"] and "61-qd-ubnd" in rv.headers["Content-Disposition"]
    numbers = _issued_numbers(session, decision_id)
    archive = zipfile.ZipFile(io.BytesIO(rv.data))
    assert archive.namelist() == [f"{n}.pdf" for n in numbers] and len(numbers) == 3
    assert numbers[0].startswith("HN-00004-2026-")
    storage = app.extensions["cdht"].storage
    for n in numbers:  # each entry is the certificate's stored, signed PDF, byte for byte
        cert = session.exec(select(Certificate).where(Certificate.register_number == n)).one()
        assert archive.read(f"{n}.pdf") == storage.get(cert.storage_key)

    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.pdf", chair)
    assert rv.status_code == 200 and rv.mimetype == "application/pdf"
    with pikepdf.open(io.BytesIO(rv.data)) as merged:
        assert len(merged.pages) == len(numbers)
    assert len(_prepared(sent)) == 1  # served from storage: nothing more asked


def test_another_ward_is_not_found_and_an_admin_may_download(api, session: Session, app, sent) -> None:
    decision_id, _chair = _decision(api, session, app)
    make_staff(session, "ward_chair", ward="00070", username="chair-other")
    make_staff(session, "ward_reviewer", username="rev-same-ward")
    make_staff(session, "city_admin", ward=None, username="admin-batches")
    for path in ("certificates.zip", "certificates.pdf"):
        rv = api.call("GET", f"/api/v1/decisions/{decision_id}/{path}", api.token("chair-other"))
        assert rv.status_code == 404
    assert session.exec(select(CertificateBatch)).all() == []  # nothing asked for by another ward
    assert api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip",
                    api.token("rev-same-ward")).status_code == 409  # its ward's staff
    assert _prepare(app, session, decision_id) == "ready"
    assert api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.pdf",
                    api.token("admin-batches")).status_code == 200
    assert api.call("GET", "/api/v1/decisions/nope/certificates.zip", api.token("admin-batches")).status_code == 404


def test_nothing_issued_yet_is_a_clear_409(api, session: Session, app, sent) -> None:
    decision_id, chair = _decision(api, session, app, render=False)
    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert (rv.status_code, rv.json["error"]["code"]) == (409, "batch_empty")
    assert _prepared(sent) == []


def test_the_cache_is_reused_and_renewed_after_a_reissue(api, session: Session, app, sent) -> None:
    decision_id, chair = _decision(api, session, app)
    api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert _prepare(app, session, decision_id) == "ready"
    first_zip = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair).data
    assert api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair).data == first_zip
    assert len(session.exec(select(CertificateBatch)).all()) == 1 and len(_prepared(sent)) == 1

    # A correction reissues one certificate: a new listing, a new batch; the old files stay as they were.
    old = session.exec(select(Certificate).where(Certificate.decision_id == decision_id)
                       .order_by(Certificate.register_number)).first()
    rv = api.call("POST", f"/api/v1/certificates/{old.code}/reissue", chair,
                  json={"full_name": "Nguyễn Thị Bích Ngọc", "reason": "Thiếu tên đệm"})
    assert rv.status_code == 201, rv.json
    _render(app, session, rv.json["code"])
    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert (rv.status_code, rv.json["error"]["code"]) == (409, "batch_preparing")
    assert len(_prepared(sent)) == 2
    assert _prepare(app, session, decision_id) == "ready"
    names = zipfile.ZipFile(io.BytesIO(api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip",
                                                chair).data)).namelist()
    assert names == [f"{n}.pdf" for n in _issued_numbers(session, decision_id)]
    assert f"{old.register_number}.pdf" not in names and len(names) == 3
    rows = session.exec(select(CertificateBatch)).all()
    assert len(rows) == 2 and len({r.zip_key for r in rows}) == 2
    storage = app.extensions["cdht"].storage
    assert all(storage.exists(r.zip_key) and storage.exists(r.pdf_key) for r in rows)
    assert storage.get(next(r.zip_key for r in rows if r.count == 3 and f"{old.id}" in r.certificate_ids)) == first_zip


def test_a_failing_batch_is_retried_with_backoff_then_failed_and_retried_from_the_page(
        api, session: Session, app, sent, monkeypatch) -> None:
    decision_id, chair = _decision(api, session, app)
    api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.pdf", chair)

    def broken(pdfs):
        raise RuntimeError("merge failed")

    monkeypatch.setattr(webapp.batch_tasks, "merged_pdf", broken)
    assert len(webapp.batch_tasks.RETRY_DELAYS) == batches.MAX_ATTEMPTS - 1
    for attempt in range(1, batches.MAX_ATTEMPTS + 1):
        sent.clear()
        outcome = _prepare(app, session, decision_id)
        session.expire_all()
        batch = session.exec(select(CertificateBatch)).one()
        assert (batch.attempts, batch.last_error) == (attempt, "RuntimeError: merge failed")
        if attempt < batches.MAX_ATTEMPTS:
            assert (outcome, batch.status) == ("retrying", "preparing")
            delay = webapp.batch_tasks.RETRY_DELAYS[attempt - 1]
            assert _prepared(sent) == [((batch.id,), {"countdown": float(delay)})]
        else:
            assert (outcome, batch.status, _prepared(sent)) == ("failed", "failed", [])
    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert (rv.status_code, rv.json["error"]["code"]) == (409, "batch_failed") and _prepared(sent) == []

    # The chair sees it failed on the decision's page and presses Try again.
    pages = signed_in(app, f"chair-{NUMBER}")
    page = pages.get(f"/chair/decisions/{decision_id}?lang=en").get_data(as_text=True)
    assert "could not be prepared" in page and f"/chair/decisions/{decision_id}/batch" in page
    rv = pages.post(f"/chair/decisions/{decision_id}/batch", data={"csrf_token": csrf(page)})
    assert rv.status_code == 302
    assert len(_prepared(sent)) == 1
    monkeypatch.undo()
    assert _prepare(app, session, decision_id) == "ready"
    page = pages.get(f"/chair/decisions/{decision_id}?lang=en").get_data(as_text=True)
    assert f"/chair/decisions/{decision_id}/certificates.zip" in page
    rv = pages.get(f"/chair/decisions/{decision_id}/certificates.pdf")
    assert rv.status_code == 200 and rv.mimetype == "application/pdf"


def test_a_lost_batch_message_is_sent_again_by_the_sweeper(api, session: Session, app, sent) -> None:
    decision_id, chair = _decision(api, session, app)
    rv = api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair)
    assert rv.status_code == 409  # asked for: preparing, its message lost (recorded, not run)
    batch = session.exec(select(CertificateBatch).where(CertificateBatch.decision_id == decision_id)).one()
    sent.clear()
    cli = app.test_cli_runner()
    assert "0 batches" in cli.invoke(args=["sweep"]).output and _prepared(sent) == []  # within the grace
    batch.requested_at = batch.requested_at - batches.PREPARING_GRACE - timedelta(minutes=1)
    session.add(batch)
    session.commit()
    assert "1 batches" in cli.invoke(args=["sweep"]).output
    assert [args for args, _options in _prepared(sent)] == [(batch.id,)]
    assert "0 batches" in cli.invoke(args=["sweep"]).output  # not again before another grace
    assert _prepare(app, session, decision_id) == "ready"


def test_a_batch_whose_worker_is_lost_each_time_ends_failed(api, session: Session, app, sent) -> None:
    decision_id, chair = _decision(api, session, app)
    assert api.call("GET", f"/api/v1/decisions/{decision_id}/certificates.zip", chair).status_code == 409
    batch = session.exec(select(CertificateBatch).where(CertificateBatch.decision_id == decision_id)).one()
    batch.attempts = batches.MAX_ATTEMPTS  # each attempt's worker was killed (claimed, never given back)
    batch.requested_at = batch.requested_at - batches.PREPARING_GRACE - timedelta(minutes=1)
    session.add(batch)
    session.commit()
    sent.clear()
    assert "0 batches" in app.test_cli_runner().invoke(args=["sweep"]).output and _prepared(sent) == []
    session.expire_all()
    batch = session.get(CertificateBatch, batch.id)
    assert (batch.status, batch.last_error) == ("failed", "worker lost while preparing, attempts exhausted")
