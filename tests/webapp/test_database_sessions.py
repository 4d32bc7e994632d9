"""The request's database session: read-only without a transaction for safe methods, and a pool that never hands
out a connection the server has closed."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text, update
from sqlmodel import Session, select

from tests.conftest import PG_ADMIN_URL, RUNTIME
from webapp.database import WriteWhileReading, db
from workflows.models import Ward


def _server_transaction_open(session: Session) -> bool:
    """Whether the database itself (not only SQLAlchemy's bookkeeping) has a transaction open on this connection."""
    dbapi = session.connection().connection.dbapi_connection
    if hasattr(dbapi, "info"):  # psycopg
        from psycopg.pq import TransactionStatus

        return bool(dbapi.info.transaction_status != TransactionStatus.IDLE)
    return bool(dbapi.in_transaction)  # sqlite3


def test_a_safe_request_reads_without_a_transaction_and_refuses_to_write(app: Flask) -> None:
    with app.test_request_context("/", method="GET"):
        session = db()
        assert session.exec(select(Ward).where(Ward.code == "00004")).one().code == "00004"
        assert not _server_transaction_open(session)
        with pytest.raises(WriteWhileReading):
            session.execute(update(Ward).where(Ward.code == "00004").values(name="changed"))
        ward = session.exec(select(Ward).where(Ward.code == "00004")).one()
        ward.name = "changed"
        with pytest.raises(WriteWhileReading):
            session.flush()
        session.rollback()
    with app.test_request_context("/", method="HEAD"):
        assert db().info.get("read_only") is True


def test_a_post_request_writes_in_one_transaction(app: Flask, session: Session) -> None:
    with app.test_request_context("/", method="POST"):
        ward = db().exec(select(Ward).where(Ward.code == "00004")).one()
        original = ward.name
        ward.name = original + " (sửa)"
        db().flush()
        assert _server_transaction_open(db())
        db().commit()
    with app.test_request_context("/", method="POST"):
        ward = db().exec(select(Ward).where(Ward.code == "00004")).one()
        assert ward.name == original + " (sửa)"
        ward.name = original
        db().commit()


@pytest.mark.skipif(RUNTIME != "production", reason="PostgreSQL ends connections; SQLite has none")
def test_a_connection_the_server_ended_is_replaced_without_an_error(app: Flask, client: FlaskClient) -> None:
    engine = app.extensions["cdht"].engine
    with engine.connect() as conn:  # the pool now holds this connection, idle
        before = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before}).scalar_one()
            conn.execute(text("SELECT pg_sleep(0.2)"))  # the backend's goodbye reaches the socket
    finally:
        admin.dispose()
    assert client.get("/verify/NO-SUCH-CODE").status_code == 404  # a page that reads: no 500
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != before
