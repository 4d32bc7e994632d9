"""Access to accounts is audited (sign-in, refused sign-in, sign-out, API tokens issued and revoked) without keeping
what a stranger typed, and signing out ends the session for every copy of its cookie."""

from conftest import PASSWORD
from factories import csrf, make_citizen, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, col, select

from workflows.accounts import UNKNOWN_ACCOUNT
from workflows.models import AuditEvent, User


def _events(session: Session, user_id: str) -> list[tuple[str, dict]]:
    session.expire_all()
    rows = session.exec(select(AuditEvent).where(AuditEvent.entity_id == user_id, AuditEvent.entity_type == "user")
                        .order_by(col(AuditEvent.id))).all()
    return [(r.event, r.detail) for r in rows if r.event != "create"]


def test_page_sign_in_refusal_and_sign_out_are_audited(app: Flask, session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer", username="audited-reviewer")
    session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    refused = client.post("/login", data={"csrf_token": csrf(page), "username": "audited-reviewer",
                                          "password": "not the password"})
    assert refused.status_code == 401
    client = signed_in(app, "audited-reviewer")
    home = client.get("/reviewer/")
    assert home.status_code == 200
    copied_cookie = client.get_cookie("session")
    assert copied_cookie is not None
    out = client.post("/logout", data={"csrf_token": csrf(home.get_data(as_text=True))})
    assert out.status_code == 302
    assert _events(session, reviewer.user_id) == [
        ("sign_in_failed", {"channel": "page", "reason": "password"}),
        ("sign_in", {"channel": "page"}),
        ("sign_out", {"channel": "page"}),
    ]
    # The cookie as it was before signing out (a copy kept by someone else) no longer opens a page.
    thief = app.test_client()
    thief.set_cookie(copied_cookie.key, copied_cookie.value)
    assert thief.get("/reviewer/").status_code == 302


def test_a_sign_in_for_no_account_keeps_nothing_typed(app: Flask, session: Session) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    typed = "001090012345"
    assert client.post("/login", data={"csrf_token": csrf(page), "username": typed,
                                       "password": "whatever-it-is"}).status_code == 401
    rows = session.exec(select(AuditEvent).where(AuditEvent.event == "sign_in_failed")).all()
    assert [(r.entity_id, r.actor_id, r.detail) for r in rows] == [
        (UNKNOWN_ACCOUNT, None, {"channel": "page", "reason": "unknown_account"})]
    assert all(typed not in str(r.model_dump()) for r in rows)


def test_api_tokens_issued_refused_and_revoked_are_audited(app: Flask, session: Session) -> None:
    citizen, cccd = make_citizen(session)
    session.commit()
    client = app.test_client()
    assert client.post("/api/v1/auth/token", json={"username": cccd, "password": "wrong-password"}).status_code == 401
    issued = client.post("/api/v1/auth/token", json={"username": cccd, "password": PASSWORD})
    assert issued.status_code == 200
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    assert client.delete("/api/v1/auth/token", headers=bearer).status_code == 204
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    user_id = session.exec(select(User.id).where(User.username == cccd)).one()
    events = _events(session, user_id)
    assert [e for e, _ in events] == ["sign_in_failed", "sign_in", "token_issue", "token_revoke"]
    assert events[0][1] == {"channel": "api", "reason": "password"}
    assert events[2][1]["token_id"] == events[3][1]["token_id"]
    assert citizen.user_id == user_id
