"""A citizen's rights over their personal data (ADR 41), through the pages and the API: the download of everything
held about them, requests to correct or delete with their 2-working-day deadline, the ward's answer (an erasure
where the law allows it, a refusal with the legal ground where it does not), the city's count, and the audit of
each step. E-mail is the broker's message (mocked) and the notice it would carry."""

import json
from datetime import UTC, datetime

from factories import PASSWORD, citizen_data, csrf, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, col, select

import workflows.clock
from webapp.notifications import notice_for
from workflows import privacy
from workflows.effects import EffectKind
from workflows.models import Application, AuditEvent, Citizen, ConsentRecord, PrivacyRequest, User

X, Y = "00004", "00070"


def _events(session: Session, entity_id: str) -> list[str]:
    return list(session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == entity_id)
                             .order_by(col(AuditEvent.id))))


def _file(client, kind: str, text: str, field: str = "") -> object:
    page = client.get("/citizen/account").get_data(as_text=True)
    return client.post("/citizen/account", data={"csrf_token": csrf(page), "kind": kind, "field": field,
                                                 "text": text})


def test_the_citizen_downloads_everything_held_about_them_and_no_one_elses(web: Flask, api, session: Session,
                                                                          app: Flask) -> None:
    make_staff(session, "ward_reviewer", ward=X, username="rev-DL/QĐ")
    make_staff(session, "ward_chair", ward=X, username="chair-DL/QĐ")
    data = citizen_data(X, full_name="Lê Hoàng Yến", email="yen@example.org")
    aid, decision = api.recognised(data, "DL/QĐ", year=2025)
    me = api.token(data["cccd"])
    assert api.call("POST", "/api/v1/me/privacy-requests", me,
                    json={"kind": "correction", "field": "phone", "text": "Số đúng là 0912345678"}).status_code == 201

    client = signed_in(web, data["cccd"])
    home = client.get("/citizen/").get_data(as_text=True)
    assert 'href="/citizen/account"' in home
    rv = client.get("/citizen/account/data.json")
    assert rv.status_code == 200 and rv.mimetype == "application/json"
    assert rv.headers["Content-Disposition"].startswith('attachment; filename="cdht-du-lieu-ca-nhan-')
    assert rv.headers["Cache-Control"] == "no-store"
    doc = json.loads(rv.get_data(as_text=True))
    assert doc["format"] == "cdht-personal-data-1"
    assert doc["profile"]["full_name"] == "Lê Hoàng Yến" and doc["profile"]["cccd"] == data["cccd"]
    assert doc["profile"]["email"] == "yen@example.org" and doc["account"]["username"] == data["cccd"]
    assert {c["purpose"] for c in doc["consents"]} == {"recognition", "digital_skills", "contact", "statistics"}
    [application] = doc["applications"]
    assert application["id"] == aid and application["state"] == "recognised" and application["self_scores"]
    assert application["reviewed_by"] == {"role": "ward_reviewer", "ward_code": X}
    assert application["activities"] and "evidence_key" not in application["activities"][0]
    [certificate] = doc["certificates"]
    assert certificate["code"] == decision["certificates"][0]["code"] and "storage_key" not in certificate
    [asked] = doc["privacy_requests"]
    assert asked["field"] == "phone" and asked["state"] == "open"
    events = {(e["entity_type"], e["event"]) for e in doc["audit_events"]}
    assert {("citizen", "register"), ("application", "submit"), ("application", "approve"),
            ("application", "recognise"), ("privacy_request", "file_request")} <= events
    assert {e["actor"] if isinstance(e["actor"], str) else e["actor"]["role"] for e in doc["audit_events"]} >= {
        "you", "ward_reviewer", "ward_chair"}
    # No one else's personal data: no staff account's id or username anywhere in the file.
    text = json.dumps(doc, ensure_ascii=False)
    staff = session.exec(select(User.id, User.username).where(User.role != "citizen")).all()
    assert not [s for s in staff if s[0] in text or s[1] in text]
    citizen_id = doc["profile"]["id"]
    assert _events(session, citizen_id).count("export") == 1

    rv = api.call("GET", "/api/v1/me/data", me)
    assert rv.status_code == 200 and rv.headers["Cache-Control"] == "no-store"
    assert "attachment" in rv.headers["Content-Disposition"] and rv.json["profile"]["id"] == citizen_id
    assert api.call("GET", "/api/v1/me/data", api.token("rev-DL/QĐ")).status_code == 403
    assert _events(session, citizen_id).count("export") == 2


def test_a_correction_is_due_in_two_working_days_and_answered_by_the_ward_only(web: Flask, api, session: Session,
                                                                               monkeypatch, sent) -> None:
    friday = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 27/11/2026, 10:00 in Hà Nội
    monkeypatch.setattr(workflows.clock, "now", lambda: friday)
    make_staff(session, "ward_reviewer", ward=X, username="rev-x")
    make_staff(session, "ward_chair", ward=Y, username="chair-y")
    data = citizen_data(X, full_name="Trần Văn Bình", email="binh@example.org")
    assert api.call("POST", "/api/v1/citizens", json=data).status_code == 201
    client = signed_in(web, data["cccd"])
    bad = _file(client, "correction", "")
    assert bad.status_code == 422  # the kind is chosen but the request has no words
    assert _file(client, "correction", "Tên tôi là Trần Văn Bính", field="full_name").status_code == 302
    page = client.get("/citizen/account").get_data(as_text=True)
    assert "Tên tôi là Trần Văn Bính" in page and "01/12/2026" in page  # Friday + 2 working days: Tuesday
    request = session.exec(select(PrivacyRequest)).one()
    assert request.due_on.isoformat() == "2026-12-01" and request.ward_code == X

    staff = signed_in(web, "rev-x")
    listed = staff.get("/reviewer/privacy")
    assert listed.status_code == 200 and "Trần Văn Bình" in listed.get_data(as_text=True)
    assert data["cccd"] not in listed.get_data(as_text=True)  # masked on staff pages
    assert "Overdue" not in listed.get_data(as_text=True) and "Quá hạn" not in listed.get_data(as_text=True)
    monkeypatch.setattr(workflows.clock, "now", lambda: datetime(2026, 12, 2, 3, 0, tzinfo=UTC))
    late = staff.get("/reviewer/privacy").get_data(as_text=True)
    assert "tag problem" in late
    other = signed_in(web, "chair-y")
    assert other.get(f"/reviewer/privacy/{request.id}").status_code == 404
    assert "Trần Văn Bình" not in other.get("/reviewer/privacy").get_data(as_text=True)
    assert api.call("POST", f"/api/v1/ward/privacy-requests/{request.id}/close", api.token("chair-y"),
                    json={"outcome": "done"}).status_code == 404

    form = staff.get(f"/reviewer/privacy/{request.id}").get_data(as_text=True)
    rv = staff.post(f"/reviewer/privacy/{request.id}", data={"csrf_token": csrf(form), "outcome": "refused"})
    assert rv.status_code == 422  # a refusal needs its reason
    rv = staff.post(f"/reviewer/privacy/{request.id}", data={
        "csrf_token": csrf(form), "outcome": "done", "text": "Đã sửa trong sổ; Giấy công nhận chưa cấp."})
    assert rv.status_code == 302
    session.expire_all()
    closed = session.get(PrivacyRequest, request.id)
    assert closed is not None and closed.state == "done" and closed.closed_at is not None
    assert _events(session, request.id) == ["file_request", "close_request"]
    assert (request.id, "notify_privacy") in [s[1] for s in sent]
    with web.app_context():
        found = notice_for(session, EffectKind.NOTIFY_PRIVACY, request.id)
    assert found is not None and "Đã sửa trong sổ" in found[1].text and data["cccd"] not in found[1].text
    assert "Đã sửa trong sổ" in client.get("/citizen/account").get_data(as_text=True)
    assert api.call("POST", f"/api/v1/ward/privacy-requests/{request.id}/close", api.token("rev-x"),
                    json={"outcome": "done"}).status_code == 409


def test_a_deletion_erases_a_profile_with_nothing_submitted_and_is_refused_otherwise(web: Flask, api,
                                                                                     session: Session) -> None:
    make_staff(session, "ward_chair", ward=X, username="chair-x")
    chair = api.token("chair-x")
    keeper = citizen_data(X, full_name="Phạm Thị Lan")
    api.submitted(keeper)
    leaver = citizen_data(X, full_name="Đỗ Văn Nam", email="nam@example.org", phone="0912345678")
    assert api.call("POST", "/api/v1/citizens", json=leaver).status_code == 201
    mine = api.token(leaver["cccd"])
    assert api.call("POST", "/api/v1/applications", mine, json={"year": 2026}).status_code == 201  # a draft
    theirs = api.token(keeper["cccd"])
    for who in (mine, theirs):
        rv = api.call("POST", "/api/v1/me/privacy-requests", who, json={"kind": "deletion", "text": "Xin xóa"})
        assert rv.status_code == 201 and rv.json["due_on"]
    listed = api.call("GET", "/api/v1/ward/privacy-requests", chair).json["items"]
    assert {i["citizen_name"] for i in listed} == {"Phạm Thị Lan", "Đỗ Văn Nam"}
    assert all("*" in i["cccd_masked"] for i in listed)
    by_name = {i["citizen_name"]: i["id"] for i in listed}

    # Submitted an application: the records must be kept; the page offers the refusal with the legal ground.
    staff = signed_in(web, "chair-x")
    page = staff.get(f"/reviewer/privacy/{by_name['Phạm Thị Lan']}").get_data(as_text=True)
    assert "33/2024/QH15" in page and 'id="outcome-done"' not in page
    rv = api.call("POST", f"/api/v1/ward/privacy-requests/{by_name['Phạm Thị Lan']}/close", chair,
                  json={"outcome": "done"})
    assert rv.status_code == 409 and rv.json["error"]["code"] == "records_must_be_kept" and rv.json["error"]["message"]
    rv = staff.post(f"/reviewer/privacy/{by_name['Phạm Thị Lan']}", data={
        "csrf_token": csrf(page), "outcome": "refused", "text": privacy.LEGAL_GROUND})
    assert rv.status_code == 302
    assert api.call("GET", "/api/v1/me/privacy-requests", theirs).json["items"][0]["state"] == "refused"

    # Nothing submitted, no certificate: erased.
    nam = session.exec(select(Citizen).where(Citizen.cccd == leaver["cccd"])).one()
    registered = _events(session, nam.id)
    rv = api.call("POST", f"/api/v1/ward/privacy-requests/{by_name['Đỗ Văn Nam']}/close", chair,
                  json={"outcome": "done", "text": "Đã xóa"})
    assert rv.status_code == 200 and rv.json["state"] == "done"
    session.expire_all()
    nam = session.get(Citizen, nam.id)
    assert nam is not None and (nam.full_name, nam.email, nam.phone, nam.hamlet) == (privacy.ERASED_NAME, None, None,
                                                                                    None)
    assert nam.date_of_birth.isoformat() == "1990-01-01"
    user = session.get(User, nam.user_id)
    assert user is not None and not user.active and user.display_name == ""
    assert session.exec(select(Application).where(Application.citizen_id == nam.id)).all() == []
    assert all(c.withdrawn_at for c in session.exec(select(ConsentRecord).where(ConsentRecord.citizen_id == nam.id)))
    assert _events(session, nam.id) == [*registered, "erase"]  # the trail is kept, the erasure added
    assert api.call("GET", "/api/v1/me/data", mine).status_code == 401  # signed out everywhere
    rv = api.client.post("/api/v1/auth/token", json={"username": leaver["cccd"], "password": PASSWORD})
    assert rv.status_code == 401


def test_the_city_sees_the_count_of_open_and_overdue_requests(web: Flask, api, session: Session,
                                                             monkeypatch) -> None:
    make_staff(session, "city_admin", ward=None, username="city")
    for ward in (X, Y):
        data = citizen_data(ward)
        assert api.call("POST", "/api/v1/citizens", json=data).status_code == 201
        assert api.call("POST", "/api/v1/me/privacy-requests", api.token(data["cccd"]),
                        json={"kind": "deletion", "text": "Xin xóa"}).status_code == 201
    admin = signed_in(web, "city")
    page = admin.get("/admin/privacy").get_data(as_text=True)
    assert 'id="privacy-open">2<' in page and 'id="privacy-overdue">0<' in page
    assert privacy.city_counts(session) == (2, 0)
    monkeypatch.setattr(workflows.clock, "now", lambda: datetime(2031, 1, 1, tzinfo=UTC))
    assert privacy.city_counts(session) == (2, 2)
    assert 'href="/admin/privacy"' in admin.get("/admin/?year=2026").get_data(as_text=True)
