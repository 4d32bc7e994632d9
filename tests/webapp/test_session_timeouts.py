"""Page sessions end by themselves (ASVS V7.3.1, V7.3.2): after 30 minutes without a request for staff, 2 hours for
citizens, and 12 hours after signing in whatever happens."""

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_citizen, make_staff, signed_in
from flask import Flask
from sqlmodel import Session

import webapp.auth

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
def moved(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The clock sessions read (webapp.auth.wall_clock), moved by the test: set moved[0]."""
    at = [START]
    monkeypatch.setattr(webapp.auth, "wall_clock", lambda: at[0].timestamp())
    return at


def _open(client, path: str) -> int:
    return client.get(path).status_code


def test_staff_are_signed_out_after_thirty_idle_minutes(web: Flask, session: Session, moved) -> None:
    make_staff(session, "ward_reviewer", username="rev-idle")
    client = signed_in(web, "rev-idle")
    moved[0] = START + timedelta(minutes=29)
    assert _open(client, "/reviewer/") == 200
    moved[0] += timedelta(minutes=29)  # active again before 30 minutes passed
    assert _open(client, "/reviewer/") == 200
    moved[0] += timedelta(minutes=31)
    out = client.get("/reviewer/")
    assert out.status_code == 302 and out.headers["Location"].startswith("/login")
    assert "Phiên làm việc đã kết thúc" in client.get("/login").get_data(as_text=True)


def test_citizens_have_two_hours_and_no_session_outlives_twelve(web: Flask, session: Session, moved) -> None:
    _actor, cccd = make_citizen(session)
    client = signed_in(web, cccd)
    for _ in range(7):  # a request every 110 minutes: never idle too long, 12 h 50 min in all
        moved[0] += timedelta(minutes=110)
        if moved[0] - START <= timedelta(hours=12):
            assert _open(client, "/citizen/") == 200
    assert _open(client, "/citizen/") == 302  # 12 hours after signing in, whatever happened
    again = signed_in(web, cccd)
    moved[0] += timedelta(minutes=121)
    assert _open(again, "/citizen/") == 302  # and two idle hours end a citizen's session
