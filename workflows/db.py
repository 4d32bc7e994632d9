"""Engine and session construction for SQLite (embedded) and PostgreSQL (production)."""

import select as io_select
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, col, create_engine, select


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so web and worker can share it.

    Statement parameters are hidden from error messages: they hold CCCDs and password hashes, never to be logged.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               hide_parameters=True, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_engine(url, hide_parameters=True, **kwargs)
    event.listen(engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Hand out only connections the server has not closed, without a round trip to ask it.

    An idle connection in the pool has nothing to read. When PostgreSQL ends it (a restart, a terminated backend, an
    idle time-out), it writes a last error message and closes the socket, which then reads as ready: such a connection
    is refused here and the pool opens a fresh one (SQLAlchemy retries a checkout that raises DisconnectionError).
    This replaces pool_pre_ping, which costs a `SELECT 1` round trip per checkout, that is per request (ADR 14).
    """
    pgconn = getattr(dbapi_conn, "pgconn", None)
    if pgconn is None:  # not psycopg: nothing to look at
        return
    if dbapi_conn.closed or dbapi_conn.broken:
        raise DisconnectionError("the connection is closed")
    poller = io_select.poll()
    poller.register(pgconn.socket, io_select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server wrote to an idle connection (it is closing it)")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error (for CLI and tasks)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session, model: Any) -> Any:
    """An INSERT of the session's dialect, which knows ON CONFLICT (both of ours do)."""
    return _INSERTS[session.get_bind().dialect.name](model)


IN_CHUNK = 900  # ids per IN list: below SQLite's oldest limit on bound parameters (999)


class _WithId(Protocol):
    id: str


Row = TypeVar("Row", bound=_WithId)


def by_ids(session: Session, model: type[Row], ids: Sequence[str]) -> dict[str, Row]:
    """Load rows by primary key `id` in a few IN queries (thousands at once); missing ids are simply absent."""
    found: dict[str, Row] = {}
    key = col(cast(Any, model).id)
    for start in range(0, len(ids), IN_CHUNK):
        rows = session.exec(select(cast(Any, model)).where(key.in_(ids[start:start + IN_CHUNK])))
        found.update((row.id, row) for row in rows)
    return found
