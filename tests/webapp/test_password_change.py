"""A signed-in person changes their password (V6.2.2, V6.2.3): the current one first; every other device and every
API token is signed out, this browser stays signed in."""

from factories import PASSWORD, csrf, make_citizen, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, select

from workflows.models import AuditEvent

NEW = "sen-hong-ho-tay-2026"


def _change(client, current: str, new: str, again: str | None = None):
    page = client.get("/account/password")
    assert page.status_code == 200
    return client.post("/account/password", data={"csrf_token": csrf(page.get_data(as_text=True)),
                                                   "current_password": current, "password": new,
                                                   "password_again": new if again is None else again})


def test_the_page_asks_the_current_password_and_signs_out_everywhere_else(web: Flask, api, session: Session) -> None:
    actor, cccd = make_citizen(session)
    here, elsewhere = signed_in(web, cccd), signed_in(web, cccd)
    token = api.token(cccd)
    assert "Đổi mật khẩu" in here.get("/citizen/").get_data(as_text=True)  # in the header of every signed-in page
    wrong = _change(here, "not-my-password-1", NEW)
    assert wrong.status_code == 422 and "Đây không phải mật khẩu hiện tại" in wrong.get_data(as_text=True)
    assert _change(here, PASSWORD, NEW, again="something-else-22").status_code == 422
    same = _change(here, PASSWORD, PASSWORD)
    assert same.status_code == 422 and "giống mật khẩu hiện tại" in same.get_data(as_text=True)
    assert _change(here, PASSWORD, cccd + "a").status_code == 422  # the policy: not built on the CCCD
    done = _change(here, PASSWORD, NEW)
    assert done.status_code == 302 and done.headers["Location"].endswith("/citizen/")
    assert here.get("/citizen/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/citizen/").status_code == 302  # the other one is out
    assert api.call("GET", "/api/v1/me", token).status_code == 401  # and so is the token
    assert api.client.post("/api/v1/auth/token", json={"username": cccd, "password": PASSWORD}).status_code == 401
    assert api.token(cccd, NEW)
    [audit] = session.exec(select(AuditEvent).where(AuditEvent.entity_id == actor.user_id,
                                                    AuditEvent.event == "change")).all()
    assert audit.detail == {"change": "password", "channel": "page"}


def test_staff_change_theirs_too(web: Flask, session: Session) -> None:
    make_staff(session, "ward_chair", username="chair-pw")
    client = signed_in(web, "chair-pw")
    assert _change(client, PASSWORD, NEW).status_code == 302
    assert client.get("/chair/").status_code == 200


def test_the_api_changes_it_revokes_every_token_and_limits_wrong_guesses(api, session: Session) -> None:
    _actor, cccd = make_citizen(session)
    token, other = api.token(cccd), api.token(cccd)
    wrong = api.call("PUT", "/api/v1/me/password", token, json={"current_password": "nope-nope-nope",
                                                                 "password": NEW})
    assert wrong.status_code == 422 and wrong.json["error"]["field_codes"] == {"current_password":
                                                                              "current_password_wrong"}
    assert api.call("PUT", "/api/v1/me/password", json={"current_password": PASSWORD, "password": NEW}
                    ).status_code == 401  # signed in only
    assert api.call("PUT", "/api/v1/me/password", token, json={"current_password": PASSWORD, "password": NEW}
                    ).status_code == 204
    assert api.call("GET", "/api/v1/me", token).status_code == 401
    assert api.call("GET", "/api/v1/me", other).status_code == 401
    fresh = api.token(cccd, NEW)
    answers = [api.call("PUT", "/api/v1/me/password", fresh, json={"current_password": "guess-guess-" + str(n),
                                                                   "password": PASSWORD}).status_code
               for n in range(6)]
    assert answers == [422] * 5 + [429]  # five wrong guesses a minute, as at sign-in
