"""Three worker nodes on one database and one broker (ADR 48): a decision of 1,000 certificates, one node killed
with SIGKILL in the middle of a batch, the sweep recovers, and every certificate is issued exactly once, the killed
node's claims completed by the others. Once on Redis, once on RabbitMQ (a virtual host of the test's own).

Production runtime only: many machines share PostgreSQL, never a SQLite file.
"""

import dataclasses
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_issuance import approved, decide, each_issued_once, sweep_after_the_wait, wait_for
from conftest import RUNTIME
from factories import make_staff
from processes import kill_worker, start_workers, stop_worker
from sqlmodel import Session, select

from webapp import create_app
from workflows.clock import now
from workflows.models import Certificate

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(RUNTIME != "production", reason="many nodes share PostgreSQL: production runtime")]
BATCH = 1000
NODES = (("w1", "cdht-a"), ("w2", "cdht-b"), ("w3", "cdht-c"))
RABBITMQ = "127.0.0.1:5672"


def _wait_for_rabbitmq(seconds: float = 90) -> None:
    """RabbitMQ boots slower than the other services (.ci/run starts it with `rabbitmq-server -detached`)."""
    host, port = RABBITMQ.split(":")
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"RabbitMQ does not answer on {RABBITMQ}: rabbitmq-server -detached"
            time.sleep(1)


@pytest.fixture
def rabbitmq_url() -> Iterator[str]:
    """A RabbitMQ virtual host of this test's own on the local server, deleted afterwards."""
    _wait_for_rabbitmq()
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    vhost = f"cdht_test_{uuid.uuid4().hex[:10]}"
    made = subprocess.run([ctl, "add_vhost", vhost], capture_output=True, text=True, check=False)
    assert made.returncode == 0, f"RabbitMQ is not running or rabbitmqctl cannot reach it:\n{made.stderr}"
    subprocess.run([ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], capture_output=True, check=True)
    yield f"amqp://guest:guest@{RABBITMQ}/{vhost}"
    subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, check=False)


def _task_ids(log: Path, outcome: str) -> set[str]:
    return set(re.findall(rf"Task cdht\.render_certificates\[([-0-9a-f]+)\] {outcome}", log.read_text()))


def _in_flight(log: Path) -> set[str]:
    """Render batches the node received and has not finished."""
    return _task_ids(log, "received") - _task_ids(log, "succeeded")


def _left_behind(session: Session, decision_id: str, log: Path) -> set[str]:
    """Wait until the surviving nodes have nothing left to do (nothing changes for three seconds); return the ids
    not issued: the killed node's, claimed (rendering) or in a message it had taken (queued)."""
    last, still_since = None, time.monotonic()
    deadline = time.monotonic() + 120
    while True:
        session.expire_all()
        waiting = frozenset(session.exec(select(Certificate.id).where(Certificate.decision_id == decision_id,
                                                                       Certificate.status != "issued")).all())
        if waiting != last:
            last, still_since = waiting, time.monotonic()
        elif time.monotonic() - still_since > 3:
            return set(waiting)
        assert time.monotonic() < deadline, log.read_text()[-4000:]
        time.sleep(0.2)


def _issue_through_three_nodes(app, session: Session, env: dict[str, str], tmp_path: Path, number: str) -> None:
    reviewer = make_staff(session, "ward_reviewer", username=f"nodes-reviewer-{number[:2]}")
    chair = make_staff(session, "ward_chair", username=f"nodes-chair-{number[:2]}")
    ids = approved(session, BATCH, reviewer)
    logs = {name: tmp_path / f"{name}.log" for name, _host in NODES}
    nodes = start_workers(env, [(logs[name], name, host) for name, host in NODES])
    try:
        for name, host in NODES:
            assert f"{name}@{host} ready." in logs[name].read_text()
        decision_id = decide(app, session, chair, ids, number)
        wait_for(session, decision_id, 200, logs["w1"])
        deadline = time.monotonic() + 60
        while not _in_flight(logs["w1"]):  # killed with a batch in its hands, not between two
            assert time.monotonic() < deadline, logs["w1"].read_text()[-4000:]
            time.sleep(0.02)
        time.sleep(0.2)  # past its claim
        kill_worker(nodes[0])
        killed_at = now()
        assert all(_task_ids(logs[name], "succeeded") for name, _host in NODES), "a node did no work"
        left = _left_behind(session, decision_id, logs["w2"])
        assert left, "the killed node left nothing behind; the test proved nothing"
        sweep_after_the_wait(app, decision_id)  # the sweep sends the killed node's certificates again
        wait_for(session, decision_id, BATCH, logs["w2"])
    finally:
        for proc in nodes[1:]:
            stop_worker(proc)
        if nodes[0].poll() is None:
            kill_worker(nodes[0])
    certs = {c.id: c for c in each_issued_once(app, session, decision_id, BATCH)}
    # What the killed node held was issued after its death, so by the others; once each (each_issued_once).
    assert all(certs[cid].issued_at is not None and certs[cid].issued_at > killed_at for cid in left)
    # One stored file a certificate: nothing else beside them in their folder but other decisions' certificates.
    folder = Path(app.extensions["cdht"].settings.storage_url) / "certificates" / "2026" / "00004"
    files = {path.stem for path in folder.glob("*.pdf")}
    assert {c.code for c in certs.values()} <= files


def test_three_nodes_on_redis_issue_a_thousand_once_though_one_is_killed(
        app, session: Session, runtime_env: dict[str, str], tmp_path: Path) -> None:
    _issue_through_three_nodes(app, session, runtime_env, tmp_path, "97/QĐ-UBND")


def test_three_nodes_on_rabbitmq_issue_a_thousand_once_though_one_is_killed(
        app, settings, session: Session, runtime_env: dict[str, str], rabbitmq_url: str, tmp_path: Path) -> None:
    on_rabbitmq = create_app(dataclasses.replace(settings, broker_url=rabbitmq_url))
    try:
        _issue_through_three_nodes(on_rabbitmq, session, {**runtime_env, "CELERY_BROKER_URL": rabbitmq_url},
                                   tmp_path, "96/QĐ-UBND")
    finally:
        on_rabbitmq.extensions["cdht"].engine.dispose()
