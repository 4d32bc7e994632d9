"""A worker killed mid-batch, or the broker restarted under it, costs time, never a certificate, and never makes two.

Each test issues a decision of 300 through real worker processes, breaks something in the middle, lets the sweeper do
its work, and finds exactly 300 certificates issued, each completed once, each file matching its hash.
"""

import dataclasses
import hashlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import PASSWORD, cccd_for, make_staff
from processes import kill_worker, start_worker, stop_worker
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from certificates import new_code
from webapp import create_app
from webapp.dispatch import commit
from workflows import application_counters, names
from workflows.actors import Actor
from workflows.clock import now
from workflows.criteria import current_set, indicator_codes
from workflows.decisions import record_decision
from workflows.inputs import DecisionInput, parse
from workflows.models import Application, AuditEvent, Certificate, Citizen, User
from workflows.passwords import hash_password

pytestmark = pytest.mark.integration
BATCH = 300
YEAR = 2026
WARD = "00004"


def approved(session: Session, count: int, reviewer: Actor) -> list[str]:
    """`count` applications approved by the reviewer, as rows: review is not what these tests are about, and 300
    reviews through the domain would cost a minute. The counters are moved as the domain would move them."""
    password_hash = hash_password(PASSWORD)
    criteria = current_set(session, "cdht", YEAR)
    assert criteria is not None
    scores = dict.fromkeys(indicator_codes(session, criteria), 9)
    users, citizens, apps = [], [], []
    for n in range(count):
        cccd = cccd_for(1960 + n % 40, female=n % 2 == 1)
        name = ["Lê Hoàng Yến", "Trần Đức Ấn", "Nguyễn Thị Ể", "Phạm Quỳnh Hương"][n % 4]
        users.append(User(username=cccd, password_hash=password_hash, role="citizen", display_name=name))
        citizens.append(Citizen(user_id=users[-1].id, cccd=cccd, full_name=name, name_folded=names.fold(name),
                                date_of_birth=date(1960 + n % 40, 5, 17), sex="female" if n % 2 else "male",
                                ward_code=WARD, target_group="resident", consent_at=now(), consent_version="2026-01"))
        apps.append(Application(citizen_id=citizens[-1].id, ward_code=WARD, criteria_set_id=criteria.id,
                                title_type="cdht", year=YEAR, target_group="resident", state="approved", version=3,
                                self_scores=scores, reviewer_scores=scores, total=90, passes=True,
                                reviewed_by=reviewer.user_id, submitted_at=now(), reviewed_at=now()))
    for rows in (users, citizens, apps):
        session.add_all(rows)
        session.flush()
    application_counters.move(session, [(WARD, YEAR, "approved", count)])
    session.commit()
    return [a.id for a in apps]


def _count(session: Session, decision_id: str, status: str = "issued") -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Certificate).where(
        Certificate.decision_id == decision_id, Certificate.status == status)).one()


def _wait_for(session: Session, decision_id: str, at_least: int, log: Path, seconds: float = 180) -> int:
    deadline = time.monotonic() + seconds
    while (issued := _count(session, decision_id)) < at_least:
        assert time.monotonic() < deadline, f"{issued} issued of {at_least} wanted:\n" + log.read_text()[-4000:]
        time.sleep(0.1)
    return issued


def _decide(app, session: Session, chair: Actor, ids: list[str], number: str) -> str:
    """The chair's decision over the applications, committed and its renders sent through `app`'s broker."""
    rt = app.extensions["cdht"]
    with Session(rt.engine, expire_on_commit=False) as own:
        decision, _certs = record_decision(own, chair, parse(DecisionInput, {
            "year": YEAR, "number": number, "signed_on": "2026-11-25", "signer_name": "Nguyễn Văn Thắng",
            "application_ids": ids}), new_code=new_code, verify_url=rt.verify_url)
        with app.app_context():
            commit(own)
        return decision.id


def _sweep_after_the_wait(app, decision_id: str) -> None:
    """What the sweeper waits for in real time, the test moves the rows past (the clock is the one thing mocked)."""
    with app.extensions["cdht"].engine.begin() as conn:
        old = now() - timedelta(hours=1)
        conn.execute(update(Certificate).where(col(Certificate.decision_id) == decision_id,
                                               col(Certificate.status).in_(["queued", "rendering"]))
                     .values(queued_at=old, claimed_at=old))
    swept = app.test_cli_runner().invoke(args=["sweep"])
    assert swept.exit_code == 0, swept.output


def _each_issued_once(app, session: Session, decision_id: str) -> None:
    certs = session.exec(select(Certificate).where(Certificate.decision_id == decision_id)).all()
    assert len(certs) == BATCH and len({c.application_id for c in certs}) == BATCH
    assert {c.status for c in certs} == {"issued"}
    completes = dict(session.exec(select(AuditEvent.entity_id, func.count()).where(
        col(AuditEvent.entity_id).in_([c.id for c in certs]), AuditEvent.event == "complete")
        .group_by(AuditEvent.entity_id)).all())
    assert sorted(completes.values()) == [1] * BATCH
    storage = app.extensions["cdht"].storage
    for cert in certs:
        assert hashlib.sha256(storage.get(cert.storage_key)).hexdigest() == cert.sha256, cert.code


@pytest.fixture
def staff(session: Session) -> tuple[Actor, Actor]:
    return (make_staff(session, "ward_reviewer", username="crash-reviewer"),
            make_staff(session, "ward_chair", username="crash-chair"))


def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
        app, session: Session, runtime_env, staff, tmp_path) -> None:
    reviewer, chair = staff
    ids = approved(session, BATCH, reviewer)
    first = start_worker(runtime_env, tmp_path / "first.log", "first", concurrency=2)
    try:
        decision_id = _decide(app, session, chair, ids, "99/QĐ-UBND")
        _wait_for(session, decision_id, 20, tmp_path / "first.log")
        # The two pool processes start together and so finish their batches together: kill once a claim is seen
        # in progress, not at the moment a count is reached (which falls between two batches).
        deadline = time.monotonic() + 30
        while _count(session, decision_id, "rendering") == 0:
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()[-4000:]
            time.sleep(0.02)
    finally:
        kill_worker(first)  # SIGKILL to the whole process group: the main process and both pool children
    issued_before = _count(session, decision_id)
    assert issued_before < BATCH, "the worker finished before it was killed; the test proved nothing"
    # Killed in the middle of its work: rows it had claimed are left rendering, for the sweeper to release.
    assert _count(session, decision_id, "rendering") > 0, "killed between two batches; the test proved less"

    second = start_worker(runtime_env, tmp_path / "second.log", "second", concurrency=2)
    try:
        _sweep_after_the_wait(app, decision_id)
        _wait_for(session, decision_id, BATCH, tmp_path / "second.log")
    finally:
        stop_worker(second)
    _each_issued_once(app, session, decision_id)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SpareRedis:
    """A Redis server of the test's own on a spare port, without persistence: a restart loses every message."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder, self.proc = _free_port(), folder, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline and self.proc.poll() is None, "redis-server did not start"
                time.sleep(0.05)

    def crash(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def spare_redis(tmp_path: Path) -> Iterator[SpareRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: apt-get install redis-server")
    server = SpareRedis(tmp_path)
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.crash()


def test_a_broker_restarted_mid_batch_loses_nothing_and_duplicates_nothing(
        app, settings, session: Session, runtime_env, staff, spare_redis: SpareRedis, tmp_path) -> None:
    reviewer, chair = staff
    ids = approved(session, BATCH, reviewer)
    env = {**runtime_env, "CELERY_BROKER_URL": spare_redis.url}
    on_spare = create_app(dataclasses.replace(settings, broker_url=spare_redis.url))
    worker = start_worker(env, tmp_path / "worker.log", "spare", concurrency=2)
    try:
        decision_id = _decide(on_spare, session, chair, ids, "98/QĐ-UBND")
        _wait_for(session, decision_id, 20, tmp_path / "worker.log")
        spare_redis.crash()  # every message still queued is gone with it
        assert _count(session, decision_id) < BATCH, "the batch finished before the broker fell; nothing proved"
        time.sleep(1)
        spare_redis.start()  # the same port, empty
        time.sleep(2)
        waiting = _count(session, decision_id, "queued")
        assert waiting > 0, "no message was lost with the broker; the test proved nothing"
        # The worker reconnects by itself; what the broker lost, the sweeper sends again.
        _sweep_after_the_wait(on_spare, decision_id)
        _wait_for(session, decision_id, BATCH, tmp_path / "worker.log")
    finally:
        stop_worker(worker)
        on_spare.extensions["cdht"].engine.dispose()
    assert b"Connection to broker lost" in (tmp_path / "worker.log").read_bytes()  # it did fall under the worker
    _each_issued_once(app, session, decision_id)
