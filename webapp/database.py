"""One database session per request or task, closed at the end.

A request that only reads (GET, HEAD, OPTIONS) gets a session without a transaction: each statement runs on its own,
so no BEGIN before the first and no ROLLBACK after the last, two round trips of the three or four such a page makes.
Nothing is lost by it: at READ COMMITTED, PostgreSQL's level and ours, every statement takes its own snapshot inside
a transaction too. Such a session refuses to write (ADR 14): a change belongs to a POST, in one transaction.
"""

from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteWhileReading(RuntimeError):
    """A request of a safe method tried to change the database: a bug in its view."""


def engine() -> Engine:
    """The application's engine."""
    runtime = current_app.extensions["cdht"]
    return runtime.engine  # type: ignore[no-any-return]


def db() -> Session:
    """The request's session (created on first use, closed on teardown); read-only for GET, HEAD and OPTIONS."""
    if "db" not in g:
        if has_request_context() and request.method in SAFE_METHODS:
            session = Session(current_app.extensions["cdht_reads"], expire_on_commit=False)
            session.info["read_only"] = True
        else:
            session = Session(engine(), expire_on_commit=False)
        g.db = session
    return g.db  # type: ignore[no-any-return]


@event.listens_for(OrmSession, "do_orm_execute")
def _refuse_statement_writes(state: ORMExecuteState) -> None:
    if state.session.info.get("read_only") and not state.is_select:
        raise WriteWhileReading(f"a {request.method} request may not run {type(state.statement).__name__}")


@event.listens_for(OrmSession, "before_flush")
def _refuse_flushed_writes(session: OrmSession, _context: Any, _instances: Any) -> None:
    if session.info.get("read_only") and (session.new or session.dirty or session.deleted):
        raise WriteWhileReading(f"a {request.method} request may not change rows")


def init_app(app: Flask) -> None:
    """Keep the engine for reads; close the request's session (rolling back what was not committed) after each."""
    app.extensions["cdht_reads"] = engine_for_reads(app.extensions["cdht"].engine)

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()


def engine_for_reads(base: Engine) -> Engine:
    """The same engine and pool, its connections in autocommit while they serve a read-only session."""
    return base.execution_options(isolation_level="AUTOCOMMIT")
