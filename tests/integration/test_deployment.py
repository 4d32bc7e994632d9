"""The operator's guide, run: the blocks of docs/deploy.md's "Trying the deployment on one machine" (each marked
`<!-- deploy-test: NAME -->`) are run as written by bash, with this test's own values for the first one (its own
PostgreSQL database, its Redis database, a bucket prefix on the local S3 server of tests/s3_server.py, a free port, a
temporary folder). They migrate, make the staff and start gunicorn, two workers and the beat; then the spine's journey
goes over real HTTP to a certificate one of the two workers issued, downloaded, verified online, offline and by its
QR code. Production runtime only: the guide runs PostgreSQL and Redis."""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from conftest import REDIS_URL, RUNTIME
from journey_http import Client, recognised, wait_issued
from own_database import own_database
from processes import free_port

from certificates import offline
from workflows.clock import today

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
BIN = Path(sys.executable).parent
YEAR = today().year  # the year the app itself is in (Hà Nội's date)
MARKED = re.compile(r"^<!-- deploy-test: ([a-z0-9-]+) -->\n```sh\n(.*?)\n```$", re.MULTILINE | re.DOTALL)
STEPS = ("prepare", "migrate", "staff")  # run one after the other, each after `env`
PROCESSES = ("web", "worker-1", "worker-2", "beat")  # started in the background, each after `env`
VALUES = ("CDHT", "TRIAL", "TRIAL_DATABASE_URL", "TRIAL_BROKER_URL", "TRIAL_LIMITS_URL", "TRIAL_STORAGE_URL",
          "TRIAL_S3_ENDPOINT_URL", "TRIAL_S3_KEY_ID", "TRIAL_S3_SECRET", "TRIAL_PORT", "TRIAL_STAFF_PASSWORD")

pytestmark = pytest.mark.integration
production_only = pytest.mark.skipif(
    RUNTIME != "production", reason="the guide runs PostgreSQL and Redis: CDHT_TEST_RUNTIME=production runs it")


def guide_blocks() -> dict[str, str]:
    """The marked ```sh blocks of docs/deploy.md by name; a name marked twice is an error in the guide."""
    found = MARKED.findall(GUIDE.read_text(encoding="utf-8"))
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"a deploy-test mark is used twice in {GUIDE}: {names}"
    return dict(found)


def test_the_guide_marks_every_step_the_test_runs() -> None:
    """The guide and this test agree: every step is marked, and the values block sets exactly what the test gives."""
    blocks = guide_blocks()
    assert set(blocks) == {"values", "env", *STEPS, *PROCESSES}, sorted(blocks)
    exported = re.findall(r"^export ([A-Z0-9_]+)=", blocks["values"], re.MULTILINE)
    assert sorted(exported) == sorted(VALUES)



@dataclass
class Deployment:
    """The running processes of the guide, their logs, and where the web server answers."""

    base: str
    folder: Path
    values: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def dead(self) -> str | None:
        """The first process that exited, with its log; None while all run."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                return f"{name} exited with {proc.returncode}:\n{self.log(name)}"
        return None


def _script(blocks: dict[str, str], name: str) -> str:
    return f"set -e\n{blocks['env']}\n{blocks[name]}\n" if name != "prepare" else f"set -e\n{blocks[name]}\n"


def _run(blocks: dict[str, str], name: str, env: dict[str, str], extra: str = "") -> None:
    script = _script(blocks, name) + extra
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=180,
                          start_new_session=True, check=False)  # no terminal: the password is read from stdin
    assert done.returncode == 0, f"the guide's block {name!r} failed:\n{done.stdout}\n{done.stderr}"


def _stop(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group (a warm shutdown), then SIGKILL what is left after 20 s."""
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_until(what: str, ready: Any, deployment: Deployment, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        dead = deployment.dead()
        assert dead is None, dead
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds} s"
        time.sleep(0.3)


def _ready(base: str) -> bool:
    try:
        return requests.get(f"{base}/readyz", timeout=5).status_code == 200
    except requests.RequestException:  # not listening yet
        return False


@pytest.fixture(scope="module")
def deployment(s3_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The guide's blocks run with this test's values; the processes stopped at the end, even on failure."""
    folder = tmp_path_factory.mktemp("deployment")
    blocks = guide_blocks()
    redis.Redis.from_url(REDIS_URL).flushdb()
    with own_database(folder, "cdht_deploy") as database_url:
        s3 = s3_server.env(f"deploy-{uuid.uuid4().hex[:8]}")
        port = free_port()
        values = {"CDHT": str(ROOT), "TRIAL": str(folder / "trial"), "TRIAL_DATABASE_URL": database_url,
                  "TRIAL_BROKER_URL": REDIS_URL, "TRIAL_LIMITS_URL": REDIS_URL, "TRIAL_STORAGE_URL": s3["STORAGE_URL"],
                  "TRIAL_S3_ENDPOINT_URL": s3["S3_ENDPOINT_URL"], "TRIAL_S3_KEY_ID": s3["AWS_ACCESS_KEY_ID"],
                  "TRIAL_S3_SECRET": s3["AWS_SECRET_ACCESS_KEY"], "TRIAL_PORT": str(port),
                  "TRIAL_STAFF_PASSWORD": secrets.token_urlsafe(18)}
        # This checkout's virtualenv first, wherever it is (the guide puts $CDHT/.venv/bin before it).
        env = {**os.environ, **values, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        for name in STEPS:
            _run(blocks, name, env)
        # Not the guide's: this year's campaign open whatever today's date, so the journey can apply and decide.
        _run(blocks, "env", env, f"flask --app webapp campaigns set --year {YEAR} --registration-closes {YEAR}-12-31 "
             f"--self-assessment-closes {YEAR}-12-31 --review-deadline {YEAR}-12-31 "
             f"--year-end-report-on {YEAR}-12-31\n")
        deployment = Deployment(f"http://127.0.0.1:{port}", folder, values)
        try:
            for name in PROCESSES:
                with (folder / f"{name}.log").open("wb") as out:
                    deployment.procs[name] = subprocess.Popen(
                        ["bash", "-c", _script(blocks, name)], env=env, stdout=out, stderr=subprocess.STDOUT,
                        start_new_session=True)
            _wait_until("/readyz answering 200", lambda: _ready(deployment.base), deployment)
            for name in ("worker-1", "worker-2"):
                _wait_until(f"{name} ready", lambda name=name: "ready." in deployment.log(name), deployment)
            _wait_until("the beat holding the lock", lambda: "holds the beat lock" in deployment.log("beat"),
                        deployment)
            yield deployment
        finally:
            _stop(deployment.procs)


@production_only
def test_the_guides_processes_take_a_citizen_to_a_verified_certificate(deployment: Deployment,
                                                                     s3_server: Any) -> None:
    ready = requests.get(f"{deployment.base}/readyz", timeout=10).json()
    assert ready == {"status": "ready", "checks": {"database": "ok", "broker": "ok", "storage": "ok"}}
    client = Client(deployment.base)
    staff = deployment.values["TRIAL_STAFF_PASSWORD"]
    decided = recognised(client, YEAR, "Trần Thị Mai", reviewer=("trial-reviewer", staff),
                         chair=("trial-chair", staff))
    wait_issued(client, decided, deployment.dead)

    rv = client.call("GET", f"/api/v1/certificates/{decided.code}/pdf", decided.citizen)
    assert rv.status_code == 200 and rv.headers["Content-Type"] == "application/pdf", rv.text[:200]
    pdf = rv.content
    verified = client.call("GET", f"/api/v1/verify/{decided.code}").json()
    assert verified["valid"] is True and verified["holder_name"] == "Trần Thị Mai", verified
    keys = offline.parse_keys(client.call("GET", "/.well-known/cdht-keys.json").json())
    assert offline.verify(pdf, keys).valid  # the payload attached to the PDF, with no server
    missing = [tool for tool in ("pdftoppm", "zbarimg") if shutil.which(tool) is None]
    assert not missing, f"system tools missing (make test installs them): {missing}"
    [qr] = offline.read_qr_codes(pdf)
    assert qr.startswith(f"{deployment.base}/verify/{decided.code}"), qr
    assert offline.verify_qr(qr, keys).valid

    # Stored in the bucket under the guide's prefix, not in a folder.
    bucket, _, prefix = deployment.values["TRIAL_STORAGE_URL"].removeprefix("s3://").partition("/")
    stored = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
    assert any(item["Key"].endswith(".pdf") for item in stored.get("Contents", [])), stored
    # One of the two workers issued it, and its own log says so; the one beat holds the lock.
    workers = {"worker-1": "w1@", "worker-2": "w2@"}
    issued_by = [name for name in workers
                 if re.search(r"cdht\.render_certificates?\[[^\]]+\] succeeded", deployment.log(name))]
    assert len(issued_by) == 1, {name: deployment.log(name)[-3000:] for name in workers}
    assert workers[issued_by[0]] in deployment.log(issued_by[0])  # the node name given by the guide's -n
    assert "this beat holds the beat lock" in deployment.log("beat"), deployment.log("beat")
