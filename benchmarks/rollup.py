"""Time the city dashboard and roll-up read from their counters against a full recount, on a synthetic city.

Usage: .venv/bin/python -m benchmarks.rollup [--citizens 8700000] [--year 2026] [--requests 200] [--seed 1]
                                             [--runtime production|embedded]

production (default): a fresh cdht_bench_rollup_<random> PostgreSQL database on 127.0.0.1:5432 (dropped at the end,
also on error or SIGTERM); embedded: a SQLite file in a temporary directory. Migrated to head and seeded;
workflows.synthetic.generate() fills it (it rebuilds the counters), then VACUUM ANALYZE (PostgreSQL: what autovacuum
does soon after a bulk load) or ANALYZE (SQLite). A city administrator signs in through the login form, and the
Flask test client sends REQUESTS GETs of the dashboard page /admin/ (both indicators, the ward table, the month by
month table, the projections and the breakdowns: `dashboard_*`), then REQUESTS GETs of /api/v1/rollup with a bearer
token (`api_*`), each after one unmeasured request. In the same run: `recount_ms`, the median of three full recounts
from the base tables as `flask rollup check` does them (the title's live certificates, the digital holders and the
holders' breakdowns: ADR 10, 15, 20), and `count_query_ms`, the median of three runs of the query the roll-up used
before counters (live certificates of the year grouped by ward). One JSON line on stdout, progress on stderr. Exits
1 if the counters differ from the recount or the API's wards do not add up to the live certificates of the year; the
targets (dashboard p95 ≤ 50 ms and ≤ 1/20 of the recount) are reported in `targets_met`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
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
from workflows import accounts, holder_counters, rollup_counters
from workflows.clock import today
from workflows.db import session_scope
from workflows.digital import counters as digital_counters
from workflows.models import Certificate
from workflows.seed import seed_reference
from workflows.synthetic import generate
from workflows.vocabulary import Role, TitleType

TARGET_P95_MS = 50.0
PASSWORD = "bench-password-1"
TARGET_RATIO = 20.0


def database(runtime: str, tmp: Path) -> contextlib.AbstractContextManager[str]:
    """A database of this run's own: PostgreSQL (dropped afterwards) or a SQLite file in the run's directory."""
    if runtime == "production":
        return postgres_database("rollup")
    return contextlib.nullcontext(f"sqlite:///{tmp / 'bench.sqlite3'}")


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
    parser.add_argument("--runtime", choices=("production", "embedded"), default="production")
    args = parser.parse_args()
    if args.citizens < 1 or args.requests < 1:
        parser.error("--citizens and --requests must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` drops the database
    with (contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp,
          database(args.runtime, Path(tmp)) as url):  # stdout carries the JSON line alone
        instance = Path(tmp)
        (instance / "signing_key.pem").write_bytes(generate_private_key_pem())
        settings = from_env({"CDHT_INSTANCE_PATH": tmp, "DATABASE_URL": url, "CELERY_BROKER_URL": "filesystem://",
                             "STORAGE_URL": str(instance / "storage"),
                             "SIGNING_KEY_PATH": str(instance / "signing_key.pem"),
                             "SECRET_KEY": secrets.token_urlsafe(40), "PUBLIC_BASE_URL": "http://cdht.bench",
                             # every page reads the counters: what is measured is the read, not the kept figures
                             "DASHBOARD_MAX_AGE_SECONDS": "0"})
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
            analyse = "VACUUM ANALYZE" if args.runtime == "production" else "ANALYZE"
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(analyse))
            log(f"{analyse} in {time.perf_counter() - t0:.1f} s")
            result = measure(app, engine, args.year, args.requests)
        finally:
            engine.dispose()
    result = {"runtime": args.runtime, "citizens": report.citizens, "certificates": report.certificates,
              "live_certificates": report.live_certificates, "year": args.year, **result,
              "generate_s": report.seconds["total"], "machine": {"cpus": os.cpu_count()}}
    print(json.dumps(result))
    return 0 if result["check_clean"] and result["api_adds_up"] and result["dashboard_shows_breakdowns"] else 1


def measure(app: Any, engine: Any, year: int, requests: int) -> dict[str, Any]:
    """The dashboard's and the API's timings, the recount's and the old count query's, and whether all agree."""
    with session_scope(engine) as session:
        user = accounts.create_user(session, username="bench-admin", password=PASSWORD, role=Role.CITY_ADMIN)
        token, _expires = accounts.issue_token(session, user)
    page, client, headers = app.test_client(), app.test_client(), {"Authorization": f"Bearer {token}"}
    form = page.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf, "no CSRF token on the login page"
    signed_in = page.post("/login", data={"csrf_token": csrf.group(1), "username": "bench-admin",
                                          "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code

    def dashboard() -> str:
        rv = page.get(f"/admin/?year={year}&sort=gap")
        assert rv.status_code == 200, rv.status_code
        return str(rv.get_data(as_text=True))

    def get() -> Any:
        rv = client.get(f"/api/v1/rollup?year={year}", headers=headers)
        assert rv.status_code == 200, rv.status_code
        return rv.json

    first, html = timed(dashboard, 1)
    spent, html = timed(dashboard, requests)
    p50, p95 = statistics.median(spent), percentile(spent, 95)
    log(f"GET /admin/: first {first[0]:.1f} ms, p50 {p50:.2f} ms, p95 {p95:.2f} ms over {requests}")
    api_first, _ = timed(get, 1)
    api_spent, body = timed(get, requests)
    api_p50, api_p95 = statistics.median(api_spent), percentile(api_spent, 95)
    log(f"GET /api/v1/rollup: first {api_first[0]:.1f} ms, p50 {api_p50:.2f} ms, p95 {api_p95:.2f} ms")

    with Session(engine) as session:
        # Everything the dashboard reads, as `flask rollup check` recounts it: the title's live certificates, the
        # holders of basic digital skills and the holders' breakdowns (the synthetic city gives about half its
        # adults a verified import, and most people a tổ dân phố/thôn).
        recounts, differences = timed(
            lambda: [*rollup_counters.check(session), *digital_counters.check(session),
                     *holder_counters.check(session)], 3)
        session.rollback()
        counter_rows = rollup_counters.rows(session) + holder_counters.rows(session)
        old = (select(Certificate.ward_code, func.count())
               .where(Certificate.year == year, Certificate.title_type == TitleType.CDHT,
                      col(Certificate.live_key).is_not(None))
               .group_by(col(Certificate.ward_code)))
        counts, by_ward = timed(lambda: dict(session.exec(old).all()), 3)
        ages = holder_counters.breakdown(session, year, "age_band")
    recount_ms, count_ms = statistics.median(recounts), statistics.median(counts)
    log(f"recount (check) median {recount_ms:.1f} ms: {len(differences)} differences over {counter_rows} rows; "
        f"old count query median {count_ms:.1f} ms")
    for d in differences[:20]:
        log(f"  DIFFERENCE {d}")
    # The API counts holders aged 15 and over (the targets' denominator): the live certificates of the year less
    # those of holders under 15 (none in the synthetic city, whose applicants are adults) must be what it shows.
    under_15 = ages.get("cdht", {}).get("0_14", 0)
    api_wards = {w["code"]: w["cdht"] for w in body["wards"]}
    adds_up = sum(api_wards.values()) == sum(by_ward.values()) - under_15 and (
        under_15 or all(api_wards.get(code, 0) == n for code, n in by_ward.items()))
    if not adds_up:
        log("  the API's wards do not add up to the live certificates of the year")
    shows = "Người đạt là ai" in html and 'id="trend"' in html
    return {
        "requests": requests, "first_ms": round(first[0], 2), "dashboard_p50_ms": round(p50, 2),
        "dashboard_p95_ms": round(p95, 2), "dashboard_max_ms": round(max(spent), 2),
        "api_p50_ms": round(api_p50, 2), "api_p95_ms": round(api_p95, 2),
        "recount_ms": round(recount_ms, 1), "recount_over_p95": round(recount_ms / p95, 1),
        "count_query_ms": round(count_ms, 1), "check_clean": not differences, "counter_rows": counter_rows,
        "city_cdht": body["city"]["cdht"], "wards_cdht": sum(api_wards.values()), "api_adds_up": adds_up,
        "city_digital": body["city"]["digital"], "city_digital_rate": body["city"]["digital_rate"],
        "dashboard_shows_breakdowns": shows,
        "targets_met": p95 <= TARGET_P95_MS and p95 * TARGET_RATIO <= recount_ms and api_p95 <= TARGET_P95_MS,
    }


if __name__ == "__main__":
    sys.exit(main())
