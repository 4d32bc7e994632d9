"""Alembic from the first table: `upgrade head` on an empty database, and no drift from the models."""

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from webapp.cli import alembic_config
from workflows.models import metadata

PG_ADMIN_URL = os.environ.get("CDHT_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("CDHT_TEST_RUNTIME") == "production"


def _check(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert set(metadata.tables) <= set(inspect(conn).get_table_names())
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    command.downgrade(alembic_config(url), "base")
    command.upgrade(alembic_config(url), "head")


def test_sqlite_upgrade_head_and_no_drift(tmp_path) -> None:
    _check(f"sqlite:///{tmp_path / 'm.db'}")


def test_postgresql_upgrade_head_and_no_drift() -> None:
    name = f"cdht_mig_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if REQUIRED:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        _check(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
