"""Campaigns on the pages, the API and the CLI: refusals outside a period name it and its dates in Vietnamese, staff
see the review deadline and what waits past it, the administrator's form names each bad date (never a 500), only
city administrators reach it, and closing a year is audited with who closed it."""

import re
from datetime import UTC, date, datetime

import pytest
from factories import citizen_data, csrf, make_citizen, make_staff, signed_in, submitted_application
from flask import Flask
from sqlmodel import Session, select

import workflows.clock
from workflows import campaigns
from workflows.actors import SYSTEM_ACTOR
from workflows.inputs import CampaignInput, parse
from workflows.models import AuditEvent, Campaign

pytestmark = pytest.mark.campaign_rules


def at(monkeypatch: pytest.MonkeyPatch, day: date, hour: int = 10) -> None:
    """Move the clock to a day, at an hour of Hà Nội."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - workflows.clock.HANOI_OFFSET
    monkeypatch.setattr(workflows.clock, "now", lambda: moment)


def text(rv) -> str:
    return re.sub(r"\s+", " ", rv.get_data(as_text=True))


def form_for(year: int, ward: str = "", **changed: date) -> dict[str, str]:
    """The admin form's fields for a year's default dates, some changed."""
    values = {**campaigns.default_dates(year), **changed}
    data = {"year": str(year), "ward_code": ward}
    for which, on in values.items():
        data |= {f"{which}-day": str(on.day), f"{which}-month": str(on.month), f"{which}-year": str(on.year)}
    return data


def test_opening_on_the_page_after_the_registration_period_says_so_in_vietnamese(web: Flask, session: Session,
                                                                                  monkeypatch) -> None:
    _actor, username = make_citizen(session)
    at(monkeypatch, date(2026, 12, 2))
    client = signed_in(web, username)
    home = client.get("/citizen/")
    said = "Chỉ mở được hồ sơ năm 2026 trong thời gian đăng ký, từ 01/01/2026 đến 30/11/2026."
    assert said in text(home) and 'action="/citizen/applications"' not in text(home)  # no button to press
    rv = client.post("/citizen/applications", data={"csrf_token": csrf(home.get_data(as_text=True)),
                                                    "year": "2026"}, follow_redirects=True)
    assert rv.status_code == 200 and said in text(rv)


def test_the_api_refuses_opening_and_submitting_outside_their_periods(api, session: Session, monkeypatch) -> None:
    from factories import scores

    data = citizen_data()
    assert api.call("POST", "/api/v1/citizens", json=data).status_code == 201
    me = api.token(data["cccd"], data["password"])
    at(monkeypatch, date(2026, 12, 1))
    rv = api.call("POST", "/api/v1/applications", me, json={"year": 2026})
    assert rv.status_code == 409 and rv.json["error"]["code"] == "registration_closed"
    assert rv.json["error"]["message"] == (
        "Chỉ mở được hồ sơ năm 2026 trong thời gian đăng ký, từ 01/01/2026 đến 30/11/2026.")
    rv = api.call("POST", "/api/v1/applications", me | {"Accept-Language": "en"}, json={"year": 2026})
    assert rv.json["error"]["message"] == (
        "Applications for 2026 can be opened only in the registration period, from 01/01/2026 to 30/11/2026.")
    at(monkeypatch, date(2026, 11, 30))
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    activity = {"title": "Câu lạc bộ đọc sách", "kind": "club", "hours": 12, "started_on": "2026-02-01"}
    assert api.call("POST", f"/api/v1/applications/{aid}/activities", me, json=activity).status_code == 201
    assert api.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me,
                    json={"scores": scores(9)}).status_code == 200
    at(monkeypatch, date(2026, 12, 6))
    rv = api.call("POST", f"/api/v1/applications/{aid}/submit", me)
    assert rv.status_code == 409 and rv.json["error"]["code"] == "self_assessment_closed"
    assert "từ 01/01/2026 đến 05/12/2026" in rv.json["error"]["message"]
    assert api.call("GET", f"/api/v1/applications/{aid}", me).json["state"] == "draft"


def test_closing_a_year_on_the_page_stops_new_applications(web: Flask, session: Session, monkeypatch) -> None:
    at(monkeypatch, date(2026, 6, 1))
    make_staff(session, "city_admin", ward=None, username="admin-close")
    admin = signed_in(web, "admin-close")
    page = admin.get("/admin/campaigns?year=2026")
    assert page.status_code == 200 and "Khóa sổ năm 2026" in text(page)
    token = csrf(page.get_data(as_text=True))
    rv = admin.post("/admin/campaigns/close", data={"csrf_token": token, "year": "2026"})
    assert rv.status_code == 422 and "Đánh dấu vào ô để xác nhận khóa sổ năm." in text(rv)
    rv = admin.post("/admin/campaigns/close", data={"csrf_token": token, "year": "2026", "confirm": "yes"},
                    follow_redirects=True)
    assert rv.status_code == 200 and "Đã khóa sổ năm 2026." in text(rv)
    row = session.exec(select(Campaign).where(Campaign.year == 2026)).one()
    assert row.closed_at is not None and row.ward_code is None
    [audit] = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "campaign")).all()
    assert audit.event == "close" and audit.actor_id == row.closed_by is not None
    _citizen, username = make_citizen(session)
    client = signed_in(web, username)
    home = client.get("/citizen/")
    assert "Năm 2026 đã khóa sổ: không mở hồ sơ mới và không nộp hồ sơ được nữa." in text(home)
    rv = client.post("/citizen/applications", data={"csrf_token": csrf(home.get_data(as_text=True)),
                                                    "year": "2026"}, follow_redirects=True)
    assert "Năm 2026 đã khóa sổ" in text(rv)


def test_the_reviewer_and_the_chair_see_the_deadline_and_the_overdue_count(web: Flask, session: Session,
                                                                            monkeypatch) -> None:
    at(monkeypatch, date(2026, 11, 27))
    ids = [submitted_application(session, make_citizen(session)[0]) for _ in range(2)]
    make_staff(session, "ward_reviewer", username="rev-deadline")
    make_staff(session, "ward_chair", username="chair-deadline")
    reviewer = signed_in(web, "rev-deadline")
    page = text(reviewer.get("/reviewer/"))
    assert "Hạn xét hồ sơ: 10/12/2026</strong>, còn 13 ngày" in page
    assert "Mốc tiếp theo của đợt: Hết hạn đăng ký: 30/11/2026, còn 3 ngày" in page
    assert 'id="overdue-count"' not in page
    at(monkeypatch, date(2026, 12, 12))
    page = text(reviewer.get("/reviewer/"))
    assert "Hạn xét hồ sơ: 10/12/2026</strong>, đã quá hạn 2 ngày" in page
    assert "2 hồ sơ đã nộp vẫn chờ xét khi đã quá hạn xét hồ sơ." in page
    one = text(reviewer.get(f"/reviewer/applications/{ids[0]}"))
    assert 'id="application-overdue"' in one and "Quá hạn: Hạn xét hồ sơ 10/12/2026, đã quá hạn 2 ngày" in one
    chair = text(signed_in(web, "chair-deadline").get("/chair/"))
    assert "Hạn xét hồ sơ: 10/12/2026" in chair and "2 hồ sơ đã nộp vẫn chờ xét" in chair


def test_a_ward_override_set_on_the_page_wins_and_bad_dates_are_named(web: Flask, session: Session,
                                                                      monkeypatch) -> None:
    at(monkeypatch, date(2026, 3, 1))
    make_staff(session, "city_admin", ward=None, username="admin-dates")
    admin = signed_in(web, "admin-dates")
    token = csrf(admin.get("/admin/campaigns?year=2026").get_data(as_text=True))
    bad = form_for(2026, "00070", review_deadline=date(2026, 12, 1)) | {
        "csrf_token": token, "registration_opens-day": "31", "registration_opens-month": "2",
        "mid_year_report_on-year": "2027", "year_end_report_on-day": "x"}
    rv = admin.post("/admin/campaigns", data=bad)
    page = text(rv)
    assert rv.status_code == 422
    assert "Ngày này không có trên lịch (ví dụ 31/02)." in page
    assert "Hạn xét hồ sơ không thể trước hạn tự đánh giá và nộp hồ sơ." in page
    assert "Ngày phải thuộc năm 2026." in page
    assert 'href="#year_end_report_on-day"' in page and 'href="#review_deadline-day"' in page
    assert session.exec(select(Campaign)).all() == []
    rv = admin.post("/admin/campaigns", data={"csrf_token": token, "year": "2026", "ward_code": "00070"})
    assert rv.status_code == 422 and "Cần sửa các mục sau" in text(rv)  # nothing filled in: named, never a 500
    good = form_for(2026, "00070", registration_closes=date(2026, 12, 1), self_assessment_closes=date(2026, 12, 8),
                    review_deadline=date(2026, 12, 12)) | {"csrf_token": token}
    rv = admin.post("/admin/campaigns", data=good, follow_redirects=True)
    assert rv.status_code == 200 and "Đã lưu các mốc thời gian của đợt năm 2026" in text(rv)
    assert 'id="campaign-00070"' in text(rv)
    assert campaigns.for_ward(session, "00070", 2026).registration_closes == date(2026, 12, 1)
    assert campaigns.for_ward(session, "00004", 2026).source == "default"
    at(monkeypatch, date(2026, 12, 1))
    _a, username = make_citizen(session, ward="00070")
    rv = signed_in(web, username).get("/citizen/")
    assert "Thời gian đăng ký năm 2026: từ 01/01/2026 đến 01/12/2026." in text(rv)
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "campaign")).one()
    assert audit.event == "create" and audit.detail["ward_code"] == "00070"


def test_only_city_administrators_reach_the_campaign_page(web: Flask, client, session: Session) -> None:
    assert client.get("/admin/campaigns").status_code == 302  # sign in first
    make_staff(session, "ward_reviewer", username="rev-campaigns")
    make_staff(session, "ward_chair", username="chair-campaigns")
    _a, username = make_citizen(session)
    for who in ("rev-campaigns", "chair-campaigns", username):
        other = signed_in(web, who)
        assert other.get("/admin/campaigns").status_code == 404
        token = csrf(other.get("/login").get_data(as_text=True)) if who == username else None
        rv = other.post("/admin/campaigns/close", data={"csrf_token": token or "", "year": "2026", "confirm": "yes"})
        assert rv.status_code in (400, 404)
    assert session.exec(select(Campaign)).all() == []


def test_the_cli_sets_a_wards_dates_and_closes_a_year_naming_the_operator(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    done = runner.invoke(args=["campaigns", "set", "--year", "2027", "--ward", "00004",
                               "--registration-closes", "2027-10-31"])
    assert done.exit_code == 0, done.output
    assert "00004" in done.output and "registration_closes=2027-10-31" in done.output
    bad = runner.invoke(args=["campaigns", "set", "--year", "2027", "--review-deadline", "2027-12-01"])
    assert bad.exit_code == 2 and "review deadline cannot be before" in bad.output
    listed = runner.invoke(args=["campaigns", "list", "--year", "2027"])
    assert "city (default)" in listed.output and "00004 (ward)" in listed.output
    closed = runner.invoke(args=["campaigns", "close", "--year", "2027", "--operator", "Nguyễn Văn Vận Hành"])
    assert closed.exit_code == 0 and "closed 2027" in closed.output
    audit = session.exec(select(AuditEvent).where(AuditEvent.event == "close")).one()
    assert audit.detail["operator"] == "Nguyễn Văn Vận Hành" and audit.actor_role == "system"
    assert "unchanged" in runner.invoke(args=["campaigns", "close", "--year", "2027"]).output
    refused = runner.invoke(args=["campaigns", "set", "--year", "2027", "--ward", "00070"])
    assert refused.exit_code == 2 and "2027 is closed" in refused.output
    campaigns.set_campaign  # noqa: B018 - the domain function the CLI calls
    assert parse(CampaignInput, campaigns.as_input(2027, None, campaigns.for_ward(session, None, 2027)))
    assert SYSTEM_ACTOR.user_id is None
