"""The citizen → reviewer → chair path through the JSON API, and who may not do what."""

from factories import PASSWORD, cccd_for, citizen_data, make_citizen, make_staff, scores
from sqlmodel import Session, func, select

from workflows.models import Application, AuditEvent, Certificate


def _register_and_submit(api, ward: str = "00004") -> tuple[dict, str]:
    return api.submitted(citizen_data(ward, full_name="Lê Thị Ể Ỗ Ậ Ữ ỵ", sex="female",
                                      cccd=cccd_for(1990, female=True)))


def test_register_answers_masked_cccd_only(api) -> None:
    data = citizen_data()
    rv = api.call("POST", "/api/v1/citizens", json=data)
    assert rv.status_code == 201
    assert rv.json["cccd_masked"] == data["cccd"][:3] + "******" + data["cccd"][-3:]
    assert data["cccd"] not in rv.get_data(as_text=True)


def test_full_path_to_queued_certificate(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev4")
    make_staff(session, "ward_chair", username="chair4")
    me, aid = _register_and_submit(api)
    rev = api.token("rev4")
    queue = api.call("GET", "/api/v1/review/queue", rev)
    assert queue.json["total"] == 1 and queue.json["items"][0]["id"] == aid
    version = queue.json["items"][0]["version"]
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", rev,
                  json={"action": "approve", "version": version, "confirm_self_scores": True})
    assert rv.status_code == 200 and rv.json["state"] == "approved"
    chair = api.token("chair4")
    rv = api.call("POST", "/api/v1/decisions", chair, json={
        "year": 2026, "number": "15/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": [aid]})
    assert rv.status_code == 201, rv.json
    cert = rv.json["certificates"][0]
    assert cert["application_id"] == aid and cert["status"] == "queued"
    session.expire_all()
    assert session.exec(select(Application.state).where(Application.id == aid)).one() == "recognised"
    row = session.exec(select(Certificate).where(Certificate.code == cert["code"])).one()
    assert row.snapshot["holder_name"] == "Lê Thị Ể Ỗ Ậ Ữ ỵ"
    assert api.call("GET", f"/api/v1/certificates/{cert['code']}/pdf", me).status_code == 409  # not yet rendered
    progress = api.call("GET", f"/api/v1/decisions/{rv.json['id']}", chair).json
    assert progress["total"] == 1
    # one audit record per transition (create, submit, approve, recognise), per activity logged and per edit of the
    # self-scores (change)
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == aid).order_by(AuditEvent.id)).all()
    assert events == ["create", "change", "change", "submit", "approve", "recognise"]


def test_other_ward_reviewer_gets_404(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", ward="00070", username="rev70")
    _me, aid = _register_and_submit(api, ward="00004")
    other = api.token("rev70")
    assert api.call("GET", f"/api/v1/applications/{aid}", other).status_code == 404
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", other, json={"action": "approve", "version": 2})
    assert rv.status_code == 404
    assert api.call("GET", "/api/v1/review/queue", other).json["total"] == 0
    session.expire_all()
    assert session.exec(select(Application.state).where(Application.id == aid)).one() == "submitted"


def test_other_ward_staff_get_404_on_every_staff_route(api, session: Session) -> None:
    """Staff of ward 00070 acting on ward 00004's objects through the staff routes: each one is 'not found'.

    The same calls by ward 00004's own staff reach the object (200, or a state conflict), so the 404s come from
    the ward scope and not from a wrong path, a wrong role or a citizen-only route.
    """
    for role, ward, name in [("ward_reviewer", "00004", "rev-own"), ("ward_chair", "00004", "chair-own"),
                             ("ward_reviewer", "00070", "rev-x"), ("ward_chair", "00070", "chair-x")]:
        make_staff(session, role, ward=ward, username=name)
    own_rev, own_chair, rev_x, chair_x = (api.token(n) for n in ("rev-own", "chair-own", "rev-x", "chair-x"))
    _me, submitted = _register_and_submit(api, ward="00004")
    _me, approved = api.submitted(citizen_data("00004"))
    _me, recognised = api.submitted(citizen_data("00004"))
    for aid in (approved, recognised):
        rv = api.call("POST", f"/api/v1/applications/{aid}/review", own_rev,
                      json={"action": "approve", "version": 2, "scores": scores(9)})
        assert rv.status_code == 200, rv.json
    decision = {"year": 2026, "number": "41/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "A"}
    rv = api.call("POST", "/api/v1/decisions", own_chair, json={**decision, "application_ids": [recognised]})
    assert rv.status_code == 201, rv.json
    decision_id, code = rv.json["id"], rv.json["certificates"][0]["code"]

    review = {"action": "approve", "version": 2, "scores": scores(9)}
    calls = [  # (who from the other ward, method, path, body, what ward 00004's own staff get)
        (rev_x, own_rev, "GET", f"/api/v1/applications/{submitted}", None, 200),
        (rev_x, own_rev, "GET", f"/api/v1/certificates/{code}", None, 200),
        (rev_x, own_rev, "GET", f"/api/v1/decisions/{decision_id}", None, 200),
        (chair_x, own_chair, "GET", f"/api/v1/applications/{approved}", None, 200),
        (chair_x, own_chair, "GET", f"/api/v1/certificates/{code}", None, 200),
        (chair_x, own_chair, "GET", f"/api/v1/certificates/{code}/pdf", None, 409),  # not rendered yet
        (chair_x, own_chair, "GET", f"/api/v1/decisions/{decision_id}", None, 200),
        (chair_x, own_chair, "POST", f"/api/v1/certificates/{code}/revoke", {"reason": "Sai"}, 409),  # not issued
        # The order matters below: the own-ward call changes state, so it goes after the other ward's.
        (rev_x, own_rev, "POST", f"/api/v1/applications/{submitted}/review", review, 200),
        (chair_x, own_chair, "POST", f"/api/v1/decisions/{decision_id}/retry", None, 200),
        (chair_x, own_chair, "POST", "/api/v1/decisions", {**decision, "number": "42/QĐ-UBND",
                                                           "application_ids": [approved]}, 201),
    ]
    for other, own, method, path, body, own_status in calls:
        kwargs = {"json": body} if body is not None else {}
        rv = api.call(method, path, other, **kwargs)
        assert rv.status_code == 404, (method, path, rv.status_code)
        assert rv.json["error"]["code"] == "not_found", (method, path)
        assert api.call(method, path, own, **kwargs).status_code == own_status, (method, path)


def test_citizen_cannot_review_or_decide(api, session: Session) -> None:
    me, aid = _register_and_submit(api)
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", me, json={"action": "approve", "version": 2})
    assert rv.status_code == 403
    # Who first: a malformed verdict from someone who may not review is still a 403, not a list of bad fields.
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", me, json={"action": "nonsense"})
    assert rv.status_code == 403 and rv.json["error"]["code"] == "role_not_allowed"
    assert api.call("POST", "/api/v1/decisions", me, json={"year": "x"}).status_code == 403
    assert api.call("GET", "/api/v1/review/queue", me).status_code == 404
    rv = api.call("POST", "/api/v1/decisions", me, json={"year": 2026, "number": "1", "signed_on": "2026-11-01",
                                                         "signer_name": "X", "application_ids": [aid]})
    assert rv.status_code == 403


def test_another_citizen_cannot_read_application(api, session: Session) -> None:
    _me, aid = _register_and_submit(api)
    _actor, other = make_citizen(session)
    assert api.call("GET", f"/api/v1/applications/{aid}", api.token(other)).status_code == 404


def test_reviewer_cannot_approve_own_application(api, session: Session) -> None:
    # The reviewer's account carries their own CCCD; they also register as a citizen with it, as anyone would.
    data = citizen_data()
    make_staff(session, "ward_reviewer", username="rev-self", cccd=data["cccd"])
    me, aid = api.submitted(data)
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-self"),
                  json={"action": "approve", "version": 2})
    assert rv.status_code == 403
    assert rv.json["error"]["code"] == "own_application"
    assert api.call("GET", f"/api/v1/applications/{aid}", me).json["state"] == "submitted"


def test_approving_a_failing_score_answers_422(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-fail")
    _me, aid = _register_and_submit(api)
    rev = api.token("rev-fail")
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", rev,
                  json={"action": "approve", "version": 2, "scores": scores(9, II_2=4)})
    assert rv.status_code == 422
    assert rv.json["error"]["code"] == "pass_rule_failed"
    assert "scores.II.2" in rv.json["error"]["fields"]
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", rev,
                  json={"action": "approve", "version": 2, "scores": scores(7)})
    assert rv.status_code == 422  # total 70
    session.expire_all()
    assert session.exec(select(Application.state).where(Application.id == aid)).one() == "submitted"


def test_two_approvals_of_the_same_version_one_wins(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-a")
    make_staff(session, "ward_reviewer", username="rev-b")
    _me, aid = _register_and_submit(api)
    body = {"action": "approve", "version": 2, "scores": scores(9)}
    first = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-a"), json=body)
    second = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-b"), json=body)
    assert first.status_code == 200, first.json  # one after the other: the first wins, the second is told why
    # The second finds the application approved already: no approve from there (the state table speaks first).
    assert (second.status_code, second.json["error"]["code"]) == (409, "invalid_transition")
    count = session.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == aid, AuditEvent.event == "approve")).one()
    assert count == 1


def test_return_needs_comment_then_citizen_fixes_and_resubmits(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-r")
    me, aid = _register_and_submit(api)
    rev = api.token("rev-r")
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", rev, json={"action": "return", "version": 2})
    assert rv.status_code == 422 and "comment" in rv.json["error"]["fields"]
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", rev,
                  json={"action": "return", "version": 2, "comment": "Bổ sung minh chứng lớp tin học"})
    assert rv.status_code == 200 and rv.json["state"] == "returned"
    assert api.call("GET", f"/api/v1/applications/{aid}", me).json["review_comment"].startswith("Bổ sung")
    assert api.call("POST", f"/api/v1/applications/{aid}/submit", me).json["state"] == "submitted"


def test_token_is_required_and_wrong_password_refused(api) -> None:
    assert api.call("GET", "/api/v1/me").status_code == 401
    assert api.call("GET", "/api/v1/me", {"Authorization": "Bearer nope"}).status_code == 401
    rv = api.call("POST", "/api/v1/auth/token", json={"username": "nobody", "password": PASSWORD})
    assert rv.status_code == 401 and rv.json["error"]["code"] == "bad_credentials"


def test_errors_speak_english_when_asked(api) -> None:
    rv = api.call("POST", "/api/v1/citizens", {"Accept-Language": "en"}, json={})
    assert rv.status_code == 422
    assert rv.json["error"]["fields"]["cccd"] == "This field is required."
    rv = api.call("POST", "/api/v1/citizens", json={})
    assert rv.json["error"]["fields"]["cccd"] == "Trường này là bắt buộc."


def test_revoked_token_stops_working(api, session: Session) -> None:
    _actor, username = make_citizen(session)
    me = api.token(username)
    assert api.call("GET", "/api/v1/me", me).status_code == 200
    assert api.call("DELETE", "/api/v1/auth/token", me).status_code == 204
    assert api.call("GET", "/api/v1/me", me).status_code == 401


def test_decision_cannot_be_signed_in_the_future(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-fut")
    make_staff(session, "ward_chair", username="chair-fut")
    _me, aid = _register_and_submit(api)
    body = {"action": "approve", "version": 2, "confirm_self_scores": True}
    assert api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-fut"), json=body).status_code == 200
    rv = api.call("POST", "/api/v1/decisions", api.token("chair-fut"), json={
        "year": 2026, "number": "1/QĐ", "signed_on": "2099-01-01", "signer_name": "A", "application_ids": [aid]})
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"signed_on": "date_in_future"}
    session.expire_all()
    assert session.exec(select(Application.state).where(Application.id == aid)).one() == "approved"


def test_password_is_kept_exactly_as_typed(api, client) -> None:
    data = citizen_data(password="  spaced out  ")
    assert api.call("POST", "/api/v1/citizens", json=data).status_code == 201
    assert api.call("POST", "/api/v1/auth/token",
                    json={"username": data["cccd"], "password": "spaced out"}).status_code == 401
    assert api.token(data["cccd"], "  spaced out  ")


def test_chair_retries_failed_certificates_of_own_decision(api, session: Session, app) -> None:
    from workflows import issuance

    make_staff(session, "ward_reviewer", username="rev-retry")
    make_staff(session, "ward_chair", username="chair-retry")
    make_staff(session, "ward_chair", ward="00070", username="chair-other")
    _me, aid = _register_and_submit(api)
    api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-retry"),
             json={"action": "approve", "version": 2, "scores": scores(9)})
    decision = api.call("POST", "/api/v1/decisions", api.token("chair-retry"), json={
        "year": 2026, "number": "7/QĐ", "signed_on": "2026-11-20", "signer_name": "A", "application_ids": [aid]}).json
    cert = session.exec(select(Certificate).where(Certificate.decision_id == decision["id"])).one()
    for _ in range(issuance.MAX_ATTEMPTS):  # an outage exhausts every attempt
        claimed = issuance.claim(session, cert.id)
        issuance.give_back(session, claimed, "storage down", claimed_version=claimed.version)
        session.commit()
    assert api.call("GET", f"/api/v1/decisions/{decision['id']}", api.token("chair-retry")).json["failed"] == 1
    path = f"/api/v1/decisions/{decision['id']}/retry"
    assert api.call("POST", path, api.token("chair-other")).status_code == 404
    rv = api.call("POST", path, api.token("chair-retry"))
    assert rv.status_code == 200 and rv.json == {"requeued": 1}
    session.expire_all()
    requeued = session.get(Certificate, cert.id)  # no worker runs here: the row waits in the queue
    assert (requeued.status, requeued.attempts) == ("queued", 0)


def _approved(api, session: Session, year: int = 2026) -> str:
    """A citizen of ward 00004 registered, submitted for `year` and proposed by the ward's reviewer."""
    _me, aid = api.submitted(citizen_data("00004"), year=year)
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-num"),
                  json={"action": "approve", "version": 2, "scores": scores(9)})
    assert rv.status_code == 200, rv.json
    return aid


def test_decision_numbers_restart_every_year(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-num")
    make_staff(session, "ward_chair", username="chair-num")
    chair = api.token("chair-num")
    last_year, this_year, again = _approved(api, session, 2025), _approved(api, session), _approved(api, session)
    body = {"number": "125/QĐ-UBND", "signer_name": "Nguyễn Văn Thắng"}
    rv = api.call("POST", "/api/v1/decisions", chair,
                  json={**body, "year": 2025, "signed_on": "2025-12-15", "application_ids": [last_year]})
    assert rv.status_code == 201, rv.json
    # Nghị định 30/2020: numbering starts again on 1 January, so 2026 may use 125 again ...
    rv = api.call("POST", "/api/v1/decisions", chair,
                  json={**body, "year": 2026, "signed_on": "2026-11-20", "application_ids": [this_year]})
    assert rv.status_code == 201, rv.json
    # ... but only once in 2026.
    second = {**body, "year": 2026, "signed_on": "2026-11-21", "application_ids": [again]}
    rv = api.call("POST", "/api/v1/decisions", chair, json=second)
    assert rv.status_code == 409
    assert rv.json["error"]["code"] == "decision_exists"
    assert rv.json["error"]["field_codes"] == {"number": "decision_exists"}
    assert rv.json["error"]["fields"]["number"] == "Số quyết định này đã được dùng trong năm 2026 ở phường/xã."
    rv = api.call("POST", "/api/v1/decisions", chair | {"Accept-Language": "en"}, json=second)
    expected = "This decision number is already used in 2026 in the ward or commune."
    assert rv.json["error"]["fields"]["number"] == expected
    # A number belongs to the year of signing: a decision for 2025 signed in January 2026 counts in 2026.
    late = {**body, "year": 2025, "signed_on": "2026-01-10", "application_ids": [_approved(api, session, 2025)]}
    assert api.call("POST", "/api/v1/decisions", chair, json=late).status_code == 409
    session.expire_all()
    assert session.exec(select(Application.state).where(Application.id == again)).one() == "approved"


def test_a_second_decision_number_in_the_same_year_is_refused_by_the_database(app, session: Session) -> None:
    from datetime import date

    import pytest
    from sqlalchemy.exc import IntegrityError

    from workflows.models import Decision

    chair = make_staff(session, "ward_chair", username="chair-db")
    row = {"ward_code": "00004", "number": "7/QĐ-UBND", "signer_name": "A", "created_by": chair.user_id}
    session.add(Decision(year=2025, number_year=2025, signed_on=date(2025, 12, 20), **row))
    session.add(Decision(year=2025, number_year=2026, signed_on=date(2026, 1, 10), **row))
    session.commit()  # the same number in two years of signing: accepted
    session.add(Decision(year=2026, number_year=2026, signed_on=date(2026, 11, 20), **row))
    with pytest.raises(IntegrityError):
        session.commit()  # twice in one year: refused even when two requests race past the domain's check
    session.rollback()


def test_decision_cannot_be_signed_before_its_year(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-num")
    make_staff(session, "ward_chair", username="chair-early")
    aid = _approved(api, session)
    body = {"year": 2026, "number": "3/QĐ-UBND", "signed_on": "2025-12-31", "signer_name": "A",
            "application_ids": [aid]}
    rv = api.call("POST", "/api/v1/decisions", api.token("chair-early"), json=body)
    assert rv.status_code == 422
    assert rv.json["error"]["field_codes"] == {"signed_on": "signed_before_year"}
    assert rv.json["error"]["fields"]["signed_on"] == (
        "Không thể ký quyết định trước khi năm công nhận bắt đầu (ngày 01 tháng 01 năm 2026).")
    rv = api.call("POST", "/api/v1/decisions", api.token("chair-early") | {"Accept-Language": "en"}, json=body)
    assert rv.json["error"]["fields"]["signed_on"] == (
        "The decision cannot be signed before its year begins (1 January 2026).")
    rv = api.call("POST", "/api/v1/decisions", api.token("chair-early"), json=body | {"signed_on": "2026-01-01"})
    assert rv.status_code == 201, rv.json  # the first day of the year is the first day it can be signed


def test_application_for_a_year_not_begun_is_refused(api, session: Session, monkeypatch) -> None:
    from datetime import UTC, datetime

    import workflows.clock

    _actor, username = make_citizen(session)
    me = api.token(username)
    # 31 December 2026, 16:59 UTC: still 23:59 on the 31st in Hà Nội, so 2027 has not begun there.
    monkeypatch.setattr(workflows.clock, "now", lambda: datetime(2026, 12, 31, 16, 59, tzinfo=UTC))
    rv = api.call("POST", "/api/v1/applications", me, json={"year": 2027})
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"year": "year_not_started"}
    assert rv.json["error"]["fields"]["year"] == "Năm 2027 chưa bắt đầu."
    rv = api.call("POST", "/api/v1/applications", me | {"Accept-Language": "en"}, json={"year": 2027})
    assert rv.json["error"]["fields"]["year"] == "Year 2027 has not begun yet."
    # One minute later it is 1 January 2027 in Hà Nội (still 2026 in UTC): the year has begun.
    monkeypatch.setattr(workflows.clock, "now", lambda: datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    rv = api.call("POST", "/api/v1/applications", me, json={"year": 2027})
    assert rv.status_code == 201, rv.json


def test_approving_without_scores_needs_the_reviewer_to_confirm_the_self_scores(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-confirm")
    me, aid = _register_and_submit(api)
    rev = api.token("rev-confirm")
    path = f"/api/v1/applications/{aid}/review"
    rv = api.call("POST", path, rev, json={"action": "approve", "version": 2})
    assert rv.status_code == 422
    assert rv.json["error"]["field_codes"] == {"confirm_self_scores": "confirm_self_scores"}
    assert "xác nhận" in rv.json["error"]["fields"]["confirm_self_scores"]
    partial = {"action": "approve", "version": 2, "scores": {"I.1": 10}}
    rv = api.call("POST", path, rev, json=partial)  # some scores given, the rest not confirmed
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"confirm_self_scores": "confirm_self_scores"}
    assert api.call("GET", f"/api/v1/applications/{aid}", me).json["state"] == "submitted"
    rv = api.call("POST", path, rev, json=partial | {"confirm_self_scores": True})
    assert rv.status_code == 200
    # The reviewer's own score stands; the confirmed self-scores fill the rest, and the audit says so.
    assert rv.json["reviewer_scores"]["I.1"] == 10 and rv.json["reviewer_scores"]["I.2"] == 9
    detail = session.exec(select(AuditEvent.detail).where(AuditEvent.entity_id == aid,
                                                          AuditEvent.event == "approve")).one()
    assert detail["confirmed_self_scores"] is True
