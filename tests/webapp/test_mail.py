"""E-mail through a real SMTP server (the local catcher): a forgotten password reset by a link that works an hour
and once, the same answer for an unknown or address-less account, notifications of the application's steps and of
the certificate; and the ward's desk reset once the identity is checked."""

import dataclasses
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from closing import close_app
from factories import PASSWORD, citizen_data, csrf, make_citizen, make_staff, scores, signed_in
from mailcatcher import MailCatcher
from sqlmodel import Session, select

from webapp import create_app
from workflows.models import AuditEvent, Citizen, User

ADDRESS = "thu.ha@example.vn"


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
def mail_app(settings, mail: MailCatcher):
    """The app sending real e-mail to the catcher, its tasks run in the request (eager)."""
    application = create_app(dataclasses.replace(settings, mail_url=mail.url, task_always_eager=True,
                                                 login_rate_limit="1000 per minute"))
    yield application
    close_app(application)


def _forgot(client, who: str):
    page = client.get("/password/forgot").get_data(as_text=True)
    return client.post("/password/forgot", data={"csrf_token": csrf(page), "who": who})


def test_a_forgotten_password_is_reset_by_a_link_that_works_once(mail_app, session: Session, mail) -> None:
    _actor, cccd = make_citizen(session, email=ADDRESS)
    client = mail_app.test_client()
    sent = _forgot(client, cccd)
    assert sent.status_code == 200 and "Kiểm tra thư điện tử" in sent.get_data(as_text=True)
    [message] = mail.to(ADDRESS)
    body = MailCatcher.text(message)
    assert cccd not in body and "Nguyễn Văn An" in body  # the reader's name, never their identity number
    path = urlsplit(MailCatcher.link(message)).path
    form = client.get(path)
    assert form.status_code == 200
    differ = client.post(path, data={"csrf_token": csrf(form.get_data(as_text=True)),
                                           "password": "sen-hong-ho-tay-2026", "password_again": "mat-khau-khac"})
    assert differ.status_code == 422 and "không giống nhau" in differ.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": csrf(form.get_data(as_text=True)),
                                         "password": "sen-hong-ho-tay-2026", "password_again": "sen-hong-ho-tay-2026"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    again = client.post(path, data={"csrf_token": csrf(form.get_data(as_text=True)),
                                          "password": "mat-khau-khac-2026", "password_again": "mat-khau-khac-2026"})
    assert again.status_code == 410  # the link worked once
    login = mail_app.test_client()
    page = login.get("/login").get_data(as_text=True)
    assert login.post("/login", data={"csrf_token": csrf(page), "username": cccd,
                                      "password": PASSWORD}).status_code == 401
    assert login.post("/login", data={"csrf_token": csrf(page), "username": cccd,
                                      "password": "sen-hong-ho-tay-2026"}).status_code == 302
    user = session.exec(select(User).where(User.username == cccd)).one()
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == user.id, AuditEvent.event == "change")).one()
    assert audit.detail == {"change": "password_reset", "channel": "email"}


def test_the_answer_is_the_same_for_anyone(mail_app, session: Session, mail) -> None:
    _actor, without_address = make_citizen(session)
    client = mail_app.test_client()
    answers = {_forgot(client, who).get_data(as_text=True).split("<main", 1)[1]
               for who in (without_address, "001099999999", "nobody@example.vn")}
    assert len(answers) == 1  # nothing tells whether an account exists or has an address
    assert mail.messages == []
    assert _forgot(client, "").status_code == 422


def test_a_tampered_or_expired_link_is_refused(mail_app, session: Session, mail, monkeypatch) -> None:
    _actor, _cccd = make_citizen(session, email=ADDRESS.upper())  # kept in lower case
    client = mail_app.test_client()
    _forgot(client, ADDRESS.title())  # an address is matched whatever its case
    path = urlsplit(MailCatcher.link(mail.to(ADDRESS)[0])).path
    assert client.get(path[:-3] + "abc").status_code == 410
    from workflows import password_reset

    monkeypatch.setattr(password_reset, "VALID_FOR_S", -1)  # an hour later
    assert client.get(path).status_code == 410


def test_the_citizen_is_told_of_each_step(mail_app, session: Session, mail, api) -> None:
    from factories import citizen_data

    api = type(api)(mail_app.test_client())  # the API helper, on the app that sends e-mail
    make_staff(session, "ward_reviewer", username="rev-mail")
    make_staff(session, "ward_chair", username="chair-mail")
    data = citizen_data(email=ADDRESS, full_name="Phạm Thu Hà")
    me, aid = api.submitted(data)
    reviewer = api.token("rev-mail")
    assert api.call("POST", f"/api/v1/applications/{aid}/review", reviewer, json={
        "action": "return", "version": 2, "comment": "Bổ sung minh chứng."}).status_code == 200
    assert api.call("POST", f"/api/v1/applications/{aid}/submit", me).status_code == 200
    assert api.call("POST", f"/api/v1/applications/{aid}/review", reviewer, json={
        "action": "approve", "version": 4, "scores": scores(9)}).status_code == 200
    assert api.call("POST", "/api/v1/decisions", api.token("chair-mail"), json={
        "year": 2026, "number": "31/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": [aid]}).status_code == 201
    subjects = [m["Subject"] for m in mail.to(ADDRESS)]
    assert [s.split(" / ")[1] for s in subjects] == [
        "Your application needs more evidence", "Proposed for recognition", "You are recognised",
        "Your certificate is ready"]
    assert all(data["cccd"] not in MailCatcher.text(m) for m in mail.messages)


def test_another_channel_is_one_adapter_more(mail_app, session: Session, mail, api, monkeypatch) -> None:
    """A second channel (a stand-in for SMS) plugs into the same interface: each notice goes out on every channel
    the citizen has an address for, the e-mail still through the catcher."""
    from factories import citizen_data

    from webapp import notifications

    texts: list[tuple[str, str]] = []

    class TextMessages:
        name = "sms"

        def address(self, citizen) -> str | None:
            return citizen.phone

        def deliver(self, to: str, notice: notifications.Notice) -> None:
            texts.append((to, notice.kind))

    real = notifications.channels
    monkeypatch.setattr(notifications, "channels", lambda: (*real(), TextMessages()))
    api = type(api)(mail_app.test_client())
    make_staff(session, "ward_reviewer", username="rev-sms")
    _me, aid = api.submitted(citizen_data(email=ADDRESS, phone="0912345678"))
    assert api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-sms"), json={
        "action": "return", "version": 2, "comment": "Bổ sung minh chứng."}).status_code == 200
    assert texts == [("0912345678", "notify_returned")]
    assert [m["Subject"].split(" / ")[1] for m in mail.to(ADDRESS)] == ["Your application needs more evidence"]
    # Without an address on a channel, that channel is skipped; without any, nothing is sent.
    _other, other_aid = api.submitted(citizen_data(full_name="Lê Văn Tám"))
    assert api.call("POST", f"/api/v1/applications/{other_aid}/review", api.token("rev-sms"), json={
        "action": "return", "version": 2, "comment": "Bổ sung minh chứng."}).status_code == 200
    assert len(texts) == 1 and len(mail.messages) == 1


def test_the_ward_resets_a_forgotten_password_at_its_desk(web, session: Session) -> None:
    _actor, cccd = make_citizen(session)
    # A token the citizen's phone held before: the desk's reset ends it, as the e-mailed reset does.
    before = web.test_client().post("/api/v1/auth/token", json={"username": cccd, "password": PASSWORD}).get_json()
    make_staff(session, "ward_reviewer", username="rev-desk")
    desk = signed_in(web, "rev-desk")
    page = desk.get("/reviewer/citizens/code").get_data(as_text=True)
    refused = desk.post("/reviewer/citizens/code", data={"csrf_token": csrf(page), "cccd": cccd})
    assert refused.status_code == 422 and "thẻ căn cước" in refused.get_data(as_text=True)
    made = desk.post("/reviewer/citizens/code", data={"csrf_token": csrf(page), "cccd": cccd,
                                                     "identity_checked": "yes"})
    assert made.status_code == 200
    code = re.search(r'class="activation-code"><strong>([^<]+)<', made.get_data(as_text=True))
    assert code, "no code on the page"
    client = web.test_client()
    form = client.get("/activate").get_data(as_text=True)
    done = client.post("/activate", data={"csrf_token": csrf(form), "cccd": cccd, "code": code.group(1),
                                          "password": "mat-khau-tai-quay"})
    assert done.status_code == 302
    old_token = {"Authorization": f"Bearer {before['token']}"}
    assert web.test_client().get("/api/v1/me", headers=old_token).status_code == 401
    citizen = session.exec(select(Citizen).where(Citizen.cccd == cccd)).one()
    issued = session.exec(select(AuditEvent).where(AuditEvent.entity_id == citizen.user_id,
                                                   AuditEvent.event == "activation_code")).one()
    assert issued.detail["password_reset"] is True and issued.detail["identity_checked"] is True


def _register(client, data: dict) -> object:
    page = client.get("/citizen/register").get_data(as_text=True)
    born = data["date_of_birth"].split("-")
    form = {k: v for k, v in data.items() if k != "date_of_birth"} | {
        "date_of_birth-year": born[0], "date_of_birth-month": born[1], "date_of_birth-day": born[2],
        "consent": "yes", "csrf_token": csrf(page)}
    return client.post("/citizen/register", data=form)


def test_registering_a_registered_number_tells_the_owner_not_the_registrant(mail_app, session: Session, mail,
                                                                             api) -> None:
    """ADR 43: the page and the API answer as for a new number; nothing is created; the attempt is audited on the
    profile, and its owner (only) is told by e-mail, with what to do if they never registered."""
    owner, cccd = make_citizen(session, email=ADDRESS)
    stranger = citizen_data(cccd=cccd, full_name="Trần Thị Bình", email="khac@example.vn",
                            password="hoa-sen-ho-tay-99")
    fresh = citizen_data(full_name="Trần Thị Bình", password="hoa-sen-ho-tay-99")
    client = mail_app.test_client()
    answers = [_register(client, stranger), _register(client, fresh)]
    assert [(a.status_code, a.headers["Location"]) for a in answers] == [(302, "/login")] * 2
    by_api = [api.call("POST", "/api/v1/citizens", json=d | {"email": None}) for d in (stranger, citizen_data())]
    assert [a.status_code for a in by_api] == [201, 201] and by_api[0].json.keys() == by_api[1].json.keys()
    assert by_api[0].json["full_name"] == "Trần Thị Bình"  # what was sent, as for a new number
    assert session.exec(select(Citizen).where(Citizen.cccd == cccd)).one().full_name == "Nguyễn Văn An"
    attempts = session.exec(select(AuditEvent).where(AuditEvent.entity_id == owner.citizen_id,
                                                     AuditEvent.event == "register_again")).all()
    assert len(attempts) == 2 and all(cccd not in str(a.detail) for a in attempts)
    told = mail.to(ADDRESS)  # by the page's app (the API's sends through its own broker)
    assert len(told) == 1 and not mail.to("khac@example.vn")
    body = MailCatcher.text(told[0])
    assert cccd not in body and "mang thẻ căn cước" in body and "/password/forgot" in body
    assert api.client.post("/api/v1/auth/token", json={"username": cccd, "password": "hoa-sen-ho-tay-99"}
                           ).status_code == 401  # the stranger's password opens nothing
    assert api.token(cccd, PASSWORD)  # the owner's still does
