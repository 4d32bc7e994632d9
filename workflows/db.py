"""Engine and session construction for SQLite (embedded) and PostgreSQL (production)."""

import json
import select as io_select
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import JSON, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, col, create_engine, select

from . import audit_chain, identity_seal  # sessions seal the audit records they write; engines seal CCCDs


def make_engine(url: str, *, audit_key: bytes | None = None, identity_key: bytes | None = None,
                **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so web and worker can share it.

    Statement parameters are hidden from error messages: they hold CCCDs and password hashes, never to be logged.
    `audit_key` seals the audit records written through it (workflows.audit_chain; the app gives its own);
    `identity_key` seals and unseals the identity numbers it writes and reads (workflows.identity_seal).
    """
    engine = _engine(url, **kwargs)
    if audit_key is not None:
        audit_chain.use_key(engine, audit_key)
    if identity_key is not None:
        identity_seal.use_key(engine, identity_key)
    return engine


def _engine(url: str, **kwargs: Any) -> Engine:
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


def redo_safe_commit(session: Session) -> None:
    """Let this transaction's commit return before PostgreSQL has flushed it to disk (`synchronous_commit` off for
    this transaction only; SQLite unchanged).

    Only for writes that are redone if lost: a server crash may forget the last fraction of a second of such commits,
    never corrupts, and never makes a later commit visible without an earlier one. A worker's claim and completion
    of certificates are such writes (ADR 32): a lost claim is claimed again, a lost completion is swept and completed
    again from the file stored (with fsync) before it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def dialect_insert(session: Session, model: Any) -> Any:
    """An INSERT of the session's dialect, which knows ON CONFLICT (both of ours do)."""
    return _INSERTS[session.get_bind().dialect.name](model)


def bulk_insert(session: Session, table: Any, rows: Sequence[dict[str, Any]], *,
                unique_by: Sequence[str] | None = None) -> set[Any] | None:
    """Insert many rows (all with the same keys) in one statement; with `unique_by`, leave out the rows whose key
    exists (ON CONFLICT DO NOTHING) and return the ids of those inserted (None without `unique_by`).

    On PostgreSQL the rows travel as one array per column (`INSERT … SELECT * FROM unnest(…)`): a hundred thousand
    rows are a few dozen parameters, where a multi-row VALUES list has one placeholder per value, each rewritten
    by psycopg in Python (it was most of an import's time). Elsewhere, a multi-row INSERT.
    """
    if not rows:
        return set() if unique_by else None
    if session.get_bind().dialect.name != "postgresql":
        stmt = dialect_insert(session, table)
        if unique_by:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(unique_by)).returning(table.c.id)
            return set(session.execute(stmt, list(rows)).scalars())
        session.execute(stmt, list(rows))
        return None
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    arrays, params = [], {}
    for n, name in enumerate(columns):
        column = table.c[name]
        sql_type = column.type.compile(dialect=dialect)
        values = [row[name] for row in rows]
        if isinstance(column.type, JSON):  # json has no array literal of Python dicts: send text, cast back
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        elif isinstance(column.type, identity_seal.IdentityNumber):  # an array skips the type's binding: seal here
            values = [column.type.process_bind_param(v, dialect) for v in values]
        arrays.append(f"CAST(:c{n} AS {sql_type}[])")
        params[f"c{n}"] = values
    quote = dialect.identifier_preparer.quote  # identifiers from the table's own metadata; every value is bound
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "  # noqa: S608
           f"SELECT * FROM unnest({', '.join(arrays)})")
    if unique_by:
        sql += f" ON CONFLICT ({', '.join(map(quote, unique_by))}) DO NOTHING RETURNING id"
        return set(session.execute(text(sql), params).scalars())
    session.execute(text(sql), params)
    return None


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


def locked_by_ids(session: Session, model: type[Row], ids: Sequence[str], *where: Any) -> dict[str, Row]:
    """Like by_ids, the rows also locked until commit (FOR UPDATE on PostgreSQL; SQLite's one writer serves) and
    read afresh, in id order, so two transactions locking overlapping sets never wait on each other in a circle."""
    found: dict[str, Row] = {}
    key = col(cast(Any, model).id)
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CHUNK):
        stmt = (select(cast(Any, model)).where(key.in_(ordered[start:start + IN_CHUNK]), *where).order_by(key)
                .with_for_update().execution_options(populate_existing=True))
        found.update((row.id, row) for row in session.exec(stmt))
    return found
