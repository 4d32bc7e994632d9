"""Time the city roll-up read from its counters (GET /api/v1/rollup) against a full recount, on a synthetic city.

Usage: .venv/bin/python -m benchmarks.rollup [--citizens 8700000] [--year 2026] [--requests 200] [--seed 1]

A fresh cdht_bench_rollup_<random> PostgreSQL database on 127.0.0.1:5432 (dropped at the end, also on error or
SIGTERM), migrated to head and seeded; workflows.synthetic.generate() fills it (it rebuilds the counters), then
VACUUM ANALYZE (what autovacuum does soon after a bulk load). A city administrator signs in with a bearer token
(workflows.accounts.create_user + issue_token) and the Flask test client sends REQUESTS GETs of /api/v1/rollup,
after one unmeasured request. In the same run: `recount_ms`, the median of three full recounts from the base table
as `flask rollup check` does them (workflows.rollup_counters.check), and `count_query_ms`, the median of three runs
of the query the roll-up used before counters (live certificates of the year grouped by ward). One JSON line on
stdout, progress on stderr. Exits 1 if the counters differ from the recount or the API's wards do not add up to
the live certificates of the year; the targets (p95 ≤ 50 ms, ≤ 1/20 of the recount) are reported in `targets_met`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from benchmarks.scratch import log, postgres_database
from certificates import generate_private_key_pem
from webapp import create_app
from webapp.cli import alembic_config
from webapp.config import from_env
from workflows import accounts, rollup_counters
from workflows.clock import today
from workflows.db import session_scope
from workflows.digital import counters as digital_counters
from workflows.models import Certificate
from workflows.seed import seed_reference
from workflows.synthetic import generate
from workflows.vocabulary import Role, TitleType

TARGET_P95_MS = 50.0
TARGET_RATIO = 20.0


def fresh_database() -> contextlib.AbstractContextManager[str]:
    """A PostgreSQL database of this run's own, dropped afterwards."""
    return postgres_database("rollup")


def timed(fn: Callable[[], Any], times: int) -> tuple[list[float], Any]:
    """Run fn `times` times; return each run's milliseconds and the last result."""
    spent, result = [], None
    for _ in range(times):
        t0 = time.perf_counter()
        result = fn()
        spent.append((time.perf_counter() - t0) * 1000)
    return spent, result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=today().year)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.citizens < 1 or args.requests < 1:
        parser.error("--citizens and --requests must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` drops the database
    with (contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp,
          fresh_database() as url):  # stdout carries the JSON line alone
        instance = Path(tmp)
        (instance / "signing_key.pem").write_bytes(generate_private_key_pem())
        settings = from_env({"CDHT_INSTANCE_PATH": tmp, "DATABASE_URL": url, "CELERY_BROKER_URL": "filesystem://",
                             "STORAGE_URL": str(instance / "storage"),
                             "SIGNING_KEY_PATH": str(instance / "signing_key.pem"),
                             "SECRET_KEY": secrets.token_urlsafe(40), "PUBLIC_BASE_URL": "http://cdht.bench"})
        t0 = time.perf_counter()
        command.upgrade(alembic_config(url), "head")
        app = create_app(settings)
        engine = app.extensions["cdht"].engine
        try:
            with session_scope(engine) as session:
                seed_reference(session)
            log(f"migrated and seeded in {time.perf_counter() - t0:.1f} s; generating {args.citizens:,} citizens")
            report = generate(engine, citizens=args.citizens, year=args.year, seed=args.seed)
            log(f"generated in {report.seconds['total']:.1f} s: {report.certificates:,} certificates, "
                f"{report.live_certificates:,} live")
            t0 = time.perf_counter()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            log(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s")
            result = measure(app, engine, args.year, args.requests)
        finally:
            engine.dispose()
    result = {"citizens": report.citizens, "certificates": report.certificates,
              "live_certificates": report.live_certificates, "year": args.year, **result,
              "generate_s": report.seconds["total"], "machine": {"cpus": os.cpu_count()}}
    print(json.dumps(result))
    return 0 if result["check_clean"] and result["api_adds_up"] else 1


def measure(app: Any, engine: Any, year: int, requests: int) -> dict[str, Any]:
    """The API's timings, the recount's and the old count query's, and whether all three agree."""
    with session_scope(engine) as session:
        user = accounts.create_user(session, username="bench-admin", password="bench-password-1",
                                    role=Role.CITY_ADMIN)
        token, _expires = accounts.issue_token(session, user)
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}

    def get() -> Any:
        rv = client.get(f"/api/v1/rollup?year={year}", headers=headers)
        assert rv.status_code == 200, rv.status_code
        return rv.json

    first, _ = timed(get, 1)
    spent, body = timed(get, requests)
    p50, p95 = statistics.median(spent), percentile(spent, 95)
    log(f"GET /api/v1/rollup: first {first[0]:.1f} ms, p50 {p50:.2f} ms, p95 {p95:.2f} ms over {requests}")

    with Session(engine) as session:
        # Both indicators, as `flask rollup check` recounts them: the title's live certificates and the holders of
        # basic digital skills (the synthetic city gives about half its adults a verified import).
        recounts, differences = timed(
            lambda: [*rollup_counters.check(session), *digital_counters.check(session)], 3)
        session.rollback()
        counter_rows = rollup_counters.rows(session)
        old = (select(Certificate.ward_code, func.count())
               .where(Certificate.year == year, Certificate.title_type == TitleType.CDHT,
                      col(Certificate.live_key).is_not(None))
               .group_by(col(Certificate.ward_code)))
        counts, by_ward = timed(lambda: dict(session.exec(old).all()), 3)
    recount_ms, count_ms = statistics.median(recounts), statistics.median(counts)
    log(f"recount (check) median {recount_ms:.1f} ms: {len(differences)} differences over {counter_rows} rows; "
        f"old count query median {count_ms:.1f} ms")
    for d in differences[:20]:
        log(f"  DIFFERENCE {d}")
    api_wards = {w["code"]: w["cdht"] for w in body["wards"]}
    adds_up = all(api_wards.get(code, 0) == n for code, n in by_ward.items()) and \
        sum(api_wards.values()) == sum(by_ward.values())
    if not adds_up:
        log("  the API's wards do not add up to the live certificates of the year")
    return {
        "requests": requests, "first_ms": round(first[0], 2), "dashboard_p50_ms": round(p50, 2),
        "dashboard_p95_ms": round(p95, 2), "dashboard_max_ms": round(max(spent), 2),
        "recount_ms": round(recount_ms, 1), "recount_over_p95": round(recount_ms / p95, 1),
        "count_query_ms": round(count_ms, 1), "check_clean": not differences, "counter_rows": counter_rows,
        "city_cdht": body["city"]["cdht"], "wards_cdht": sum(api_wards.values()), "api_adds_up": adds_up,
        "city_digital": body["city"]["digital"], "city_digital_rate": body["city"]["digital_rate"],
        "targets_met": p95 <= TARGET_P95_MS and p95 * TARGET_RATIO <= recount_ms,
    }


if __name__ == "__main__":
    sys.exit(main())
