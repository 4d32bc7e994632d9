"""Engine and session construction for SQLite (embedded) and PostgreSQL (production)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import Engine
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
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


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
