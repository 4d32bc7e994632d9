"""One database session per request or task, closed at the end."""

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlmodel import Session


def engine() -> Engine:
    """The application's engine."""
    runtime = current_app.extensions["cdht"]
    return runtime.engine  # type: ignore[no-any-return]


def db() -> Session:
    """The request's session (created on first use, closed on teardown)."""
    if "db" not in g:
        g.db = Session(engine(), expire_on_commit=False)
    return g.db  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    """Close (and roll back what was not committed) after each request."""

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()
