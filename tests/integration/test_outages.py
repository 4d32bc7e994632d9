"""Outages (ADR 37): with the broker stopped, sign-in works and a decision is recorded and acknowledged, its
certificates issued once the broker is back; with the database refusing connections, pages answer 503 and recover
by themselves. Production runtime: the broker is a Redis this test starts and stops itself."""

import dataclasses
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from closing import close_app
from conftest import RUNTIME, Api
from factories import citizen_data, csrf, make_staff, scores
from flask import Flask
from processes import free_port, start_worker, stop_worker
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, func, select

from webapp import create_app, dispatch
from webapp.config import from_env
from webapp.extensions import limiter
from workflows import outbox
from workflows.models import AuditEvent, Certificate

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(RUNTIME != "production", reason="the production runtime's broker and database")]



class OwnRedis:
    """A redis-server of this test's own, on a port of its own, that it stops and starts again."""

    def __init__(self, log: Path) -> None:
        self.port, self.log, self.proc = free_port(), log, None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing (the machine's Redis package provides it)"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                          "--appendonly", "no"], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def outage_env(runtime_env: dict[str, str], own_redis: OwnRedis) -> dict[str, str]:
    return runtime_env | {"CELERY_BROKER_URL": own_redis.url(0), "RATELIMIT_STORAGE_URI": own_redis.url(1),
                          "CDHT_ENV": "production", "LOGIN_RATE_LIMIT": "1000 per minute",
                          "STAFF_TOTP_REQUIRED": "false"}  # the chair signs in by password: the outage is the point


@pytest.fixture
def web(app: Flask, outage_env: dict[str, str]) -> Iterator[Flask]:
    """The app as a production web node on this test's Redis (broker and limiter)."""
    application = create_app(from_env(outage_env))
    application.config["TESTING"] = True
    dispatch.breaker.reset()
    yield application
    close_app(application)
    dispatch.breaker.reset()
    limiter.init_app(app)  # the limiter is one object: give it back its storage for the tests after this one


def _issued(web: Flask, api: Api, chair: dict[str, str], decision_id: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        progress = api.call("GET", f"/api/v1/decisions/{decision_id}", chair).json
        if progress["issued"] == progress["total"]:
            return progress
        assert time.monotonic() < deadline, f"not issued in time: {progress}"
        time.sleep(0.5)


def test_sign_in_and_a_decision_with_the_broker_stopped(web: Flask, session: Session, own_redis: OwnRedis,
                                                        outage_env: dict[str, str], tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    api = Api(web.test_client())
    make_staff(session, "ward_reviewer", username="rev-outage")
    make_staff(session, "ward_chair", username="chair-outage")
    ids = []
    for n in range(3):
        _me, aid = api.submitted(citizen_data(full_name=f"Người Thử Mất Điện {n}"))
        rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-outage"),
                      json={"action": "approve", "version": 2, "scores": scores(9)})
        assert rv.status_code == 200, rv.json
        ids.append(aid)
    worker = start_worker(outage_env, tmp_path / "worker.log", "outage")
    try:
        own_redis.stop()
        # Sign-in, by the page and by the API, with the limiter's Redis gone: it counts in memory and says so.
        browser = web.test_client()
        page = browser.get("/login").get_data(as_text=True)
        signed = browser.post("/login", data={"csrf_token": csrf(page), "username": "chair-outage",
                                              "password": "test-password-1"})
        assert signed.status_code == 302, signed.get_data(as_text=True)
        assert browser.get("/chair/").status_code == 200
        chair = api.token("chair-outage")
        assert any("falling back to in-memory storage" in r.getMessage() for r in caplog.records)
        # The decision is recorded and acknowledged; its tasks wait in the outbox.
        rv = api.call("POST", "/api/v1/decisions", chair, json={
            "year": 2026, "number": "88/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
            "application_ids": ids})
        assert rv.status_code == 201, rv.json
        decision_id = rv.json["id"]
        with Session(web.extensions["cdht"].engine) as s:
            assert outbox.waiting(s) >= len(ids)
        result = web.test_cli_runner().invoke(args=["sweep"])
        assert result.exit_code == 1 and "still waiting" in result.output
        own_redis.start()  # empty: whatever it held before is gone, as after a restart without persistence
        dispatch.breaker.reset()  # this process's pause (BROKER_PAUSE) is over
        result = web.test_cli_runner().invoke(args=["sweep", "--now"])
        assert result.exit_code == 0, result.output
        progress = _issued(web, api, chair, decision_id)
        assert progress["issued"] == len(ids)
    finally:
        stop_worker(worker)
    session.expire_all()
    certificates = session.exec(select(Certificate.application_id, func.count()).where(
        col(Certificate.application_id).in_(ids)).group_by(col(Certificate.application_id))).all()
    assert sorted(certificates) == sorted((aid, 1) for aid in ids)
    cert_ids = session.exec(select(Certificate.id).where(col(Certificate.application_id).in_(ids))).all()
    completions = session.exec(select(func.count()).select_from(AuditEvent).where(
        col(AuditEvent.entity_id).in_(cert_ids), AuditEvent.event == "complete")).one()
    assert completions == len(ids)  # issued once each, however many messages asked for it


def test_pages_answer_503_while_the_database_refuses_and_recover(app: Flask, settings) -> None:
    web = create_app(dataclasses.replace(settings))
    client = web.test_client()
    assert client.get("/verify/AAAAA-BBBBB").status_code == 404  # answered from the database
    database = settings.database_url.rsplit("/", 1)[1]
    admin = create_engine(settings.database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database})
        page = client.get("/verify/AAAAA-BBBBB")  # (a limited route: the limiter's Retry-After wins over ours)
        assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
        assert "Thông tin bạn đã gửi không bị mất" in page.get_data(as_text=True)
        answer = client.get("/api/v1/me", headers={"Authorization": "Bearer x"})
        assert answer.status_code == 503 and answer.json["error"]["code"] == "unavailable"
        assert answer.headers["Retry-After"] == "30"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert client.get("/verify/AAAAA-BBBBB").status_code == 404  # by itself: no restart, no operator
    close_app(web)
