"""A database of a test's own on this run's runtime, for tests that destroy it or run other code on it."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import PG_ADMIN_URL, RUNTIME
from sqlalchemy import create_engine, text


def admin(sql: str) -> None:
    """Run one statement as PostgreSQL's administrator (CREATE or DROP DATABASE)."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


@contextmanager
def own_database(folder: Path, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database: on PostgreSQL one named `prefix_…` (dropped afterwards), embedded a SQLite
    file in `folder`."""
    if RUNTIME != "production":
        yield f"sqlite:///{folder / f'{prefix}.db'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
