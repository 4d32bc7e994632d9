"""Health endpoints, operator commands and security headers."""

import dataclasses
import socket

from closing import close_app
from factories import cccd_for, csrf, issued_certificate, make_staff, signed_in
from sqlmodel import Session, select

from certificates import S3Storage
from workflows.models import AuditEvent, User


def test_healthz_and_readyz(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json
    assert ready.json["checks"] == {"database": "ok", "broker": "ok", "storage": "ok"}


def test_readyz_reports_a_broken_storage(client, app, tmp_path) -> None:
    runtime = app.extensions["cdht"]
    original = runtime.storage
    from certificates import FileStorage

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    runtime.storage = FileStorage(blocker / "sub")
    try:
        rv = client.get("/readyz")
        assert rv.status_code == 503 and rv.json["checks"]["storage"] != "ok"
    finally:
        runtime.storage = original


def test_an_unreachable_s3_store_is_not_ready_and_a_download_is_503(api, app, session: Session,
                                                                     s3_server) -> None:
    """With the object store down, readiness names the storage and a certificate's PDF is a 503 with a message,
    never a 500; the rest of the API answers."""
    runtime = app.extensions["cdht"]
    original = runtime.storage
    cert = issued_certificate(api, session, app, "41/QĐ-UBND", "Đỗ Minh Châu")
    env = s3_server.env("unused")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port no one listens on
    runtime.storage = S3Storage(s3_server.bucket, "", dataclasses.replace(
        runtime.settings.s3, endpoint_url=f"http://127.0.0.1:{closed.getsockname()[1]}",
        access_key_id=env["AWS_ACCESS_KEY_ID"], secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region="us-east-1"))
    try:
        ready = api.client.get("/readyz")
        assert ready.status_code == 503 and ready.json["checks"]["storage"] == "StorageError"
        chair = api.token("chair-41/QĐ-UBND")
        pdf = api.call("GET", f"/api/v1/certificates/{cert.code}/pdf", chair | {"Accept-Language": "en"})
        assert pdf.status_code == 503 and pdf.json["error"]["code"] == "unavailable", pdf.json
        assert pdf.headers["Retry-After"] == "30"
        assert api.call("GET", f"/api/v1/certificates/{cert.code}", chair).status_code == 200
    finally:
        runtime.storage = original
        closed.close()


def test_users_create_and_bad_ward_exits_2(app, session: Session) -> None:
    runner = app.test_cli_runner()
    typed = "long-enough-1\nlong-enough-1\n"  # asked twice, not echoed
    ok = runner.invoke(args=["users", "create", "--username", "rv1", "--role", "ward_reviewer", "--ward", "00004",
                             "--cccd", cccd_for(1985)], input=typed)
    assert ok.exit_code == 0, ok.output
    assert "long-enough-1" not in ok.output
    on_the_line = runner.invoke(args=["users", "create", "--username", "rv3", "--password", "long-enough-1",
                                      "--role", "ward_reviewer", "--ward", "00004", "--cccd", cccd_for(1987)])
    assert on_the_line.exit_code == 2 and "--password" in on_the_line.output
    without_cccd = runner.invoke(args=["users", "create", "--username", "rv4", "--role", "ward_reviewer", "--ward",
                                       "00004"], input=typed)
    assert without_cccd.exit_code == 2 and "--cccd" in without_cccd.output
    assert session.exec(select(User.ward_code).where(User.username == "rv1")).one() == "00004"
    bad = runner.invoke(args=["users", "create", "--username", "rv2", "--role", "ward_reviewer", "--ward", "12345",
                              "--cccd", cccd_for(1986)], input=typed)
    assert bad.exit_code == 2 and "ward" in bad.output
    assert session.exec(select(User).where(User.username == "rv2")).first() is None


def test_security_headers(client) -> None:
    rv = client.get("/healthz")
    assert "default-src 'self'" in rv.headers["Content-Security-Policy"]
    assert rv.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_api_path_is_json_404(client) -> None:
    rv = client.get("/api/v1/nothing-here")
    assert rv.status_code == 404 and rv.json["error"]["code"] == "not_found"


def test_login_is_rate_limited(client, app) -> None:
    settings = app.extensions["cdht"].settings
    original = settings.login_rate_limit
    settings.login_rate_limit = "3 per minute"
    try:
        codes = [client.post("/api/v1/auth/token", json={"username": "x", "password": "wrong-password"}).status_code
                 for _ in range(4)]
    finally:
        settings.login_rate_limit = original
    assert codes == [401, 401, 401, 429]


def test_pages_are_vietnamese_until_english_is_chosen(client) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="vi">' in page and "Tạo tài khoản" in page
    switched = client.get("/language/en?next=/")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Create an account" in page
    assert client.get("/language/en?next=//evil.example").headers["Location"] == "/"


def test_an_operator_command_names_its_operator_in_the_audit_trail(app, session: Session) -> None:
    """Every command that can change something records who ran it and what they asked, before it runs (even when
    it then fails); identity numbers masked, passwords never; read-only commands record nothing."""
    runner = app.test_cli_runner()
    number = cccd_for(1985)
    typed = "long-enough-1\nlong-enough-1\n"
    ran = runner.invoke(args=["users", "create", "--username", "rv-op", "--role", "ward_reviewer", "--ward", "00004",
                              "--cccd", number], input=typed, env={"CDHT_OPERATOR": "tran.quan.tri"})
    assert ran.exit_code == 0, ran.output
    failed = runner.invoke(args=["citizens", "move", cccd_for(1990), "00070"], env={"SUDO_USER": "le.van.ca",
                                                                                    "CDHT_OPERATOR": ""})
    assert failed.exit_code != 0
    assert runner.invoke(args=["rollup", "check"]).exit_code == 0
    commands = session.exec(select(AuditEvent).where(AuditEvent.event == "command").order_by(AuditEvent.id)).all()
    assert [(c.entity_id, c.detail["operator"]) for c in commands] == [("users create", "tran.quan.tri"),
                                                                     ("citizens move", "le.van.ca")]
    assert commands[0].detail["options"]["cccd"] == f"{number[:3]}******{number[-3:]}"
    assert number not in str([c.detail for c in commands]) and "long-enough-1" not in str(commands[0].detail)


def test_what_a_signed_in_person_sees_is_not_cached_and_sign_out_clears_the_browser(web, api, session: Session
                                                                                  ) -> None:
    make_staff(session, "ward_reviewer", username="rev-cache")
    assert "Cache-Control" not in web.test_client().get("/").headers  # public pages may be cached
    page = signed_in(web, "rev-cache")
    assert page.get("/reviewer/").headers["Cache-Control"] == "no-store"
    assert api.call("GET", "/api/v1/me", api.token("rev-cache")).headers["Cache-Control"] == "no-store"
    out = page.post("/logout", data={"csrf_token": csrf(page.get("/reviewer/").get_data(as_text=True))})
    assert out.status_code == 302 and out.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert page.get("/reviewer/").status_code == 302  # signed out


def test_the_session_cookie_and_reset_links_are_signed_with_sha256(web, session: Session) -> None:
    """HMAC-SHA-256 (a 43-character signature), not itsdangerous' SHA-1 default (27 characters)."""
    from webapp.password_links import read_token, reset_link

    user = make_staff(session, "ward_reviewer", username="rev-sha")
    client = signed_in(web, "rev-sha")
    cookie = client.get_cookie("session")
    assert cookie is not None and len(cookie.value.rsplit(".", 1)[1]) == 43
    with web.app_context():
        token = reset_link(session.get(User, user.user_id)).rsplit("/", 1)[1]
        assert len(token.rsplit(".", 1)[1]) == 43 and read_token(token) is not None


def test_production_cookies_carry_the_host_prefix(settings) -> None:
    """Over HTTPS (production) the session and language cookies are __Host-: Secure, this host only, every path."""
    import dataclasses

    from webapp import create_app

    app = create_app(dataclasses.replace(settings, env="production"))
    try:
        assert app.config["SESSION_COOKIE_NAME"] == "__Host-session" and app.config["SESSION_COOKIE_SECURE"]
        client = app.test_client()
        chosen = client.get("/language/en?next=/help")
        cookie = chosen.headers["Set-Cookie"]
        assert cookie.startswith("__Host-lang=en;") and "Secure" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie and "HttpOnly" in cookie
        assert '<html lang="en"' in client.get("/help").get_data(as_text=True)  # read back under its new name
    finally:
        close_app(app)
