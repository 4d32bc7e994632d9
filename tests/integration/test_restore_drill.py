"""The restore drill (ADR 46), on this run's runtime: a ward with issued certificates is backed up with `flask
backup`, destroyed (database dropped or deleted, storage deleted), restored with `flask restore`; then every
certificate still verifies (signature and stored PDF), the audit chain and the counters check out. Also what a
restore refuses: a damaged backup, a newer revision, a target that is not empty."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from closing import close_app
from conftest import RUNTIME, Api
from factories import issued_certificate
from own_database import admin, own_database
from sqlmodel import Session, select

from webapp import create_app
from webapp.backups import MANIFEST
from webapp.config import from_env
from webapp.runtime import Runtime
from workflows.db import session_scope
from workflows.models import AuditEvent
from workflows.seed import seed_reference

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def drill_env(runtime_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """This run's environment with a database and a storage of the drill's own (it destroys them)."""
    with own_database(tmp_path, "cdht_drill") as url:
        yield {**runtime_env, "STORAGE_URL": str(tmp_path / "storage"), "CDHT_INSTANCE_PATH": str(tmp_path),
               "DATABASE_URL": url}


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """An operator's `flask --app webapp …` in this environment."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False)


def _destroy(env: dict[str, str]) -> None:
    if RUNTIME == "production":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        admin(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin(f'CREATE DATABASE "{name}"')  # what the operator makes before restoring: an empty database
    else:
        Path(env["DATABASE_URL"].removeprefix("sqlite:///")).unlink()
    shutil.rmtree(env["STORAGE_URL"])


def test_backup_destroy_restore_everything_verifies(drill_env: dict[str, str], tmp_path: Path) -> None:
    settings = from_env(drill_env)
    assert flask(drill_env, "db", "upgrade").returncode == 0
    app = create_app(settings)
    app.config["TESTING"] = True
    runtime: Runtime = app.extensions["cdht"]
    with session_scope(runtime.engine) as s:
        seed_reference(s)
    api = Api(app.test_client())
    with Session(runtime.engine, expire_on_commit=False) as session:
        codes = [issued_certificate(api, session, app, number, name).code
                 for number, name in (("31/QĐ-UBND", "Trần Thị Mai"), ("32/QĐ-UBND", "Phạm Văn Đức"))]
    stored = sorted(runtime.storage.iter_keys())
    assert len(stored) >= 2
    close_app(app)

    backup = tmp_path / "backup-1"
    made = flask(drill_env, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert "backup complete" in made.stdout and "Keys are NOT in the backup" in made.stdout
    manifest = json.loads((backup / MANIFEST).read_text())
    assert {f"storage/{key}" for key in stored} <= set(manifest["files"]) and manifest["keys_included"] is False

    _destroy(drill_env)
    restored = flask(drill_env, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "every SHA-256 matches" in restored.stdout and "restore complete" in restored.stdout

    for check in (("audit", "verify"), ("rollup", "check")):
        done = flask(drill_env, *check)
        assert done.returncode == 0, done.stdout + done.stderr
    app = create_app(settings)
    assert sorted(app.extensions["cdht"].storage.iter_keys()) == stored
    with Session(app.extensions["cdht"].engine) as session:  # restore recorded itself in the restored trail
        recorded = session.exec(select(AuditEvent).where(AuditEvent.entity_id == "restore")).one()
    assert recorded.detail["options"]["backup_revision"] == manifest["alembic_revision"]
    client = app.test_client()
    for code in codes:
        answer = client.get(f"/api/v1/verify/{code}")
        assert answer.status_code == 200 and answer.json["valid"] is True, answer.json
    close_app(app)

    again = flask(drill_env, "restore", str(backup))
    assert again.returncode == 2 and "is not empty" in again.stderr

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    victim = damaged / "storage" / stored[0]
    victim.chmod(0o644)
    victim.write_bytes(b"%PDF-1.7 not what was issued")
    refused = flask(drill_env, "restore", "--force", str(damaged))
    assert refused.returncode == 2 and f"storage/{stored[0]} does not match its SHA-256" in refused.stderr

    newer = tmp_path / "newer"
    shutil.copytree(backup, newer)
    (newer / MANIFEST).write_text(json.dumps({**manifest, "alembic_revision": "ffffffffffff"}))
    refused = flask(drill_env, "restore", "--force", str(newer))
    assert refused.returncode == 2 and "which this code does not know" in refused.stderr
