"""The web nodes' gunicorn configuration in the repository is valid: one request at a time a process."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _printed(tmp_path, **env: str) -> dict[str, str]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {"CDHT_INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "2", "PATH": str(gunicorn.parent), **env}
    out = subprocess.run([str(gunicorn), "--check-config", "-c", "gunicorn.conf.py", "--print-config"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return {key.strip(): value.strip() for key, _, value in
            (line.partition("=") for line in out.stdout.splitlines()) if value}


def test_gunicorn_accepts_the_configuration(tmp_path) -> None:
    """One request at a time a process, the next taken from the one listening queue (ADR 49): no thread, and no
    kept-alive connection that would hold a free process while others wait."""
    settings = _printed(tmp_path)
    assert settings["worker_class"] == "sync" and settings["workers"] == "2" and settings["threads"] == "1"
    assert settings["keepalive"] == "0"
    assert settings["wsgi_app"] == "webapp:create_app()"
    assert settings["control_socket_disable"] == "True"  # no shared ~/.gunicorn socket between two servers
    assert settings["logger_class"] == "webapp.access_log.RedactingLogger"


def test_threads_stay_an_option(tmp_path) -> None:
    settings = _printed(tmp_path, WEB_WORKER_CLASS="gthread", WEB_THREADS="4")
    assert settings["worker_class"] == "gthread" and settings["threads"] == "4" and settings["keepalive"] == "5"
    assert int(settings["worker_connections"]) == 2 * int(settings["threads"])  # no process hoards connections
    # WEB_THREADS means nothing to a sync process: it is not silently turned into a threaded one.
    assert _printed(tmp_path, WEB_THREADS="4")["worker_class"] == "sync"


def test_the_access_log_keeps_no_token_query_or_referrer() -> None:
    """A reset link's token, a name search and the referrer never reach the access log (V14.2.1)."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from webapp.access_log import RedactingLogger

    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(U)s %(q)s %(f)s %(s)s')
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/password/reset/eyJzZWNyZXQ.abc?x=1", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/password/reset/eyJzZWNyZXQ.abc", "QUERY_STRING": "q=Nguy%E1%BB%85n",
               "HTTP_REFERER": "https://cdht.example/reviewer/?q=Nguyen", "REMOTE_ADDR": "10.0.0.7"}
    resp = SimpleNamespace(status="200 OK", sent=10, headers=[("Set-Cookie", "session=secret")])
    req = SimpleNamespace(headers=[("COOKIE", "session=secret"), ("AUTHORIZATION", "Bearer tok")])
    atoms = RedactingLogger(config).atoms(resp, req, environ, timedelta(milliseconds=12))
    line = config.access_log_format % atoms
    assert "/password/reset/…" in line and "eyJzZWNyZXQ" not in line
    assert "Nguy" not in line and "secret" not in line and "Bearer" not in line
    searched = RedactingLogger(config).atoms(resp, req, environ | {"PATH_INFO": "/reviewer/"}, timedelta(0))
    assert searched["U"] == "/reviewer/" and searched["q"] == "-"
