"""The lock that makes one beat of many the one that sends (ADR 48): held by a process for as long as it lives.

On PostgreSQL, a session advisory lock on a connection of its own: the server releases it when that connection
closes, so a beat that crashed (or whose machine vanished: TCP keep-alives, about 30 s) frees it for another. The
connection's application_name ("cdht-beat host pid") names the holder to the beats that wait. On SQLite, which
lives on one machine, an exclusive lock (flock) on a file beside the instance, released by the kernel with the
process; the file holds the same name.
"""

import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
# The advisory lock's key, one for every CDHT database ("CDHT" in ASCII); advisory locks are per database.
ADVISORY_KEY = 0x43444854


def holder_name() -> str:
    """How this process names itself to the beats that wait: its host and process id (no personal data)."""
    return f"cdht-beat {socket.gethostname()} {os.getpid()}"[:63]  # PostgreSQL's limit for application_name


class BeatLock(Protocol):
    """What the scheduler asks of a lock: take it or confirm it is still held, name who holds it, let it go."""

    def hold(self) -> bool: ...

    def holder(self) -> str | None: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, database_url: str) -> None:
        # Not the app's engine (no pool, no audit hooks): one connection, kept open, closed to release the lock.
        self._engine = create_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={
            "application_name": holder_name(), "connect_timeout": 5,
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3})
        self._conn: Connection | None = None
        self._held = False
        # True while a statement runs on the connection. Celery's beat stops from its SIGTERM handler, which runs
        # between two bytecodes of whatever the beat was doing: if that was a statement, the driver holds its
        # connection's lock, and closing the connection from the handler would wait on it for ever.
        self._busy = False

    def hold(self) -> bool:
        """Take the lock, or check the connection that holds it is still open; False if another holds it or the
        database does not answer (tried again at the next call)."""
        self._busy = True
        try:
            return self._hold()
        finally:
            self._busy = False

    def _hold(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            if self._held:
                self._conn.execute(text("SELECT 1"))  # a dropped connection has lost the lock with it
            else:
                self._held = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                                     {"key": ADVISORY_KEY}).scalar())
        except SQLAlchemyError as exc:
            log.warning("beat lock: the database did not answer (%s); this beat sends nothing until it does",
                        type(exc).__name__)
            self._close()
        return self._held

    def holder(self) -> str | None:
        """The application_name of the connection that holds the lock, if it can be read."""
        if self._conn is None:
            return None
        self._busy = True
        try:
            return self._conn.execute(text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = :key "
                "AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"key": ADVISORY_KEY}).scalar()
        except SQLAlchemyError:
            return None
        finally:
            self._busy = False

    def release(self) -> None:
        """Close the connection: the lock goes with it. Asked while a statement of this lock runs (a signal handler
        stopping the beat), it leaves the connection alone: it closes with the process, and the lock with it."""
        if self._busy:
            return
        self._close()
        self._engine.dispose()

    def _close(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None


class FileLock:
    """An exclusive flock on a file: for SQLite, where every process of the city runs on one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def hold(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(holder_name())
        handle.flush()
        self._file = handle
        return True

    def holder(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the flock
            self._file = None


def lock_for(database_url: str, instance_path: Path) -> BeatLock:
    """The lock that fits the database: advisory on PostgreSQL, a file beside the instance on SQLite."""
    if database_url.startswith("postgresql"):
        return AdvisoryLock(database_url)
    return FileLock(instance_path / "beat.lock")
