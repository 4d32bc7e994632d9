"""Who is asking: bearer tokens for the API, cookie sessions (flask-login) for pages, both as a domain Actor."""

from flask import Flask, g, request
from flask_login import LoginManager, UserMixin, current_user

from workflows import accounts
from workflows.actors import Actor
from workflows.errors import DomainError
from workflows.models import User

from .database import db

login_manager = LoginManager()


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


def init_app(app: Flask) -> None:
    """Wire flask-login into the app."""
    login_manager.init_app(app)
    login_manager.login_view = "public.login"
    login_manager.session_protection = "strong"
