"""Who is asking: bearer tokens for the API, cookie sessions (flask-login) for pages, both as a domain Actor."""

from flask import Flask, g, request
from flask_login import LoginManager, UserMixin, current_user

from workflows import accounts
from workflows.actors import Actor
from workflows.errors import DomainError
from workflows.models import User
from workflows.registration import actor_for

from .database import db

login_manager = LoginManager()


class Unauthorized(DomainError):
    """No valid credentials were sent."""

    status = 401
    code = "unauthorized"


class SessionUser(UserMixin):
    """A cookie-session user; the id carries the session version so a bump signs every session out."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = f"{user.id}:{user.session_version}"


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    user_id, _, version = session_id.partition(":")
    user = db().get(User, user_id)
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return SessionUser(user)


def bearer_actor() -> Actor:
    """The API caller from `Authorization: Bearer`, or Unauthorized."""
    if "actor" in g:
        return g.actor  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = accounts.user_for_token(db(), token.strip()) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise Unauthorized()
    g.actor = actor_for(db(), user)
    return g.actor  # type: ignore[no-any-return]


def page_actor() -> Actor | None:
    """The signed-in page user as an Actor, or None."""
    if not current_user.is_authenticated:
        return None
    if "page_actor" not in g:
        g.page_actor = actor_for(db(), current_user.user)
    return g.page_actor  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    """Wire flask-login into the app."""
    login_manager.init_app(app)
    login_manager.login_view = "public.login"
    login_manager.session_protection = "strong"
