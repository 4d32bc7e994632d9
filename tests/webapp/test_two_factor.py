"""Two-step sign-in for staff (ADR 39): enrolment on its page, the code after the password on the page and the API,
recovery codes used once, a pending sign-in that expires, the per-account limit, the rule that staff enrol first when
required, and the administrator's and the operator's reset; every step audited, the secret in none."""

import base64
import dataclasses
import html as html_text
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import zxingcpp
from closing import close_app
from conftest import PASSWORD
from factories import csrf, make_citizen, make_staff, signed_in
from flask import Flask
from PIL import Image
from sqlmodel import Session, col, select

import workflows.clock
from webapp import create_app
from webapp.config import Settings
from workflows import totp, two_factor
from workflows.models import ApiToken, AuditEvent, RecoveryCode, User


@pytest.fixture
def required(app: Flask, settings: Settings) -> Iterator[Flask]:
    """The app as production runs it: staff must turn on two-step sign-in."""
    application = create_app(dataclasses.replace(settings, staff_totp_required=True,
                                                 login_rate_limit="1000 per minute"))
    yield application
    close_app(application)


def _key(app: Flask) -> bytes:
    return app.extensions["cdht"].settings.totp_sealing_key


def _user(session: Session, username: str) -> User:
    session.expire_all()
    return session.exec(select(User).where(User.username == username)).one()


def _enrolled(app: Flask, session: Session, username: str) -> tuple[str, list[str]]:
    """Enrol an account directly (the page is tested on its own): its secret and recovery codes."""
    user = _user(session, username)
    secret = two_factor.start(session, user, _key(app)).grouped.replace(" ", "")
    codes = two_factor.confirm(session, user, _key(app), totp.code_at(secret, workflows.clock.now()))
    session.commit()
    return secret, codes


def _later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    moment = workflows.clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(workflows.clock, "now", lambda: moment)


def _password_step(app: Flask, username: str) -> tuple[object, object]:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    rv = client.post("/login", data={"csrf_token": csrf(page), "username": username, "password": PASSWORD})
    return client, rv


def _code_step(client: object, code: str) -> object:
    page = client.get("/login/code")  # type: ignore[attr-defined]
    return client.post("/login/code", data={"csrf_token": csrf(page.get_data(as_text=True)),  # type: ignore[attr-defined]
                                            "code": code})


def _events(session: Session, user_id: str) -> list[tuple[str, dict]]:
    session.expire_all()
    rows = session.exec(select(AuditEvent).where(AuditEvent.entity_id == user_id).order_by(col(AuditEvent.id)))
    return [(r.event, r.detail) for r in rows if r.event != "create"]


def test_enrolment_page_shows_the_key_and_confirms_with_a_code(web: Flask, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="enrolling-reviewer")
    client = signed_in(web, "enrolling-reviewer")
    intro = client.get("/account/two-factor").get_data(as_text=True)
    assert "<img" not in intro  # no key until asked for: a GET changes nothing
    assert client.post("/account/two-factor", data={"csrf_token": csrf(intro), "step": "start"}).status_code == 302
    page = client.get("/account/two-factor")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'src="data:image/png;base64,' in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    grouped = re.search(r'<p class="secret-key" lang="en"><code>([A-Z2-7 ]+)</code>', html).group(1)
    secret = grouped.replace(" ", "")
    uri = f"otpauth://totp/CDHT%20H%C3%A0%20N%E1%BB%99i%3Aenrolling-reviewer?secret={secret}"
    assert uri in html
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))
    image = Image.open(io.BytesIO(png)).convert("L")
    image = image.resize((image.width * 4, image.height * 4), Image.NEAREST)
    read = zxingcpp.read_barcodes(image)
    assert [r.text for r in read] == [html_text.unescape(re.search(r'<code>(otpauth://[^<]+)</code>', html).group(1))]
    assert read[0].text.startswith(uri)  # the QR code an app scans carries the same key
    assert client.get("/account/two-factor").get_data(as_text=True).count(grouped) == 1  # the same key on reload
    user = _user(session, "enrolling-reviewer")
    assert user.totp_secret and secret not in user.totp_secret  # sealed at rest
    assert user.totp_enrolled_at is None

    wrong = client.post("/account/two-factor", data={"csrf_token": csrf(html), "code": "000000"
                        if totp.code_at(secret, workflows.clock.now()) != "000000" else "111111"})
    assert wrong.status_code == 422
    done = client.post("/account/two-factor", data={"csrf_token": csrf(html),
                                                    "code": totp.code_at(secret, workflows.clock.now())})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    user = _user(session, "enrolling-reviewer")
    assert user.totp_enrolled_at is not None
    hashes = session.exec(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(c.replace("-", "") in h for c in codes for h in hashes)
    assert client.get("/reviewer/").status_code == 200  # this session goes on
    assert ("two_factor_enrol", {"recovery_codes": 10}) in _events(session, user.id)
    every_audit = str([r.model_dump() for r in session.exec(select(AuditEvent))])
    assert secret not in every_audit and grouped not in every_audit


def test_the_session_starts_only_after_the_code(web: Flask, session: Session,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    reviewer = make_staff(session, "ward_reviewer", username="two-step-reviewer")
    secret, _codes = _enrolled(web, session, "two-step-reviewer")
    client, rv = _password_step(web, "two-step-reviewer")
    assert rv.status_code == 302 and rv.headers["Location"].endswith("/login/code")
    assert client.get("/reviewer/").headers["Location"].startswith("/login")  # not signed in yet
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page and 'for="code"' in page
    refused = _code_step(client, "12345x")
    assert refused.status_code == 401
    _later(monkeypatch, 30)
    accepted = _code_step(client, totp.code_at(secret, workflows.clock.now()))
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/reviewer/")
    assert client.get("/reviewer/").status_code == 200
    # The same code again, from another browser that knows the password: refused (a code works once).
    other, _ = _password_step(web, "two-step-reviewer")
    assert _code_step(other, totp.code_at(secret, workflows.clock.now())).status_code == 401
    events = [e for e in _events(session, reviewer.user_id) if e[0] != "two_factor_enrol"]
    assert events == [
        ("password_accepted", {"channel": "page"}),
        ("sign_in_failed", {"channel": "page", "reason": "otp"}),
        ("sign_in", {"channel": "page", "factor": "totp"}),
        ("password_accepted", {"channel": "page"}),
        ("sign_in_failed", {"channel": "page", "reason": "otp"}),
    ]


def test_the_pending_sign_in_expires_after_five_minutes(web: Flask, session: Session,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff(session, "ward_chair", username="slow-chair")
    secret, _ = _enrolled(web, session, "slow-chair")
    client, _ = _password_step(web, "slow-chair")
    page = client.get("/login/code").get_data(as_text=True)
    _later(monkeypatch, 5 * 60 + 31)
    late = client.post("/login/code", data={"csrf_token": csrf(page),
                                            "code": totp.code_at(secret, workflows.clock.now())})
    assert late.status_code == 401
    assert "Đăng nhập quá lâu" in late.get_data(as_text=True) or "took too long" in late.get_data(as_text=True)
    assert client.get("/chair/").headers["Location"].startswith("/login")


def test_a_recovery_code_signs_in_once(web: Flask, session: Session) -> None:
    chair = make_staff(session, "ward_chair", username="phone-lost-chair")
    _secret, codes = _enrolled(web, session, "phone-lost-chair")
    client, _ = _password_step(web, "phone-lost-chair")
    assert _code_step(client, codes[3].lower().replace("-", " ")).status_code == 302  # typed loosely
    again, _ = _password_step(web, "phone-lost-chair")
    assert _code_step(again, codes[3]).status_code == 401
    assert _code_step(again, codes[4]).status_code == 302
    events = _events(session, chair.user_id)
    assert ("recovery_code_use", {"channel": "page", "left": 9}) in events
    assert ("recovery_code_use", {"channel": "page", "left": 8}) in events
    assert ("sign_in", {"channel": "page", "factor": "recovery_code"}) in events


def test_api_token_asks_for_the_code_of_enrolled_staff(web: Flask, session: Session,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff(session, "city_admin", ward=None, username="api-admin-2fa")
    secret, codes = _enrolled(web, session, "api-admin-2fa")
    client = web.test_client()
    body = {"username": "api-admin-2fa", "password": PASSWORD}
    asked = client.post("/api/v1/auth/token", json=body)
    assert asked.status_code == 401 and asked.json["error"]["code"] == "otp_required"
    assert "mã" in asked.json["error"]["message"]  # Vietnamese by default
    english = client.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "en"})
    assert "6-digit code" in english.json["error"]["message"]
    wrong = client.post("/api/v1/auth/token", json=body | {"otp": "000000"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "otp_invalid"
    _later(monkeypatch, 30)
    ok = client.post("/api/v1/auth/token", json=body | {"otp": totp.code_at(secret, workflows.clock.now())})
    assert ok.status_code == 200 and ok.json["role"] == "city_admin"
    replay = client.post("/api/v1/auth/token", json=body | {"otp": totp.code_at(secret, workflows.clock.now())})
    assert replay.status_code == 401 and replay.json["error"]["code"] == "otp_invalid"
    assert client.post("/api/v1/auth/token", json=body | {"otp": codes[0]}).status_code == 200
    # Citizens are never asked.
    _citizen, cccd = make_citizen(session)
    session.commit()
    assert client.post("/api/v1/auth/token", json={"username": cccd, "password": PASSWORD}).status_code == 200


def test_wrong_codes_count_against_the_account(web: Flask, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="guessed-reviewer")
    secret, _ = _enrolled(web, session, "guessed-reviewer")
    client, _ = _password_step(web, "guessed-reviewer")
    page = client.get("/login/code").get_data(as_text=True)
    statuses = [client.post("/login/code", data={"csrf_token": csrf(page), "code": "99999" + str(n)}).status_code
                for n in range(5)]
    assert statuses == [401] * 5
    # The account now waits, even with the right code, and its password step too.
    right = client.post("/login/code", data={"csrf_token": csrf(page),
                                             "code": totp.code_at(secret, workflows.clock.now())})
    assert right.status_code == 429
    _other, rv = _password_step(web, "guessed-reviewer")
    assert rv.status_code == 429


def test_staff_must_enrol_first_when_required(required: Flask, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="new-reviewer-2fa")
    client, rv = _password_step(required, "new-reviewer-2fa")
    assert rv.status_code == 302 and rv.headers["Location"].endswith("/account/two-factor")
    for path in ("/reviewer/", "/reviewer/digital", "/"):
        assert client.get(path).headers.get("Location", "").endswith("/account/two-factor"), path
    assert client.get("/help").status_code == 200
    api = required.test_client().post("/api/v1/auth/token", json={"username": "new-reviewer-2fa",
                                                                  "password": PASSWORD})
    assert api.status_code == 401 and api.json["error"]["code"] == "otp_enrolment_required"
    intro = client.get("/account/two-factor").get_data(as_text=True)
    client.post("/account/two-factor", data={"csrf_token": csrf(intro), "step": "start"})
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    done = client.post("/account/two-factor", data={"csrf_token": csrf(html),
                                                    "code": totp.code_at(secret, workflows.clock.now())})
    assert done.status_code == 200
    assert client.get("/reviewer/").status_code == 200
    # Required: it cannot be turned off; citizens are never asked.
    assert "Turn off" not in client.get("/account/two-factor", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    _citizen, cccd = make_citizen(session)
    session.commit()
    citizen, rv = _password_step(required, cccd)
    assert rv.headers["Location"].endswith("/citizen/")
    assert citizen.get("/account/two-factor").status_code == 404


def test_staff_may_turn_it_off_with_a_code_when_not_required(web: Flask, session: Session,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reviewer = make_staff(session, "ward_reviewer", username="off-reviewer")
    secret, _ = _enrolled(web, session, "off-reviewer")
    client, _ = _password_step(web, "off-reviewer")
    _later(monkeypatch, 30)
    assert _code_step(client, totp.code_at(secret, workflows.clock.now())).status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert client.post("/account/two-factor/off", data={"csrf_token": csrf(page), "code": "000001"}).status_code \
        == 422
    assert [client.post("/account/two-factor/off", data={"csrf_token": csrf(page), "code": f"00000{n}"}).status_code
            for n in range(2, 7)] == [422, 422, 422, 422, 429]  # guessing is limited as at sign-in
    monkeypatch.setattr(web.extensions["cdht"].settings, "login_account_limit", "1000 per minute")
    _later(monkeypatch, 30)
    off = client.post("/account/two-factor/off", data={"csrf_token": csrf(page),
                                                       "code": totp.code_at(secret, workflows.clock.now())})
    assert off.status_code == 302 and off.headers["Location"].endswith("/login")
    user = _user(session, "off-reviewer")
    assert (user.totp_secret, user.totp_enrolled_at) == (None, None)
    assert ("two_factor_disable", {}) in _events(session, reviewer.user_id)
    assert signed_in(web, "off-reviewer").get("/reviewer/").status_code == 200  # the password alone again


def test_the_city_administrator_resets_it_and_ends_every_session(web: Flask, session: Session) -> None:
    admin = make_staff(session, "city_admin", ward=None, username="resetting-admin")
    reviewer = make_staff(session, "ward_reviewer", username="reset-reviewer")
    secret, _ = _enrolled(web, session, "reset-reviewer")
    next_code = totp.code_at(secret, workflows.clock.now() + timedelta(seconds=30))  # the enrolment's step is used
    token = web.test_client().post("/api/v1/auth/token", json={
        "username": "reset-reviewer", "password": PASSWORD, "otp": next_code})
    assert token.status_code == 200
    admin_client = signed_in(web, "resetting-admin")
    listing = admin_client.get("/admin/staff").get_data(as_text=True)
    assert f"/admin/staff/{reviewer.user_id}/two-factor/reset" in listing
    rv = admin_client.post(f"/admin/staff/{reviewer.user_id}/two-factor/reset", data={"csrf_token": csrf(listing)})
    assert rv.status_code == 302
    user = _user(session, "reset-reviewer")
    assert (user.totp_secret, user.totp_enrolled_at, user.totp_last_step) == (None, None, None)
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one().revoked_at is not None
    row = session.exec(select(AuditEvent).where(AuditEvent.event == "two_factor_reset")).one()
    assert (row.actor_id, row.entity_id, row.detail) == (admin.user_id, reviewer.user_id, {"was": "enrolled"})
    assert signed_in(web, "reset-reviewer").get("/reviewer/").status_code == 200  # the password alone again
    # Not for another role, nor for a citizen's account.
    other = signed_in(web, "reset-reviewer")
    page = other.get("/reviewer/").get_data(as_text=True)
    assert other.post(f"/admin/staff/{reviewer.user_id}/two-factor/reset",
                      data={"csrf_token": csrf(page)}).status_code == 404
    citizen, _cccd = make_citizen(session)
    session.commit()
    assert admin_client.post(f"/admin/staff/{citizen.user_id}/two-factor/reset",
                             data={"csrf_token": csrf(listing)}).status_code == 404


def test_the_operator_resets_it_from_the_command_line(web: Flask, session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer", username="cli-reset-reviewer")
    _enrolled(web, session, "cli-reset-reviewer")
    make_staff(session, "city_admin", ward=None, username="cli-admin")
    runner = web.test_cli_runner()
    result = runner.invoke(args=["users", "reset-2fa", "cli-reset-reviewer", "--by", "cli-admin"])
    assert result.exit_code == 0, result.output
    assert _user(session, "cli-reset-reviewer").totp_enrolled_at is None
    row = session.exec(select(AuditEvent).where(AuditEvent.event == "two_factor_reset")).one()
    assert (row.entity_id, row.actor_role) == (reviewer.user_id, "city_admin")
    unknown = runner.invoke(args=["users", "reset-2fa", "nobody-here"])
    assert unknown.exit_code == 2


def test_a_sealed_secret_opens_only_for_its_account_and_key() -> None:
    key, other_key, secret = b"k" * 32, b"o" * 32, totp.new_secret()
    sealed = two_factor.seal(key, "account-1", secret)
    assert secret not in sealed and two_factor.seal(key, "account-1", secret) != sealed  # a fresh nonce each time
    assert two_factor.unseal(key, "account-1", sealed) == secret
    assert two_factor.unseal(key, "account-2", sealed) is None  # copied to another account's row
    assert two_factor.unseal(other_key, "account-1", sealed) is None  # another TOTP_KEY
    raw = bytearray(sealed.encode())
    raw[-5] = ord("A") if raw[-5] != ord("A") else ord("B")
    assert two_factor.unseal(key, "account-1", raw.decode()) is None  # changed
