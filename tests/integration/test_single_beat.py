"""Two beats on one database: one sends the sweep, the other sends nothing and says who holds the lock, and takes
over when the holder is killed (ADR 48). PostgreSQL's advisory lock on the production runtime, a file lock on the
embedded one."""

import re
import socket
import time
from pathlib import Path

import pytest
from processes import kill_worker, start_beat, start_worker, stop_worker

from webapp.single_beat import RETRY_EVERY

pytestmark = pytest.mark.integration
SENT = "Sending due task sweep-certificates"
HOLDS = "this beat holds the beat lock"


def _sent(log: Path) -> int:
    return log.read_text().count(SENT)


def _wait_for(log: Path, text: str, seconds: float, count: int = 1) -> float:
    """Wait until `text` is in the log `count` times; return when (time.monotonic())."""
    deadline = time.monotonic() + seconds
    while log.read_text().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not seen {count} times in {seconds} s:\n{log.read_text()}"
        time.sleep(0.1)
    return time.monotonic()


def test_only_the_beat_holding_the_lock_sends_and_another_takes_over_when_it_dies(
        app, runtime_env: dict[str, str], tmp_path: Path) -> None:
    env = {**runtime_env, "SWEEP_EVERY_SECONDS": "1"}
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_beat(env, first_log)
    second = None
    try:
        _wait_for(first_log, HOLDS, 30)
        second = start_beat(env, second_log)
        # The waiting beat names the holder: its host and process id.
        _wait_for(second_log, f"another beat holds the beat lock (cdht-beat {socket.gethostname()} {first.pid})", 30)
        sent_before = _sent(first_log)
        _wait_for(first_log, SENT, 30, count=sent_before + 4)  # four more seconds of sweeps, every one from the first
        assert _sent(second_log) == 0, second_log.read_text()
        assert HOLDS not in second_log.read_text()
        assert second_log.read_text().count("another beat holds the beat lock") == 1  # once, then every 5 minutes

        kill_worker(first)  # SIGKILL, no goodbye: the lock goes with its connection (or its open file)
        killed_at = time.monotonic()
        took_over = _wait_for(second_log, HOLDS, 60)
        _wait_for(second_log, SENT, 30, count=2)
        assert took_over - killed_at < RETRY_EVERY + 5, f"took over after {took_over - killed_at:.1f} s"
    finally:
        for proc in (first, second):
            if proc is not None:
                stop_worker(proc)
        app.extensions["celery"].control.purge()  # no sweep left for a later test's worker


def test_a_worker_with_its_own_beat_sweeps_as_make_run_does(app, runtime_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    worker = start_worker({**runtime_env, "SWEEP_EVERY_SECONDS": "1"}, log, "alone", beat=True)
    try:
        _wait_for(log, HOLDS, 30)
        deadline = time.monotonic() + 30
        while len(re.findall(r"Task cdht\.sweep_certificates\[[-0-9a-f]+\] succeeded", log.read_text())) < 2:
            assert time.monotonic() < deadline, log.read_text()  # sent by its beat, run by the worker
            time.sleep(0.1)
    finally:
        stop_worker(worker)
        app.extensions["celery"].control.purge()
