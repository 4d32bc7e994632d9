"""The previous release's code on the newest schema (ADR 47): during a rolling release, web nodes and workers of the
previous release (the last line of RELEASES) run on a database the new release already migrated. Its tree is taken
from git (`git archive`), the database migrated to the NEW head by the new code, then the OLD code's web app
(gunicorn) and worker serve the main journey through the JSON API (docs/api.md): register, sign in, open an
application, log an activity, self-assess, submit, the reviewer's proposal, the chair's decision, the certificate
issued by the old worker; the NEW code then verifies the certificate and the audit chain the old code wrote."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from alembic import command
from closing import close_app
from factories import PASSWORD, make_staff
from journey_http import Client, recognised, wait_issued
from own_database import own_database
from processes import free_port, start_worker, stop_worker
from releases import NoHistory, extract, history_required, previous_release
from sqlmodel import Session

from webapp import create_app
from webapp.cli import alembic_config
from webapp.config import from_env
from workflows import audit_chain
from workflows.clock import today
from workflows.db import session_scope
from workflows.seed import seed_reference

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent
YEAR = today().year  # the year the app itself is in (Hà Nội's date)


@pytest.fixture(scope="module")
def old_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's tree, its message catalogue compiled (as `make install` would)."""
    commit = previous_release()
    try:
        tree = extract(commit, tmp_path_factory.mktemp("previous-release"))
    except NoHistory as exc:
        if history_required():
            raise
        pytest.skip(f"the previous release {commit[:12]} is not in this checkout's git history ({exc}): "
                    "run on a clone with full history")
    subprocess.run([str(BIN / "pybabel"), "compile", "-d", str(tree / "webapp/translations")], check=True,
                   capture_output=True)
    return tree


@pytest.fixture(scope="module")
def new_schema(runtime_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """This run's environment on a database of its own, migrated to the new head by the new code and seeded."""
    instance = tmp_path_factory.mktemp("rolling")
    with own_database(instance, "cdht_rolling") as url:
        env = {**runtime_env, "CDHT_INSTANCE_PATH": str(instance), "STORAGE_URL": str(instance / "storage"),
               "DATABASE_URL": url}
        yield _migrated_and_seeded(env)


def _migrated_and_seeded(env: dict[str, str]) -> dict[str, str]:
    """The new head, reference data, a reviewer and a chair of ward 00004, and this year open for everything."""
    settings = from_env(env)
    command.upgrade(alembic_config(settings.database_url, settings.identity_seal_key), "head")
    app = create_app(settings)
    with session_scope(app.extensions["cdht"].engine) as session:
        seed_reference(session)
    with Session(app.extensions["cdht"].engine) as session:
        make_staff(session, "ward_reviewer", username="rolling-reviewer")
        make_staff(session, "ward_chair", username="rolling-chair")
    close_app(app)
    opened = subprocess.run(  # the year open whatever today's date (the tests' own campaign rule does not reach here)
        [sys.executable, "-m", "flask", "--app", "webapp", "campaigns", "set", "--year", str(YEAR),
         "--registration-closes", f"{YEAR}-12-31", "--self-assessment-closes", f"{YEAR}-12-31",
         "--review-deadline", f"{YEAR}-12-31", "--year-end-report-on", f"{YEAR}-12-31"],
        env={**os.environ, **env}, capture_output=True, text=True, check=False)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    return env



def _old(env: dict[str, str], tree: Path) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(tree)}


@pytest.fixture(scope="module")
def old_web(old_tree: Path, new_schema: dict[str, str], tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[str]:
    """The previous release's web app (gunicorn, its own gunicorn.conf.py) on the new schema; its base URL."""
    port = free_port()
    env = {**os.environ, **_old(new_schema, old_tree), "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "WEB_THREADS": "4"}
    log = tmp_path_factory.mktemp("old-web") / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=old_tree, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        assert server.poll() is None, log.read_text()
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:  # not listening yet, or too busy to answer in time: ask again
            pass
        assert time.monotonic() < deadline, "the previous release's web app did not start:\n" + log.read_text()
        time.sleep(0.3)
    yield base
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def old_worker(old_tree: Path, new_schema: dict[str, str], tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[subprocess.Popen[bytes]]:
    """The previous release's Celery worker on the new schema."""
    proc = start_worker(_old(new_schema, old_tree), tmp_path_factory.mktemp("old-worker") / "worker.log",
                        "previous-release", root=old_tree)
    yield proc
    stop_worker(proc)


def test_the_old_processes_run_the_old_code(old_tree: Path, new_schema: dict[str, str]) -> None:
    """The harness is what it claims: with its PYTHONPATH and folder, the web app and the worker import the release's
    tree, not this checkout (the venv holds this checkout as an editable install)."""
    probe = "import webapp, worker, workflows; print(webapp.__file__, worker.__file__, workflows.__file__)"
    found = subprocess.run([sys.executable, "-c", probe],
                           cwd=old_tree, env={**os.environ, **_old(new_schema, old_tree)}, capture_output=True,
                           text=True, check=True).stdout.split()
    assert len(found) == 3 and all(Path(path).is_relative_to(old_tree) for path in found), found


def test_previous_release_serves_the_main_journey_on_the_new_schema(
        old_web: str, old_worker: subprocess.Popen[bytes], new_schema: dict[str, str]) -> None:
    old = Client(old_web)
    decided = recognised(old, YEAR, "Đỗ Thị Hằng", reviewer=("rolling-reviewer", PASSWORD),
                         chair=("rolling-chair", PASSWORD))
    code = decided.code
    wait_issued(old, decided, lambda: None if old_worker.poll() is None else "the previous release's worker died")
    assert old.call("GET", f"/api/v1/verify/{code}").json()["valid"] is True

    app = create_app(from_env(new_schema))  # the new release reads what the old one wrote
    answer = app.test_client().get(f"/api/v1/verify/{code}")
    assert answer.status_code == 200 and answer.json["valid"] is True, answer.json
    assert answer.json["holder_name"] == "Đỗ Thị Hằng"
    with app.extensions["cdht"].engine.connect() as conn:
        report = audit_chain.verify(conn)
    assert report.clean and report.checked > 0, report.problems
    close_app(app)
