"""Who is asking: bearer tokens for the API, cookie sessions (flask-login) for pages, both as a domain Actor."""

import time
from datetime import timedelta
from typing import Any

from flask import Flask, flash, g, request, session
from flask_babel import gettext
from flask_login import LoginManager, UserMixin, current_user, logout_user, user_logged_in

from workflows import accounts
from workflows.actors import Actor
from workflows.errors import DomainError
from workflows.models import User

from .database import db

login_manager = LoginManager()

# How long a page session lasts (ASVS V7.3): signed out after this long without a request, and this long after
# signing in whatever happens. Staff hold every citizen of their ward: a shorter idle time than a citizen filling in
# their own application on a phone. The cookie's own lifetime (PERMANENT_SESSION_LIFETIME) is the outer bound.
IDLE = {"citizen": timedelta(minutes=120)}
STAFF_IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
SIGNED_IN_AT, SEEN_AT = "signed_in_at", "seen_at"
SEEN_EVERY = 60  # seconds: the last request's time is written at most once a minute (fewer cookies sent back)


def wall_clock() -> float:
    """Seconds since the epoch, as sessions measure them: the machine's clock, not the domain's (workflows.clock,
    which tests move to other days of the campaign without meaning to sign anyone out)."""
    return time.time()


class Unauthorized(DomainError):
    """No valid credentials were sent."""

    status = 401
    code = "unauthorized"


class SessionUser(UserMixin):
    """A cookie-session user; the id carries the session version so a bump signs every session out."""

    def __init__(self, user: User, citizen_id: str | None = None, ward_name: str | None = None) -> None:
        self.user = user
        self.citizen_id = citizen_id
        self.ward_name = ward_name  # a staff member's ward, named in the header
        self.id = f"{user.id}:{user.session_version}"


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    user_id, _, version = session_id.partition(":")
    found = accounts.session_user(db(), user_id)  # the user, their citizen profile, their ward: one statement
    if found is None or not found[0].active or str(found[0].session_version) != version:
        return None
    return SessionUser(*found)


def bearer_actor() -> Actor:
    """The API caller from `Authorization: Bearer`, or Unauthorized."""
    if "actor" in g:
        return g.actor  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    actor = accounts.token_actor(db(), token.strip()) if scheme.lower() == "bearer" and token else None
    if actor is None:
        raise Unauthorized()
    g.actor = actor
    return actor


def page_actor() -> Actor | None:
    """The signed-in page user as an Actor, or None."""
    if not current_user.is_authenticated:
        return None
    if "page_actor" not in g:
        g.page_actor = accounts.actor_of(current_user.user, current_user.citizen_id)
    return g.page_actor  # type: ignore[no-any-return]


def _started(_app: Any, **_extra: Any) -> None:
    """Every sign-in (password, code, activation, a changed password) starts the session's clocks."""
    moment = wall_clock()
    session[SIGNED_IN_AT] = session[SEEN_AT] = moment


def _expire_idle_or_old() -> None:
    """Sign a page session out once it was idle too long or began too long ago; otherwise note this request."""
    if request.endpoint == "static" or "_user_id" not in session or not current_user.is_authenticated:
        return  # a stylesheet or a font is no activity, and needs no user loaded for it
    moment = wall_clock()
    started = float(session.get(SIGNED_IN_AT) or moment)
    seen = float(session.get(SEEN_AT) or moment)
    idle = IDLE.get(current_user.user.role, STAFF_IDLE)
    if moment - seen > idle.total_seconds() or moment - started > ABSOLUTE.total_seconds():
        logout_user()
        for key in (SIGNED_IN_AT, SEEN_AT):
            session.pop(key, None)
        flash(gettext("Your session has ended (a while without activity, or 12 hours after signing in). Sign in "
                      "again."))
        return
    session.setdefault(SIGNED_IN_AT, started)
    if moment - seen >= SEEN_EVERY or SEEN_AT not in session:
        session[SEEN_AT] = moment


def init_app(app: Flask) -> None:
    """Wire flask-login into the app, with the page sessions' idle and absolute time-outs."""
    login_manager.init_app(app)
    login_manager.login_view = "public.login"
    login_manager.session_protection = "strong"
    user_logged_in.connect(_started, app)
    app.before_request(_expire_idle_or_old)
