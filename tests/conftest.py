"""Shared fixtures. CDHT_TEST_RUNTIME picks the runtime: embedded (SQLite + file broker) or production
(PostgreSQL + Redis). Every test builds real rows in a real database."""

import dataclasses
import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from alembic import command
from celery.app.task import Task
from closing import close_app
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from webapp import create_app
from webapp.cli import alembic_config
from webapp.config import Settings, from_env
from workflows.audit_chain import GENESIS
from workflows.db import session_scope
from workflows.seed import seed_reference

# Passwords hashed with argon2id's cheapest parameters (workflows.passwords), so that the suite's thousands of
# accounts do not spend its time in the hash (0.3 s each on a small machine); worker processes inherit it.
os.environ.setdefault("CDHT_TEST_FAST_HASHING", "1")
RUNTIME = os.environ.get("CDHT_TEST_RUNTIME", "embedded")
PG_ADMIN_URL = os.environ.get("CDHT_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CDHT_TEST_REDIS", "redis://127.0.0.1:6379/14")
# Where the suite stores documents: "folder" (a temporary directory) or "s3" (the local S3 server of
# tests/s3_server.py). The storage tests and tests/integration/test_s3_storage.py use S3 either way.
STORAGE = os.environ.get("CDHT_TEST_STORAGE", "folder")
if STORAGE not in ("folder", "s3"):
    raise pytest.UsageError(f"CDHT_TEST_STORAGE must be folder or s3, not {STORAGE!r}")
PASSWORD = "test-password-1"
MUTABLE_TABLES = ("outbox_message", "privacy_request", "consent_record", "certificate_batch",
                  "activation_code", "digital_test_attempt", "digital_counter",
                  "holder_counter",
                  "digital_attainment", "rollup_counter", "application_counter", "population_revision", "population",
                  "population_import", "report_snapshot", "unit_figure", "register_sequence", "hamlet", "campaign",
                  "audit_event", "certificate", "activity", "recovery_code",
                  "application", "decision", "apitoken", "citizen", "app_user")


def _create_pg_database() -> str:
    name = f"cdht_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """moto's S3 server on a free port with this run's bucket (tests/s3_server.py); tests may stop and start it.
    Imported here, so that a run that never uses S3 does not load moto."""
    from s3_server import started

    server = started()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def runtime_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment variables describing this run's runtime; a worker process gets the same ones."""
    instance = tmp_path_factory.mktemp("instance")
    env = {
        "CDHT_INSTANCE_PATH": str(instance),
        "STORAGE_URL": str(instance / "storage"),
        "SIGNING_KEY_PATH": str(instance / "signing_key.pem"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "PUBLIC_BASE_URL": "http://cdht.test",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "REGISTRATION_RATE_LIMIT": "10000 per hour",  # the whole suite registers from one address
        "VERIFY_RATE_LIMIT": "10000 per minute",
        # The dashboard read afresh for every page, as tests change figures between two pages; its kept figures
        # are tested on their own (tests/webapp/test_pages.py).
        "DASHBOARD_MAX_AGE_SECONDS": "0",
    }
    if STORAGE == "s3":
        env |= request.getfixturevalue("s3_server").env("suite")
    # Made before any process starts, so the web app and the worker never race to create two keys.
    from certificates import generate_private_key_pem

    (instance / "signing_key.pem").write_bytes(generate_private_key_pem())
    database = None
    if RUNTIME == "production":
        database = _create_pg_database()
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        env["CELERY_BROKER_URL"] = REDIS_URL
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    else:
        env["DATABASE_URL"] = f"sqlite:///{instance / 'cdht.db'}"
        env["CELERY_BROKER_URL"] = "filesystem://"
    yield env
    if database:
        _drop_pg_database(database)


@pytest.fixture(scope="session")
def settings(runtime_env: dict[str, str]) -> Settings:
    """Settings built exactly as a deployed process builds them."""
    return from_env(runtime_env)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Flask]:
    """The app on a migrated database with reference data (wards, targets, criteria)."""
    command.upgrade(alembic_config(settings.database_url), "head")
    application = create_app(settings)
    application.config["TESTING"] = True
    with session_scope(application.extensions["cdht"].engine) as session:
        seed_reference(session)
    yield application
    close_app(application)


def _open_ended(year: int) -> dict[Any, date]:
    """A year's default campaign in tests that are not about campaigns: open from its 1 January, never closing."""
    from workflows.campaigns import DEFAULTS
    from workflows.vocabulary import CampaignDate

    first, mid_year = date(year, 1, 1), date(year, 8, 15)
    return dict.fromkeys(DEFAULTS, date.max) | {CampaignDate.REGISTRATION_OPENS: first,
                                                CampaignDate.SELF_ASSESSMENT_OPENS: first,
                                                CampaignDate.MID_YEAR_REPORT: mid_year}


@pytest.fixture(autouse=True)
def _campaigns_open(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests not about campaigns run on any day of the year, and may open an application of an earlier year: a year
    without campaign dates is open from its 1 January and never closes. Campaign tests are marked `campaign_rules`
    and run on the real defaults (workflows.campaigns.DEFAULTS); a campaign row always wins over either."""
    if request.node.get_closest_marker("campaign_rules") is None:
        from workflows import campaigns

        monkeypatch.setattr(campaigns, "default_dates", _open_ended)


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.extensions["cdht"].engine.begin() as conn:
        conn.execute(text("UPDATE application SET decision_id = NULL"))
        with audit_unguarded(conn):
            for table in MUTABLE_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :genesis"), {"genesis": GENESIS})


@contextmanager
def audit_unguarded(conn: Connection) -> Iterator[None]:
    """Inside this transaction, lift the audit trail's guard (ADR 36), as only the database's owner can: on
    PostgreSQL triggers are skipped (a superuser's setting), on SQLite they are dropped and made again."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        conn.execute(text("SET LOCAL session_replication_role = origin"))
        return
    triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND tbl_name IN ('audit_event', 'audit_chain_head')")).all()
    for name, _sql in triggers:
        conn.execute(text(f"DROP TRIGGER {name}"))
    yield
    for _name, sql in triggers:
        conn.execute(text(sql))


@pytest.fixture
def web(app: Flask, settings: Settings) -> Iterator[Flask]:
    """The app on this run's database with a login limit a test of several sign-ins does not reach (pages)."""
    application = create_app(dataclasses.replace(settings, login_rate_limit="1000 per minute"))
    yield application
    close_app(application)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session for arranging and checking rows."""
    with Session(app.extensions["cdht"].engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the JSON API and pages."""
    return app.test_client()


class Api:
    """Small helper around the test client: sign in, call with a token, check errors."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        rv = self.client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert rv.status_code == 200, rv.json
        return {"Authorization": f"Bearer {rv.json['token']}"}

    def call(self, method: str, path: str, who: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers=who or {}, **kwargs)

    def submitted(self, registration: dict[str, Any], year: int = 2026) -> tuple[dict[str, str], str]:
        """Register through the API, open the year, log one activity (multipart), self-score 9s and submit."""
        from factories import scores

        assert self.call("POST", "/api/v1/citizens", json=registration).status_code == 201
        me = self.token(registration["cccd"], registration["password"])
        opened = self.call("POST", "/api/v1/applications", me, json={"year": year})
        assert opened.status_code == 201, opened.json
        aid = opened.json["id"]
        activity = {"title": "Câu lạc bộ đọc sách", "kind": "club", "hours": "12", "started_on": f"{year}-02-01"}
        assert self.call("POST", f"/api/v1/applications/{aid}/activities", me, data=activity).status_code == 201
        rv = self.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me, json={"scores": scores(9)})
        assert rv.status_code == 200
        rv = self.call("POST", f"/api/v1/applications/{aid}/submit", me)
        assert rv.status_code == 200 and rv.json["state"] == "submitted"
        return me, aid

    def recognised(self, registration: dict[str, Any], number: str, year: int = 2026) -> tuple[str, dict[str, Any]]:
        """Submit, propose (reviewer `rev-<number>`, scores 9) and decide (chair `chair-<number>`); return the
        application id and the decision as the API answered it. The staff accounts must exist."""
        from factories import scores

        _me, aid = self.submitted(registration, year)
        rv = self.call("POST", f"/api/v1/applications/{aid}/review", self.token(f"rev-{number}"),
                       json={"action": "approve", "version": 2, "scores": scores(9)})
        assert rv.status_code == 200, rv.json
        rv = self.call("POST", "/api/v1/decisions", self.token(f"chair-{number}"), json={
            "year": year, "number": number, "signed_on": f"{year}-11-20", "signer_name": "Nguyễn Văn Thắng",
            "application_ids": [aid]})
        assert rv.status_code == 201, rv.json
        return aid, rv.json


@pytest.fixture
def api(client: FlaskClient) -> Api:
    """The API helper."""
    return Api(client)


def pytest_report_header() -> str:
    """Say which runtime and which storage this run uses."""
    return f"CDHT runtime: {RUNTIME}, storage: {STORAGE}"


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, tuple, dict]]:
    """Messages handed to the broker: (task name, args, options); nothing is really sent."""
    calls: list[tuple[str, tuple, dict]] = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, retry=True, **options: calls.append(
        (self.name, tuple(args or ()), options)))  # `retry` is how to publish, not what: left out
    return calls
