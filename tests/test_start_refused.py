"""A web node, a worker and a beat given a wrong configuration print every problem, one a line, with no traceback,
and exit with CONFIG_EXIT (ADR 48): what an operator sees at the start, not a stack in the middle of the night."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.config import CONFIG_EXIT

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRONG = {"CDHT_ENV": "production", "DATABASE_URL": "postgres://db/cdht", "CELERY_BROKER_URL": "kafka://k:9092",
         "WEB_THREADS": "many", "SECRET_KEY": "s" * 40, "STORAGE_URL": "file:///srv/cdht",
         "PUBLIC_BASE_URL": "https://cdht.example.vn", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1"}


def _run(command: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": f"{BIN}:{os.environ['PATH']}", "CDHT_INSTANCE_PATH": str(tmp_path), "HOME": str(tmp_path)}
    return subprocess.run(command, cwd=ROOT, env=base | env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", [
    [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
    [str(BIN / "celery"), "-A", "worker", "worker"],
    [str(BIN / "celery"), "-A", "worker", "beat"],
], ids=["web", "worker", "beat"])
def test_a_wrong_configuration_is_listed_without_a_traceback(tmp_path, command: list[str]) -> None:
    out = _run(command, WRONG | {"SIGNING_KEY_PATH": str(tmp_path / "key.pem")}, tmp_path)
    assert out.returncode == CONFIG_EXIT, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert "cannot start. CDHT's configuration has 3 problems:" in out.stderr
    for line in ("- DATABASE_URL: must start with postgresql+psycopg:// or sqlite://",
                 "- CELERY_BROKER_URL: must start with redis://, rediss://, amqp:// or filesystem://",
                 "- WEB_THREADS: must be a whole number, at least 1; got 'many' (for example WEB_THREADS=8)"):
        assert line in out.stderr, out.stderr


def test_a_worker_without_a_readable_signing_key_refuses_to_start(tmp_path) -> None:
    right = WRONG | {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/absent",
                     "CELERY_BROKER_URL": "redis://127.0.0.1:1/0", "WEB_THREADS": "8",
                     "SIGNING_KEY_PATH": str(tmp_path / "absent.pem")}
    out = _run([str(BIN / "celery"), "-A", "worker", "worker"], right, tmp_path)
    assert out.returncode == CONFIG_EXIT, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert (f"CDHT's worker cannot start. CDHT's configuration has 1 problem:\n- SIGNING_KEY_PATH: a worker signs "
            f"certificates and cannot read {tmp_path}/absent.pem") in out.stderr
