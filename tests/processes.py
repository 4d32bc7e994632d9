"""Real worker and beat processes for integration tests: started with the app's environment, killed like a crash."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A local TCP port nobody listens on right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_worker(env: dict[str, str], log: Path, name: str, concurrency: int = 1,
                 host: str = "%h", beat: bool = False, root: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start `celery -A worker worker` (node name `name@host`; with its own beat, as `make run` does) in its own
    process group and wait until it is ready; `root` is the tree whose code it runs (another release's, with
    PYTHONPATH on it in `env`)."""
    return _start(["worker", "--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
                   "--without-mingle", "-n", f"{name}@{host}", *(["--beat"] if beat else [])], env, log, b"ready.",
                  root)


def start_workers(env: dict[str, str], nodes: list[tuple[Path, str, str]]) -> list[subprocess.Popen[bytes]]:
    """Start one worker per (log, name, host) together, as nodes of a city would, and wait until all are ready."""
    arguments = ["worker", "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "--without-gossip",
                 "--without-mingle"]
    procs = [_spawn([*arguments, "-n", f"{name}@{host}"], env, log) for log, name, host in nodes]
    for proc, (log, _name, _host) in zip(procs, nodes, strict=True):
        _wait_ready(proc, log, b"ready.", "worker")
    return procs


def start_beat(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `celery -A worker beat` in its own process group, once it has started."""
    return _start(["beat", "--loglevel=INFO"], env, log, b"beat: Starting...")


def _start(arguments: list[str], env: dict[str, str], log: Path, ready: bytes,
           root: Path = ROOT) -> subprocess.Popen[bytes]:
    proc = _spawn(arguments, env, log, root)
    _wait_ready(proc, log, ready, arguments[0])
    return proc


def _spawn(arguments: list[str], env: dict[str, str], log: Path, root: Path = ROOT) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", *arguments], cwd=root,
                                env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, ready: bytes, what: str) -> None:
    deadline = time.monotonic() + 90
    while ready not in log.read_bytes():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"celery {what} did not start:\n" + log.read_text()
        time.sleep(0.2)


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """Ask the worker to finish and wait; kill it if it will not."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill_worker(proc)


def kill_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children at once, as a crash or an OOM kill would."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
