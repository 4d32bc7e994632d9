"""What every benchmark needs around its measurement: progress on stderr and a PostgreSQL database of its own."""

import contextlib
import os
import secrets
import socket
import sys
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

PG_SERVER = os.environ.get("CDHT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
# The SECRET_KEY of the app a benchmark starts, and so the key of the identity numbers it writes itself (ADR 42).
SECRET_KEY = secrets.token_urlsafe(48)


def keyed_engine(url: str) -> Engine:
    """An engine that reads and writes identity numbers as the app started with SECRET_KEY does."""
    from workflows.db import make_engine
    from workflows.identity_seal import derive_key

    return make_engine(url, identity_key=derive_key(SECRET_KEY.encode()))


def free_port() -> int:
    """A local TCP port nobody listens on right now, for a server a benchmark starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log(message: str) -> None:
    """Progress for the person watching; stdout carries the JSON line alone."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def postgres_database(label: str) -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database; drop it afterwards, whatever happened."""
    name = f"cdht_bench_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    log(f"created database {name}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        log(f"dropped database {name}")


def seeded_app(settings: Any) -> tuple[Any, Any]:
    """The app on a new database: migrated (Alembic's chatter sent to stderr) and seeded; returns (app, engine)."""
    from alembic import command

    from webapp import create_app
    from webapp.cli import alembic_config
    from workflows.db import session_scope
    from workflows.seed import seed_reference

    with contextlib.redirect_stdout(sys.stderr):
        command.upgrade(alembic_config(settings.database_url), "head")
    app = create_app(settings)
    engine = app.extensions["cdht"].engine
    with session_scope(engine) as session:
        seed_reference(session)
    return app, engine
