"""gunicorn as deployed (gunicorn.conf.py, two processes) with JSON logs and metrics (ADR 45): one scrape sums what
every process counted; access lines are JSON with the request's id and still no query string."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from processes import ROOT

pytestmark = pytest.mark.integration
TOKEN = "gunicorn-metrics-token-0123456789abcdef"


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Connection": "close",
                                                                                  **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as answered:
        return answered.code, ""


def test_one_scrape_sums_every_process_and_access_lines_are_json(runtime_env: dict[str, str], app,
                                                                 tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path / "metrics-web"
    env = {**os.environ, **runtime_env, "LOG_FORMAT": "json", "METRICS_TOKEN": TOKEN, "WEB_CONCURRENCY": "2",
           "WEB_THREADS": "2", "GUNICORN_BIND": f"127.0.0.1:{port}", "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")  # emptied at start (on_starting)
    log = tmp_path / "gunicorn.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as out:
        proc = subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        for n in range(20):
            assert _get(port, f"/verify/NOSUCH{n:02d}?q=Nguyen", {"X-Request-ID": f"gunicorn-test-{n:04d}"})[0] == 404
        assert _get(port, "/metrics")[0] == 404
        status, text = _get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert status == 200
    verify = [line for line in text.splitlines()
              if line.startswith('cdht_http_requests_total{method="GET",route="/verify/<code>",status="404"}')]
    assert verify and float(verify[0].split()[-1]) == 20
    assert list(folder.glob("counter_*.db")) and not (folder / "counter_1.db").exists()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line.get("path", "").startswith(
        "/verify/")]
    assert len(access) == 20 and {line["request_id"] for line in access} == {f"gunicorn-test-{n:04d}"
                                                                               for n in range(20)}
    assert all(line["status"] == "404" and line["method"] == "GET" for line in access)
    assert "Nguyen" not in log.read_text()
