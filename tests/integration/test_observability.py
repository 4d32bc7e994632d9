"""A citizen's journey through the web app and a real worker with JSON logs (ADR 45): the request's id reaches the
worker's lines of the tasks it sent; no identity number, name, phone or e-mail address reaches any log line of the
web, the worker or beat; the worker node's counters and the web's scrape show the certificate issued."""

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import cccd_for, citizen_data, make_staff, scores
from processes import ROOT, free_port, start_worker, stop_worker
from sqlmodel import Session

from webapp import log_setup
from workflows.names import fold

pytestmark = pytest.mark.integration
TOKEN = "worker-metrics-token-0123456789abcdef"
REQUEST_ID = "obs-test-00000042"



@pytest.fixture(scope="module")
def json_env(runtime_env: dict[str, str], tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("metrics-worker")
    return {**runtime_env, "LOG_FORMAT": "json", "METRICS_TOKEN": TOKEN, "WORKER_METRICS_PORT": str(free_port()),
            "PROMETHEUS_MULTIPROC_DIR": str(folder)}


@pytest.fixture(scope="module")
def worker(json_env: dict[str, str], app, tmp_path_factory) -> Iterator[tuple[subprocess.Popen, Path]]:
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    proc = start_worker(json_env, log, "observed")
    yield proc, log
    stop_worker(proc)


def _beat_lines(env: dict[str, str], folder: Path) -> list[str]:
    """Start beat with the same environment, let it send its first tasks' schedule, stop it; its log lines."""
    log = folder / "beat.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "beat", "--loglevel=INFO",
                                 "-s", str(folder / "schedule")], cwd=ROOT, env={**os.environ, **env},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while b"beat: Starting" not in log.read_bytes():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # reaped whatever happens, then the test says it would not stop
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    return log.read_text().splitlines()


def _scrape(port: int, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers),
                                    timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, ""


def test_a_journey_carries_its_request_id_into_the_worker_and_leaks_no_personal_data(
        app, api, session: Session, worker, json_env: dict[str, str], tmp_path: Path) -> None:
    proc, worker_log = worker
    stream = io.StringIO()
    io_handler = log_setup.handler("json", stream)
    io_handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(io_handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        cccd = cccd_for(1979, female=True)
        person = citizen_data(cccd=cccd, full_name="Hoàng Thị Thu Trang", date_of_birth="1979-03-08", sex="female",
                              email="thu.trang.obs@example.vn", phone="0987 654 321")
        _me, aid = api.submitted(person)
        refused = api.client.post("/api/v1/auth/token", json={"username": cccd, "password": "wrong-password"})
        assert refused.status_code == 401  # logged under cdht.security, without the number
        make_staff(session, "ward_reviewer", username="obs-reviewer")
        make_staff(session, "ward_chair", username="obs-chair")
        rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("obs-reviewer"),
                      json={"action": "approve", "version": 2, "scores": scores(9)})
        assert rv.status_code == 200
        chair = api.token("obs-chair")
        rv = api.call("POST", "/api/v1/decisions", {**chair, "X-Request-ID": REQUEST_ID}, json={
            "year": 2026, "number": "45/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
            "application_ids": [aid]})
        assert rv.status_code == 201 and rv.headers["X-Request-ID"] == REQUEST_ID
        deadline = time.monotonic() + 90
        while api.call("GET", f"/api/v1/decisions/{rv.json['id']}", chair).json["issued"] < 1:
            assert time.monotonic() < deadline and proc.poll() is None, worker_log.read_text()
            time.sleep(0.5)
    finally:
        root.removeHandler(io_handler)
        root.setLevel(level)
    web_lines = stream.getvalue().splitlines()

    # The worker's lines of the tasks the decision's request sent carry its id, with the task's id and name.
    deadline = time.monotonic() + 30
    while True:
        lines = [json.loads(line) for line in worker_log.read_text().splitlines() if line.startswith("{")]
        ours = [line for line in lines if line.get("request_id") == REQUEST_ID]
        if any(line.get("task", "").startswith("cdht.render_certificate") for line in ours):
            break
        assert time.monotonic() < deadline, worker_log.read_text()
        time.sleep(0.5)
    assert all(line["task_id"] and line["task"] for line in ours)
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[-1])

    # The node's counters: issued here; refused without the token.
    port = int(json_env["WORKER_METRICS_PORT"])
    assert _scrape(port, None)[0] == 404 and _scrape(port, TOKEN + "x")[0] == 404
    status, text = _scrape(port, TOKEN)
    issued = [line for line in text.splitlines() if line.startswith("cdht_certificates_issued_total")]
    assert status == 200 and issued and float(issued[0].split()[-1]) >= 1

    beat = _beat_lines(json_env, tmp_path)
    assert any(json.loads(line)["message"].startswith("beat: Starting") for line in beat if line.startswith("{"))

    everything = "\n".join([*web_lines, worker_log.read_text(), *beat]).lower()
    security = [json.loads(line) for line in web_lines if '"cdht.security"' in line]
    assert security and all(line["request_id"] for line in security)
    personal = [cccd, cccd[-6:], "Trang", fold("Trang"), "Hoàng Thị", "thu.trang", "0987654321", "987 654 321",
                "1979-03-08"]
    assert [p for p in personal if p.lower() in everything] == []
