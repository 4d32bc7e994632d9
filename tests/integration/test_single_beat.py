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


def test_a_beat_stopped_in_the_middle_of_a_statement_of_its_lock_stops(app, settings) -> None:
    """Celery's SIGTERM handler closes the scheduler between two bytecodes of whatever the beat was doing. If that
    was a statement of the lock's connection, the driver holds the connection's lock, and closing the connection from
    the handler would wait on it for ever (seen once in CI: a beat that never stopped). Here the "handler" runs in the
    driver's wait, under that lock: the lock's release leaves the connection to the process's end and returns."""
    import threading

    from webapp.beat_lock import AdvisoryLock

    if not settings.database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's; SQLite's beats take a file lock")
    lock = AdvisoryLock(settings.database_url)
    checked = None
    try:
        assert lock.hold()
        assert lock._conn is not None
        raw = lock._conn.connection.dbapi_connection
        driver_wait = raw.wait
        handled: list[str] = []

        def wait_then_stop(*args, **kwargs):  # type: ignore[no-untyped-def]
            if not handled:
                handled.append("release asked mid-statement")
                lock.release()  # what the SIGTERM handler does, from inside the statement
            return driver_wait(*args, **kwargs)

        raw.wait = wait_then_stop
        checked = threading.Thread(target=lock.hold, daemon=True)
        checked.start()
        checked.join(timeout=20)
        assert not checked.is_alive(), "the release waited for the statement it interrupted"
        assert handled
    finally:
        if checked is None or not checked.is_alive():  # a stuck statement would hold this release too
            lock.release()
