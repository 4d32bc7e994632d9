"""Measure the city administrators' roll-up (workflows.rollup.rollup) over N certificates, on SQLite and PostgreSQL.

Usage: .venv/bin/python -m benchmarks.rollup_query [--rows 1000000] [--engine sqlite|postgresql|both] [--repeat 5]

Per engine: `alembic upgrade head` on a fresh database (a temporary SQLite file, or a cdht_bench_<random> PostgreSQL
database on 127.0.0.1:5432, dropped at the end even on error), reference data, then N citizens (each with a login) and
N "cdht" certificates, one in 33 revoked. Certificates come in decision-sized runs of 250 per ward, as issuance writes
them. Loading: one executemany transaction (SQLite) or COPY (PostgreSQL), every migration index in place, foreign-key
checks skipped for the load only (the rows are consistent by construction). PostgreSQL then gets VACUUM ANALYZE (what
autovacuum does soon after a bulk load); SQLite gets nothing, as the app never runs ANALYZE. "cold" is the first
rollup() on a new engine whose connection is open; "warm" is the median of the next K calls.
Prints one JSON object on stdout; progress goes to stderr. Exits 1 if the city count is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from alembic import command
from sqlalchemy import Table, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from benchmarks.scratch import postgres_database
from webapp.cli import alembic_config
from workflows import rollup_counters
from workflows.actors import CITY_ADMIN, Actor
from workflows.db import make_engine, session_scope
from workflows.models import Application, Certificate, Citizen, CriteriaSet, Decision, User, Ward
from workflows.rollup import rollup
from workflows.seed import seed_reference

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
YEAR = 2025
REVOKE_EVERY = 33  # certificate i is revoked when i % 33 == 0: about 3%
RUN = 250  # consecutive certificates of one ward (one decision's worth)
STAMP = datetime(2025, 8, 1, 2, 30, tzinfo=UTC)
Row = tuple[Any, ...]
Batch = tuple[Table, tuple[str, ...], Iterator[Row]]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthetic_rows(n: int, wards: list[str], criteria_set_id: str, engine: Engine) -> list[Batch]:
    """The rows to load, table by table in foreign-key order; constants are converted once for the engine."""

    def const(model: type[SQLModel], column: str, value: Any) -> Any:
        processor = table(model).c[column].type.bind_processor(engine.dialect)
        return processor(value) if processor else value

    ts, signed = const(Certificate, "queued_at", STAMP), const(Decision, "signed_on", date(2025, 7, 30))
    born, yes = const(Citizen, "date_of_birth", date(1980, 1, 1)), const(User, "active", True)
    empty = "{}"  # JSON columns: the text SQLite stores and COPY parses

    def ward_of(i: int) -> int:
        return i // RUN % len(wards)

    def users() -> Iterator[Row]:
        for j, code in enumerate(wards):
            yield (f"chair{j:03d}", f"chair{code}", "bench-no-hash", "ward_chair", code, "", yes, 1, ts)
        for i in range(n):
            yield (f"u{i:010d}", f"001{i:09d}", "bench-no-hash", "citizen", None, "", yes, 1, ts)

    def citizens() -> Iterator[Row]:
        for i in range(n):
            yield (f"c{i:010d}", f"u{i:010d}", f"001{i:09d}", f"Công dân {i}", f"cong dan {i}", born, "female",
                   wards[ward_of(i)], "resident", ts, "2025-01", ts)

    def certificates() -> Iterator[Row]:
        for i in range(n):
            j, gone = ward_of(i), i % REVOKE_EVERY == 0
            yield (f"k{i:010d}", f"B{i:010d}", f"HN-{wards[j]}-{YEAR}-{i:07d}", f"a{j:03d}", f"c{i:010d}",
                   f"d{j:03d}", wards[j], "cdht", YEAR, "revoked" if gone else "issued", 1,
                   None if gone else f"c{i:010d}:cdht:{YEAR}", empty, 0, ts, ts, ts if gone else None)

    # One application (held by citizen j, wherever they live) and one decision per ward.
    applications = ((f"a{j:03d}", f"c{j:010d}", code, criteria_set_id, "cdht", YEAR, "resident", "recognised", 1,
                     empty, empty, ts, ts) for j, code in enumerate(wards))
    decisions = ((f"d{j:03d}", code, YEAR, f"{j + 1}/QĐ-UBND", YEAR, signed, "Chủ tịch UBND", f"chair{j:03d}", ts)
                 for j, code in enumerate(wards))
    return [
        (table(User), ("id", "username", "password_hash", "role", "ward_code", "display_name", "active",
                       "session_version", "created_at"), users()),
        (table(Citizen), ("id", "user_id", "cccd", "full_name", "name_folded", "date_of_birth", "sex", "ward_code",
                          "target_group", "consent_at", "consent_version", "created_at"), citizens()),
        (table(Application), ("id", "citizen_id", "ward_code", "criteria_set_id", "title_type", "year",
                              "target_group", "state", "version", "self_scores", "reviewer_scores", "created_at",
                              "updated_at"), applications),
        (table(Decision), ("id", "ward_code", "year", "number", "number_year", "signed_on", "signer_name", "created_by",
                           "created_at"), decisions),
        (table(Certificate), ("id", "code", "register_number", "application_id", "citizen_id", "decision_id",
                              "ward_code", "title_type", "year", "status", "version", "live_key", "snapshot",
                              "attempts", "queued_at", "issued_at", "revoked_at"), certificates()),
    ]


def table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def bulk_load(engine: Engine, batches: list[Batch]) -> None:
    """SQLite: executemany in one transaction. PostgreSQL: COPY in one transaction."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            lite = cast(sqlite3.Connection, raw.driver_connection)
            lite.execute("PRAGMA foreign_keys=OFF")
            lite.execute("PRAGMA cache_size=-262144")  # 256 MB for index maintenance
            for tbl, cols, rows in batches:
                marks = ", ".join("?" * len(cols))
                lite.executemany(f"INSERT INTO {tbl.name} ({', '.join(cols)}) VALUES ({marks})", rows)  # noqa: S608
        else:
            pg = cast(psycopg.Connection[Any], raw.driver_connection)
            with pg.cursor() as pcur:
                pcur.execute("SET session_replication_role = replica")  # no foreign-key triggers
                for tbl, cols, rows in batches:
                    with pcur.copy(f"COPY {tbl.name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        raw.commit()
    finally:
        raw.invalidate()  # closed, not pooled: its load-only settings must not reach the timed connections


def bench_engine(url: str, rows: int, repeat: int) -> tuple[dict[str, Any], int]:
    """Migrate, seed, load and time rollup() on one database; return the results and the expected city count."""
    t0 = time.perf_counter()
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with session_scope(engine) as session:
        seed_reference(session)
    with Session(engine) as session:
        wards = list(session.exec(select(Ward.code).where(Ward.active == True).order_by(col(Ward.code))).all())  # noqa: E712
        criteria_set_id = session.exec(select(CriteriaSet.id)).one()
    log(f"  schema and reference data in {time.perf_counter() - t0:.1f} s ({len(wards)} wards)")
    t0 = time.perf_counter()
    bulk_load(engine, synthetic_rows(rows, wards, criteria_set_id, engine))
    load_s = time.perf_counter() - t0
    log(f"  loaded {rows:,} citizens, users and certificates in {load_s:.1f} s")
    with session_scope(engine) as session:
        rollup_counters.rebuild(session)  # rows loaded without the domain: count them (ADR 10)
    if engine.dialect.name == "postgresql":
        t0 = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        log(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
    engine.dispose()

    engine = make_engine(url)  # new connections: empty SQLite page cache, nothing compiled or prepared yet
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        actor = Actor(user_id=None, role=CITY_ADMIN)
        timings: list[float] = []
        city: set[int] = set()
        for _ in range(1 + repeat):
            with Session(engine) as session:
                t0 = time.perf_counter()
                result = rollup(session, actor, YEAR)
                timings.append((time.perf_counter() - t0) * 1000)
            city.add(sum(w.cdht for w in result.wards))  # every ward's (no denominators are loaded here)
    finally:
        engine.dispose()
    expected, warm = rows - len(range(0, rows, REVOKE_EVERY)), statistics.median(timings[1:])
    log(f"  rollup cold {timings[0]:.1f} ms, warm median {warm:.1f} ms; city cdht {sorted(city)} (expected {expected})")
    return {"load_s": round(load_s, 2), "cold_ms": round(timings[0], 2), "warm_median_ms": round(warm, 2),
            "city_cdht": city.pop() if len(city) == 1 else sorted(city)}, expected


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """Yield the URL of an empty database: a temporary SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    with postgres_database("rollup_query") as url:
        yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.rows < 126 or args.repeat < 1:
        parser.error("--rows must be at least 126 (one per ward) and --repeat at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` drops the PostgreSQL database
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    results: dict[str, dict[str, Any]] = {}
    ok = True  # every engine's city count is right
    for name in engines:
        log(f"{name}: {args.rows:,} rows")
        with contextlib.redirect_stdout(sys.stderr), fresh_database(name) as url:  # stdout is for the JSON alone
            results[name], expected = bench_engine(url, args.rows, args.repeat)
        if results[name]["city_cdht"] != expected:
            log(f"{name}: WRONG city cdht {results[name]['city_cdht']}, expected {expected}")
            ok = False
    print(json.dumps({"rows": args.rows, "results": results, "machine": {"cpus": os.cpu_count()}}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
