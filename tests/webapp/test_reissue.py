"""Revocation and reissue through the API and the verification page (ADR 28): a reissued certificate supersedes the
old one, which verifies as superseded and links to the newest; what cannot be reissued is refused with a message."""

import re

from factories import citizen_data, csrf, make_staff, signed_in
from sqlmodel import Session, select

from workflows import holder_counters, register_numbers, rollup_counters
from workflows.models import AuditEvent, Certificate

MISSPELT = "Lê Hoàng Yếm"
NUMBER = "41/QĐ-UBND"


def _render(app, session: Session, code: str) -> Certificate:
    """Run the render task directly for a certificate, as a worker would after the commit."""
    cert_id = session.exec(select(Certificate.id).where(Certificate.code == code)).one()
    assert app.extensions["celery"].tasks["cdht.render_certificate"](cert_id) == "issued"
    session.expire_all()
    cert = session.get(Certificate, cert_id)
    assert cert is not None and cert.status == "issued"
    return cert


def _issued(api, session: Session, app) -> tuple[Certificate, dict[str, str]]:
    """A certificate issued the real way (API decision, render task); the chair's token."""
    make_staff(session, "ward_reviewer", username=f"rev-{NUMBER}")
    make_staff(session, "ward_chair", username=f"chair-{NUMBER}")
    _aid, decision = api.recognised(citizen_data(full_name=MISSPELT), NUMBER)
    return _render(app, session, decision["certificates"][0]["code"]), api.token(f"chair-{NUMBER}")


def _page(client, code: str) -> tuple[int, str]:
    rv = client.get(f"/verify/{code}?lang=en")
    return rv.status_code, rv.get_data(as_text=True)


def test_reissue_supersedes_and_the_old_one_points_to_the_newest(api, session: Session, app, client) -> None:
    old, chair = _issued(api, session, app)
    rv = api.call("POST", f"/api/v1/certificates/{old.code}/reissue", chair,
                  json={"full_name": "Lê Hoàng Yến", "reason": "Sai chính tả tên"})
    assert rv.status_code == 201, rv.json
    assert (rv.json["status"], rv.json["supersedes"]) == ("queued", old.code) and rv.json["code"] != old.code
    assert rv.json["register_number"] == "HN-00004-2026-000002"
    second = _render(app, session, rv.json["code"])  # queued like any certificate, rendered by the task
    assert second.snapshot["holder_name"] == "Lê Hoàng Yến"
    body = api.call("GET", f"/api/v1/verify/{old.code}").json
    assert (body["valid"], body["status"], body["superseded_by"]["code"]) == (False, "superseded", second.code)
    assert body["superseded_by"]["verify_url"].endswith(f"/verify/{second.code}")
    new = api.call("GET", f"/api/v1/verify/{second.code}").json
    assert (new["valid"], new["holder_name"], "superseded_by" in new) == (True, "Lê Hoàng Yến", False)

    # Reissued again (the date of birth, this time): every old one points to the newest.
    rv = api.call("POST", f"/api/v1/certificates/{second.code}/reissue", chair,
                  json={"date_of_birth": "1990-06-17", "reason": "Sai ngày sinh"})
    assert rv.status_code == 201, rv.json
    third = _render(app, session, rv.json["code"])
    for code in (old.code, second.code):
        body = api.call("GET", f"/api/v1/verify/{code}").json
        assert (body["status"], body["superseded_by"]["code"]) == ("superseded", third.code)
        status, html = _page(client, code)
        assert status == 200 and 'class="verify-word">Superseded<' in html
        assert f'href="/verify/{third.code}"' in html
    assert api.call("GET", f"/api/v1/verify/{third.code}").json["valid"] is True
    progress = api.call("GET", f"/api/v1/decisions/{old.decision_id}", chair).json
    assert (progress["total"], progress["issued"], progress["superseded"]) == (1, 1, 2)
    assert rollup_counters.check(session) == [] and holder_counters.check(session) == []
    assert register_numbers.check(session) == []
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == old.id)).all()
    assert "supersede" in events


def test_refusals_say_why(api, session: Session, app) -> None:
    cert, chair = _issued(api, session, app)
    path = f"/api/v1/certificates/{cert.code}/reissue"
    fix = {"full_name": "Lê Hoàng Yến", "reason": "Sai chính tả tên"}
    make_staff(session, "ward_chair", ward="00070", username="chair-other")
    assert api.call("POST", path, api.token("chair-other"), json=fix).status_code == 404
    rv = api.call("POST", path, api.token(f"rev-{NUMBER}"), json=fix)
    assert (rv.status_code, rv.json["error"]["code"]) == (403, "role_not_allowed")
    rv = api.call("POST", path, chair, json={"full_name": "Lê Hoàng Yến"})
    assert (rv.status_code, rv.json["error"]["field_codes"]) == (422, {"reason": "required"})
    rv = api.call("POST", path, chair, json={"date_of_birth": "1991-05-17", "reason": "x"})
    assert (rv.status_code, rv.json["error"]["field_codes"]) == (422, {"date_of_birth": "cccd_birth_mismatch"})
    rv = api.call("POST", path, chair, json={"full_name": MISSPELT, "reason": "x"})
    assert (rv.status_code, rv.json["error"]["code"]) == (422, "nothing_to_correct")
    rv = api.call("POST", f"/api/v1/certificates/{cert.code}/revoke", chair, json={"reason": "Cấp nhầm người"})
    assert rv.status_code == 200
    rv = api.client.post(path, json=fix, headers={**chair, "Accept-Language": "en"})
    assert (rv.status_code, rv.json["error"]["code"]) == (409, "certificate_revoked")
    assert "revoked" in rv.json["error"]["message"]


def test_a_superseded_certificate_cannot_be_reissued_again(api, session: Session, app) -> None:
    cert, chair = _issued(api, session, app)
    fix = {"full_name": "Lê Hoàng Yến", "reason": "Sai chính tả tên"}
    assert api.call("POST", f"/api/v1/certificates/{cert.code}/reissue", chair, json=fix).status_code == 201
    rv = api.client.post(f"/api/v1/certificates/{cert.code}/reissue", json=fix,
                         headers={**chair, "Accept-Language": "en"})
    assert (rv.status_code, rv.json["error"]["code"]) == (409, "certificate_superseded")
    assert "newest" in rv.json["error"]["message"]


def test_revocation_reason_is_shown_on_the_page(api, session: Session, app, client) -> None:
    cert, chair = _issued(api, session, app)
    rv = api.call("POST", f"/api/v1/certificates/{cert.code}/revoke", chair, json={"reason": "x" * 501})
    assert (rv.status_code, rv.json["error"]["field_codes"]) == (422, {"reason": "too_long"})
    rv = api.call("POST", f"/api/v1/certificates/{cert.code}/revoke", chair, json={"reason": "Cấp nhầm người"})
    assert rv.status_code == 200
    status, html = _page(client, cert.code)
    assert status == 200 and re.search(r"Reason for revocation</dt><dd>Cấp nhầm người<", html)
    assert api.call("GET", f"/api/v1/verify/{cert.code}").json["reason"] == "Cấp nhầm người"
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.id,
                                                  AuditEvent.event == "revoke")).one()
    assert audit.detail == {"reason": "Cấp nhầm người"}


def test_the_chair_corrects_and_reissues_or_revokes_on_a_page(api, session: Session, app) -> None:
    cert, _chair = _issued(api, session, app)
    chair = signed_in(app, f"chair-{NUMBER}")
    decision = chair.get(f"/chair/decisions/{cert.decision_id}?lang=en").get_data(as_text=True)
    assert 'action="/chair/certificates"' in decision  # find a certificate by its code
    assert chair.get(f"/chair/certificates?code={cert.code.lower()}").headers["Location"].endswith(cert.code)
    page = chair.get(f"/chair/certificates/{cert.code}?lang=en").get_data(as_text=True)
    assert MISSPELT in page and "Correct and reissue" in page and 'id="revoke-reason"' in page
    # No reason, then a date the CCCD disagrees with: the error summary names the field, nothing changes.
    wrong = {"csrf_token": csrf(page), "full_name": "", "date_of_birth-day": "17", "date_of_birth-month": "5",
             "date_of_birth-year": "1991"}
    for form, field in (({**wrong, "reason": ""}, "reissue-reason"), ({**wrong, "reason": "Sai"}, "date_of_birth-day")):
        rv = chair.post(f"/chair/certificates/{cert.code}/reissue?lang=en", data=form)
        html = rv.get_data(as_text=True)
        assert rv.status_code == 422 and "error-summary" in html and f'href="#{field}"' in html, field
        assert 'value="1991"' in html  # what was typed stays in the form
    rv = chair.post(f"/chair/certificates/{cert.code}/reissue?lang=en", data={
        "csrf_token": csrf(page), "full_name": "Lê Hoàng Yến", "reason": "Sai chính tả tên"})
    assert rv.status_code == 302
    new_code = rv.headers["Location"].rsplit("/", 1)[1]
    assert new_code != cert.code
    old_page = chair.get(f"/chair/certificates/{cert.code}?lang=en").get_data(as_text=True)
    assert f'href="/chair/certificates/{new_code}"' in old_page and "Correct and reissue" not in old_page
    rv = chair.post(f"/chair/certificates/{cert.code}/reissue?lang=en", data={
        "csrf_token": csrf(page), "full_name": "Lê Hoàng Yến", "reason": "Lần nữa"})
    assert rv.status_code == 409 and "already replaced" in rv.get_data(as_text=True)
    # The new one, once issued, is revoked from the page with a reason the verification page shows.
    _render(app, session, new_code)
    rv = chair.post(f"/chair/certificates/{new_code}/revoke?lang=en", data={"csrf_token": csrf(page), "reason": ""})
    assert rv.status_code == 422 and 'href="#revoke-reason"' in rv.get_data(as_text=True)
    rv = chair.post(f"/chair/certificates/{new_code}/revoke", data={"csrf_token": csrf(page),
                                                                     "reason": "Cấp nhầm người"})
    assert rv.status_code == 302
    assert api.call("GET", f"/api/v1/verify/{new_code}").json["reason"] == "Cấp nhầm người"
    # Without the form's token nothing happens; another ward's chair and a reviewer do not find it.
    assert chair.post(f"/chair/certificates/{new_code}/revoke", data={"reason": "x"}).status_code in (400, 403)
    make_staff(session, "ward_chair", ward="00070", username="chair-page-other")
    assert signed_in(app, "chair-page-other").get(f"/chair/certificates/{cert.code}").status_code == 404
    assert signed_in(app, f"rev-{NUMBER}").get(f"/chair/certificates/{cert.code}").status_code == 404
