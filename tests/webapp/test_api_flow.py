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
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", rev, json={"action": "approve", "version": version})
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
    # one audit record per transition: create, submit, approve, recognise (+ certificate create)
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == aid).order_by(AuditEvent.id)).all()
    assert events == ["create", "submit", "approve", "recognise"]


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


def test_citizen_cannot_review_or_decide(api, session: Session) -> None:
    me, aid = _register_and_submit(api)
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", me, json={"action": "approve", "version": 2})
    assert rv.status_code == 403
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
    body = {"action": "approve", "version": 2}
    first = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-a"), json=body)
    second = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-b"), json=body)
    assert sorted([first.status_code, second.status_code]) == [200, 409]
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
    body = {"action": "approve", "version": 2}
    api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-fut"), json=body)
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
             json={"action": "approve", "version": 2})
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
    assert session.get(Certificate, cert.id).status in ("queued", "rendering", "issued")
