"""Alembic environment: SQLModel metadata, batch mode on SQLite, URL from the caller or DATABASE_URL."""

import os
from collections import Counter

from alembic import context
from sqlalchemy.engine import Connection

import workflows.models  # noqa: F401  (registers every table)
from workflows.db import make_engine
from workflows.models import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if not url:
        from webapp.config import from_env

        url = from_env().database_url
    return str(url)


def _identity_key() -> bytes:
    """The key that seals identity numbers (a migration may seal or unseal them): the caller's, else the settings'."""
    key = config.attributes.get("identity_key")
    if key is None:
        from webapp.config import from_env

        key = from_env().identity_seal_key
    return bytes(key)


def run_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through a live connection (one passed in by tests, or a new one)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(_url(), identity_key=_identity_key())
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


def _dangling(connection: Connection) -> Counter[tuple[str, str]]:
    """SQLite's rows that point at no row, counted by table and the table they point at."""
    return Counter((str(row[0]), str(row[2])) for row in connection.exec_driver_sql("PRAGMA foreign_key_check"))


def _migrate(connection: Connection) -> None:
    """Run the migrations. On SQLite, foreign keys are off meanwhile: a batch migration rebuilds a table (copy, drop,
    rename), and dropping a table that other rows point at fails while they are on. They are checked once done:
    the migration fails naming the tables if a row points at nothing that did not before."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # outside any transaction: SQLite ignores this pragma inside one
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        before = _dangling(connection)
        connection.commit()
    try:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                after = _dangling(connection)
                broken = sorted(f"{table} → {parent}" for (table, parent), n in after.items()
                                if n > before.get((table, parent), 0))
                if broken:
                    raise RuntimeError("rows point at nothing after the migration: " + ", ".join(broken))
        connection.commit()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
