"""A worker killed mid-batch, or the broker restarted under it, costs time, never a certificate, and never makes two.

Each test issues a decision of 300 through real worker processes, breaks something in the middle, lets the sweeper do
its work, and finds exactly 300 certificates issued, each completed once, each file matching its hash.
"""

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_issuance import approved, count_of, decide, each_issued_once, sweep_after_the_wait, wait_for
from factories import make_staff
from processes import free_port, kill_worker, start_worker, stop_worker
from sqlmodel import Session

from webapp import create_app
from workflows.actors import Actor

pytestmark = pytest.mark.integration
BATCH = 300


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
        decision_id = decide(app, session, chair, ids, "99/QĐ-UBND")
        wait_for(session, decision_id, 20, tmp_path / "first.log")
        # The two pool processes start together and so finish their batches together: kill once a claim is seen
        # in progress, not at the moment a count is reached (which falls between two batches).
        deadline = time.monotonic() + 30
        while count_of(session, decision_id, "rendering") == 0:
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()[-4000:]
            time.sleep(0.02)
    finally:
        kill_worker(first)  # SIGKILL to the whole process group: the main process and both pool children
    issued_before = count_of(session, decision_id)
    assert issued_before < BATCH, "the worker finished before it was killed; the test proved nothing"
    # Killed in the middle of its work: rows it had claimed are left rendering, for the sweeper to release.
    assert count_of(session, decision_id, "rendering") > 0, "killed between two batches; the test proved less"

    second = start_worker(runtime_env, tmp_path / "second.log", "second", concurrency=2)
    try:
        sweep_after_the_wait(app, decision_id)
        wait_for(session, decision_id, BATCH, tmp_path / "second.log")
    finally:
        stop_worker(second)
    each_issued_once(app, session, decision_id, BATCH)



class SpareRedis:
    """A Redis server of the test's own on a spare port, without persistence: a restart loses every message."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder, self.proc = free_port(), folder, None

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
        decision_id = decide(on_spare, session, chair, ids, "98/QĐ-UBND")
        wait_for(session, decision_id, 20, tmp_path / "worker.log")
        spare_redis.crash()  # every message still queued is gone with it
        assert count_of(session, decision_id) < BATCH, "the batch finished before the broker fell; nothing proved"
        time.sleep(1)
        spare_redis.start()  # the same port, empty
        time.sleep(2)
        waiting = count_of(session, decision_id, "queued")
        assert waiting > 0, "no message was lost with the broker; the test proved nothing"
        # What the broker lost, the sweeper sends again; the worker reconnects by itself, or exits and is started
        # again by its supervisor (below).
        sweep_after_the_wait(on_spare, decision_id)
        worker = wait_supervised(session, on_spare, decision_id, worker, env, tmp_path)
    finally:
        stop_worker(worker)
        on_spare.extensions["cdht"].engine.dispose()
    assert b"Connection to broker lost" in (tmp_path / "worker.log").read_bytes()  # it did fall under the worker
    each_issued_once(app, session, decision_id, BATCH)


def wait_supervised(session: Session, app, decision_id: str, worker: subprocess.Popen[bytes], env: dict[str, str],
                    folder: Path, seconds: float = 180) -> subprocess.Popen[bytes]:
    """Wait for the whole batch as the deployment runs a worker (docs/deploy.md: systemd, Restart=always): one that
    exits is started again, and the sweeper, which beat runs every few minutes, finds what it had claimed.

    kombu 5.7's Redis transport sometimes makes the worker exit when the connection drops while a message is
    unacknowledged (AttributeError on the closed connection's parameters, "Unrecoverable error" in its log): that
    costs a restart, never a certificate, which is what this test holds the system to."""
    deadline, restarts, log = time.monotonic() + seconds, 0, folder / "worker.log"
    while (issued := count_of(session, decision_id)) < BATCH:
        if worker.poll() is not None:
            restarts += 1
            assert restarts <= 3, f"the worker exited {restarts} times:\n" + log.read_text()[-4000:]
            log = folder / f"worker-restart-{restarts}.log"
            worker = start_worker(env, log, f"spare{restarts}", concurrency=2)
            sweep_after_the_wait(app, decision_id)
        assert time.monotonic() < deadline, f"{issued} issued of {BATCH} wanted:\n" + log.read_text()[-4000:]
        time.sleep(0.1)
    return worker
