"""The web nodes' gunicorn configuration in the repository is valid and serves the app with threads."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_accepts_the_configuration(tmp_path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {"CDHT_INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "2", "PATH": str(gunicorn.parent)}
    out = subprocess.run([str(gunicorn), "--check-config", "-c", "gunicorn.conf.py", "--print-config"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    settings = {key.strip(): value.strip() for key, _, value in
                (line.partition("=") for line in out.stdout.splitlines()) if value}
    assert settings["worker_class"] == "gthread" and settings["workers"] == "2" and int(settings["threads"]) >= 4
    assert settings["wsgi_app"] == "webapp:create_app()"
    assert settings["control_socket_disable"] == "True"  # no shared ~/.gunicorn socket between two servers
    assert int(settings["worker_connections"]) == 2 * int(settings["threads"])  # no process hoards connections
