"""The documented deployment around a benchmark's web tier (docs/deploy.md): documents in an S3-compatible store, two
Celery worker nodes and one beat on the same database and broker, JSON logs and metrics on, as in production.

The S3-compatible server is moto's server mode (`moto_server`, from the `test` extra), in a process of its own on a
free local port; on a real deployment the store is on other machines, here it shares the cores with everything else.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.scratch import free_port, log

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUCKET = "cdht-load"
# moto accepts any credentials: these name no real account.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "cdht-bench-access-key", "AWS_SECRET_ACCESS_KEY": "cdht-bench-secret-key",
               "AWS_DEFAULT_REGION": "us-east-1"}
WORKER_NODES = ("w1", "w2")



def _wait(condition: object, what: str, proc: subprocess.Popen[bytes], log_path: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        ended = log_path.read_text(errors="replace")[-3000:]
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}:\n{ended}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start in {seconds:.0f} s:\n{ended}")
        time.sleep(0.2)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _spawn(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


@contextlib.contextmanager
def object_store(tmp: Path) -> Iterator[dict[str, str]]:
    """A local S3-compatible server with an empty bucket; yields the variables that point the app at it."""
    port = free_port()
    log_path = tmp / "s3.log"
    server = _spawn([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], dict(os.environ), log_path)
    try:
        def answers() -> bool:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
            return False

        _wait(answers, "the S3-compatible server", server, log_path)
        env = {"STORAGE_URL": f"s3://{BUCKET}/documents", "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", **CREDENTIALS}
        import boto3

        boto3.session.Session(aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                              region_name=CREDENTIALS["AWS_DEFAULT_REGION"]).client(
            "s3", endpoint_url=env["S3_ENDPOINT_URL"]).create_bucket(Bucket=BUCKET)
        log(f"S3-compatible server on port {port}, bucket {BUCKET}")
        yield env
    finally:
        _stop([server])


def production_extras() -> dict[str, str]:
    """What the documented deployment sets beyond the benchmark's own variables: JSON logs, the metrics token."""
    return {"LOG_FORMAT": "json", "METRICS_TOKEN": secrets.token_urlsafe(32)}


@contextlib.contextmanager
def workers_and_beat(env: dict[str, str], tmp: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two worker nodes (one process each, as a 2-core web node's neighbour would run) and one beat, ready."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for node in WORKER_NODES:
            log_path = tmp / f"worker-{node}.log"
            proc = _spawn([str(BIN / "celery"), "-A", "worker", "worker", "--concurrency=1", "--loglevel=INFO",
                           "-n", f"{node}@%h"], env, log_path)
            procs.append(proc)
            _wait(lambda p=log_path: b"ready." in p.read_bytes(), f"worker {node}", proc, log_path)
        log_path = tmp / "beat.log"
        beat = _spawn([str(BIN / "celery"), "-A", "worker", "beat", "--loglevel=INFO"], env, log_path)
        procs.append(beat)
        _wait(lambda: b"Starting" in log_path.read_bytes(), "beat", beat, log_path)
        log(f"{len(WORKER_NODES)} workers and a beat ready")
        yield procs
        for proc, name in zip(procs, [*WORKER_NODES, "beat"], strict=True):
            if proc.poll() is not None:
                raise SystemExit(f"{name} died during the run ({proc.returncode})")
    finally:
        _stop(procs)
