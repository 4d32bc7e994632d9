"""Bulk loading: COPY on PostgreSQL, executemany on SQLite, the big tables' secondary indexes dropped meanwhile.

The indexes to drop are read from the database's own catalogue (pg_index, sqlite_master) and recreated from the
very definitions read, so what comes back is exactly what the migrations made: no drift, whatever revision the
database is at. Primary keys stay (the synthetic ids grow, so each insert appends to the right of the tree), and so
do indexes that a foreign key depends on.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import psycopg
from sqlalchemy.engine import Connection, Engine

from .rows import COLUMNS, Chunk

T = TypeVar("T")
BIG_TABLES = ("app_user", "citizen", "application", "activity", "certificate")
INDEX_BUILD_MEMORY = "1GB"  # maintenance_work_mem of the sessions that rebuild indexes (two at a time)
AGGREGATE_MEMORY = "1GB"  # work_mem of the transaction that rebuilds the counters (each hash of a query may take it)


@dataclass(frozen=True)
class SavedIndex:
    """A secondary index as the catalogue defines it, and the unique constraint it backs (if any)."""

    table: str
    name: str
    create: str  # the CREATE INDEX statement, as the database itself prints it
    constraint: str | None = None  # ALTER TABLE … ADD CONSTRAINT … USING INDEX (PostgreSQL unique constraints)
    drop: str = ""


_PG_INDEXES = """
SELECT t.relname, i.relname, pg_get_indexdef(i.oid), c.conname, c.condeferrable, c.condeferred
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = t.oid AND c.contype = 'u'
WHERE n.nspname = current_schema() AND t.relname = ANY(%s) AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid AND k.contype IN ('p', 'x', 'f'))
ORDER BY t.relname, i.relname
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def secondary_indexes(engine: Engine, tables: Sequence[str] = BIG_TABLES) -> list[SavedIndex]:
    """The secondary indexes (and unique constraints) of the tables, read from the catalogue."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            pg = cast("psycopg.Connection[Any]", raw.driver_connection)
            rows = pg.execute(_PG_INDEXES, (list(tables),)).fetchall()
            saved = []
            for table, name, create, constraint, deferrable, deferred in rows:
                add = None
                drop = f"DROP INDEX {_quote(name)}"
                if constraint:
                    add = (f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(constraint)} UNIQUE USING INDEX "
                           f"{_quote(name)}{' DEFERRABLE' if deferrable else ''}"
                           f"{' INITIALLY DEFERRED' if deferred else ''}")
                    drop = f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(constraint)}"
                saved.append(SavedIndex(table, name, create, add, drop))
            pg.rollback()
            return saved
        lite = cast(sqlite3.Connection, raw.driver_connection)
        marks = ", ".join("?" * len(tables))
        query = ("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                 f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name")  # placeholders only
        rows = lite.execute(query, tuple(tables)).fetchall()
        return [SavedIndex(t, n, sql, None, f"DROP INDEX {_quote(n)}") for t, n, sql in rows]
    finally:
        raw.close()


def _refresh_schema(conn: Connection) -> None:
    """Make a SQLite connection notice schema changes made by others before it parses DDL.

    SQLite checks CREATE INDEX and DROP INDEX against the connection's cached schema when it parses them, and only
    re-reads the schema when a statement runs: a pooled connection would still see the indexes another one dropped.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("SELECT count(*) FROM sqlite_master")


def drop_indexes(engine: Engine, saved: Sequence[SavedIndex]) -> None:
    """Drop them, in one transaction."""
    with engine.begin() as conn:
        _refresh_schema(conn)
        for index in saved:
            conn.exec_driver_sql(index.drop)


def restore_indexes(engine: Engine, saved: Sequence[SavedIndex]) -> None:
    """Create them again from their saved definitions; on PostgreSQL two at a time, the longest builds first."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            _refresh_schema(conn)
            for index in saved:
                conn.exec_driver_sql(index.create)
        return
    with engine.connect() as conn:
        sizes: dict[str, int] = dict(conn.exec_driver_sql(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%(t)s) AND relkind = 'r' "
            "AND relnamespace = current_schema()::regnamespace", {"t": list({s.table for s in saved})}).all())
    # Longest first, so that the other builds fill the time beside it: a GIN build is single-threaded and slow.
    work = sorted(saved, key=lambda s: -sizes.get(s.table, 0) * (4 if " USING gin " in s.create else 1))

    def build(index: SavedIndex) -> None:
        raw = engine.raw_connection()
        try:
            pg = cast("psycopg.Connection[Any]", raw.driver_connection)
            pg.execute(f"SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            pg.execute(index.create)
            pg.commit()
        finally:
            raw.invalidate()  # its session settings stay out of the pool

    # CREATE INDEX takes a share lock: two builds on one table run side by side. Turning an index back into its
    # unique constraint takes an exclusive lock, so that comes after every build, in one short transaction.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="synthetic-index") as pool:
        for future in [pool.submit(build, index) for index in work]:
            future.result()
    with engine.begin() as conn:
        for index in work:
            if index.constraint:
                conn.exec_driver_sql(index.constraint)


def skip_reference_checks(session: Any) -> None:
    """Foreign-key triggers off for the rest of the session's transaction, when its role may (a PostgreSQL
    superuser, as for the COPY above): for rows made from rows already there, correct by construction, whose checks
    would take half the insert's time (measured at 1 M citizens: 21 s, 10 s without)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    conn = session.connection()
    if conn.exec_driver_sql("SELECT current_setting('is_superuser')").scalar_one() == "on":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")


def aggregate_in_memory(session: Any) -> None:
    """Let the session's transaction hash its recounts in memory (PostgreSQL's work_mem, for this transaction only):
    the counters are rebuilt by grouping millions of rows, which the default 4 MB sends to sorts on disk."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SET LOCAL work_mem = '{AGGREGATE_MEMORY}'")


def analyze(engine: Engine, tables: Sequence[str]) -> None:
    """Refresh the planner's statistics after the load (PostgreSQL; the embedded runtime never runs ANALYZE)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(_quote(t) for t in tables)}")


def prefetch(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Iterate over items made by a background thread, at most `depth` ahead: rows are made while the last ones load."""
    box: queue.Queue[tuple[int, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(kind: int, value: Any) -> bool:
        while not stop.is_set():
            try:
                box.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(0, item):
                    return
            put(1, None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(2, exc)

    thread = threading.Thread(target=run, name="synthetic-rows", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == 1:
                return
            if kind == 2:
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def load(engine: Engine, chunks: Iterator[tuple[int, Chunk]], extra: dict[str, dict[str, object]],
         progress: Callable[[int], None] | None) -> None:
    """Load every chunk, one transaction each; `extra` gives constant values of columns the rows do not name."""
    if engine.dialect.name == "postgresql":
        _load_postgresql(engine, chunks, extra, progress)
        return
    raw = engine.raw_connection()
    try:
        _load_sqlite(cast(sqlite3.Connection, raw.driver_connection), chunks, extra, progress)
    finally:
        raw.invalidate()  # closed, not pooled: its load-only settings must not reach the app's connections


def _loading_session(engine: Engine) -> tuple[Any, psycopg.Connection[Any], bool]:
    """A connection set up for loading, and whether its foreign-key triggers are off."""
    raw = engine.raw_connection()
    pg = cast("psycopg.Connection[Any]", raw.driver_connection)
    try:
        # Foreign-key triggers off for this session: the rows refer to each other correctly by construction,
        # and a trigger per row would double the load. Only a superuser may; others load with the checks on.
        pg.execute("SET session_replication_role = replica")
        unchecked = True
    except psycopg.errors.InsufficientPrivilege:
        pg.rollback()
        unchecked = False
    pg.execute("SET synchronous_commit = off")
    pg.commit()
    return raw, pg, unchecked


def _load_postgresql(engine: Engine, chunks: Iterator[tuple[int, Chunk]], extra: dict[str, dict[str, object]],
                     progress: Callable[[int], None] | None) -> None:
    """COPY the chunks over two connections at once when the foreign-key triggers are off.

    A loading backend spends much of its time waiting for the WAL it must flush before it can reuse a buffer of its
    bulk-write ring; a second one computes meanwhile. With the checks on (not a superuser) the chunks go one after
    the other over one connection, so that every reference is committed before the rows that use it.
    """
    statements = {t: f"COPY {t} ({', '.join((*cols, *extra.get(t, {})))}) FROM STDIN" for t, cols in COLUMNS.items()}
    tails = {t: "".join(f"\t{_copy_text(v)}" for v in values.values()) for t, values in extra.items()}

    def as_copy_data(item: tuple[int, Chunk]) -> tuple[int, list[tuple[str, bytes]]]:
        # Every value is text already (NULL as \N, nothing to escape): a row is one join, a table one buffer,
        # made on the rows' thread so that the loading threads only feed PostgreSQL.
        people, chunk = item
        data = []
        for table, rows in chunk.items():
            if rows:
                texts, tail = cast("list[tuple[str, ...]]", rows), tails.get(table, "")
                lines = ["\t".join(row) + tail for row in texts] if tail else list(map("\t".join, texts))
                lines.append("")
                data.append((table, "\n".join(lines).encode()))
        return people, data

    sessions = [_loading_session(engine)]
    if sessions[0][2]:
        sessions.append(_loading_session(engine))
    source = prefetch(map(as_copy_data, chunks), depth=len(sessions) + 1)
    take, report, failed = threading.Lock(), threading.Lock(), threading.Event()

    def work(pg: psycopg.Connection[Any]) -> None:
        try:
            with pg.cursor() as cur:
                while not failed.is_set():
                    with take:
                        item = next(source, None)
                    if item is None:
                        return
                    people, data = item
                    for table, buffer in data:
                        with cur.copy(statements[table]) as copy:
                            copy.write(buffer)
                    pg.commit()
                    if progress:
                        with report:
                            progress(people)
        except BaseException:
            failed.set()
            raise

    try:
        with ThreadPoolExecutor(max_workers=len(sessions), thread_name_prefix="synthetic-copy") as pool:
            for future in [pool.submit(work, pg) for _, pg, _ in sessions]:
                future.result()
    finally:
        source.close()
        for raw, _, _ in sessions:
            raw.invalidate()  # closed, not pooled: their load-only settings must not reach the app's connections


def _copy_text(value: object) -> str:
    """A constant in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _load_sqlite(lite: sqlite3.Connection, chunks: Iterator[tuple[int, Chunk]], extra: dict[str, dict[str, object]],
                 progress: Callable[[int], None] | None) -> None:
    lite.commit()
    lite.execute("PRAGMA foreign_keys=OFF")  # as on PostgreSQL: consistent by construction, checked by the tests
    statements = {}
    for table, cols in COLUMNS.items():
        names = (*cols, *extra.get(table, {}))
        statements[table] = (f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - our own table names
                             f"VALUES ({', '.join('?' * len(names))})")
    try:
        for people, chunk in prefetch(chunks):
            for table, rows in chunk.items():
                tail = tuple(extra.get(table, {}).values())
                if rows:
                    lite.executemany(statements[table], [row + tail for row in rows] if tail else rows)
            lite.commit()
            if progress:
                progress(people)
    finally:
        lite.rollback()
        lite.execute("PRAGMA foreign_keys=ON")
