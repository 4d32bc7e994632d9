"""Passwords (ASVS 6.2): at least 10 characters, not a common one, not built on the person's own details; and the
limits on sign-in (per address and, for refusals, per account), registration and verification."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from conftest import PASSWORD
from factories import citizen_data, make_citizen
from flask import Flask
from sqlmodel import Session

from workflows.passwords import problem

BORN = date(1990, 2, 1)
PERSON = {"cccd": "001090012345", "name": "Nguyễn Văn Hùng", "born": BORN}


@pytest.mark.parametrize(("password", "code"), [
    ("short1", "password_too_short"),
    ("123456789", "password_too_short"),
    ("1234567890", "password_too_common"),
    ("0987654321", "password_too_common"),
    ("qwertyuiop", "password_too_common"),
    ("aaaaaaaaaaaa", "password_too_common"),
    ("matkhau2024!", "password_too_common"),
    ("Mật khẩu 123", "password_too_common"),
    ("anhyeuem1990", "password_too_common"),
    ("Password@2026", "password_too_common"),
    ("so cua toi: 001090012345", "password_personal"),  # the CCCD
    ("toi la 012345 day", "password_personal"),  # its last six digits
    ("sinh ngay 01021990", "password_personal"),  # the date of birth
    ("Nguyen Van Hung!!", "password_personal"),  # the name, without its marks
    ("Hùng ơi 2026 nhé", "password_personal"),  # a word of the name
    ("xe đạp đỏ trên đê", None),
    ("Hoa sen nở 2024", None),
    ("test-password-1", None),
])
def test_what_a_new_password_must_not_be(password: str, code: str | None) -> None:
    assert problem(password, **PERSON) == code  # type: ignore[arg-type]


def test_registration_refuses_a_password_built_on_the_persons_details(client) -> None:
    data = citizen_data()
    for password, code in ((data["cccd"] + "x", "password_personal"), ("matkhau-2026", "password_too_common"),
                           ("ngắn quá", "password_too_short")):
        rv = client.post("/api/v1/citizens", json=data | {"password": password})
        assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"password": code}, rv.json
        assert rv.json["error"]["fields"]["password"]  # a sentence in the user's language
    assert client.post("/api/v1/citizens", json=data).status_code == 201


@contextmanager
def _limit(app: Flask, name: str, value: str) -> Iterator[None]:
    settings = app.extensions["cdht"].settings
    original = getattr(settings, name)
    setattr(settings, name, value)
    try:
        yield
    finally:
        setattr(settings, name, original)


def test_refusals_count_against_the_account_and_not_its_neighbours(app: Flask, client, session: Session) -> None:
    _citizen, cccd = make_citizen(session)
    _other, neighbour = make_citizen(session)
    token = "/api/v1/auth/token"
    with _limit(app, "login_account_limit", "3 per minute"):
        # Signing in as oneself again and again is not held back: only refusals count.
        assert [client.post(token, json={"username": cccd, "password": PASSWORD}).status_code
                for _ in range(4)] == [200] * 4
        codes = [client.post(token, json={"username": f" {cccd} ", "password": "wrong-password"}).status_code
                 for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        # The account waits out its minute, even with the right password; the neighbour, at the same address, not.
        assert client.post(token, json={"username": cccd, "password": PASSWORD}).status_code == 429
        assert client.post(token, json={"username": neighbour, "password": PASSWORD}).status_code == 200


def test_registration_and_verification_are_limited_per_address(app: Flask, client) -> None:
    with _limit(app, "registration_rate_limit", "2 per minute"):
        codes = [client.post("/api/v1/citizens", json=citizen_data()).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    with _limit(app, "verify_rate_limit", "2 per minute"):
        codes = [client.get("/api/v1/verify/AAAAA-BBBBB").status_code for _ in range(3)]
        pages = [client.get("/verify/AAAAA-BBBBB").status_code for _ in range(3)]
    assert codes == [200, 200, 429] and pages == [404, 404, 429]  # the API says "unknown" in a 200
