"""The ward reviewer's list of digital-skills records to verify, at city scale, on PostgreSQL.

Usage: .venv/bin/python -m benchmarks.digital_review [--citizens 200000] [--imported 0.6] [--self 0.2]
                                                     [--backlog 20000] [--verify 200]

A fresh PostgreSQL database (created here, dropped at the end even on error), migrated and seeded, filled by the
synthetic city with `--citizens` people (which gives about 55 % of its adults a verified import). Then, written
straight in SQL (the counters rebuilt afterwards): a verified
import for a share `--imported` of the citizens, a self-assessment (pending for ever) for a share `--self`, and a
backlog of `--backlog` course certificates waiting in ward 00004 (Phường Ba Đình). Measured through the domain
functions the pages and the API call (workflows.digital.verification): the list's first page, pages reached by
following the cursor 100 times, and `--verify` verifications at a level, each committed, oldest first; then the
digital counters are checked against a recount.

One JSON line on stdout: `attainments`, `backlog`, `first_page_p95_ms`, `later_page_p95_ms`, `verify_p95_ms`,
`check_clean`. Progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session, select

from benchmarks.scratch import log, postgres_database, seeded_app
from webapp.config import from_env
from workflows.accounts import actor_of
from workflows.clock import today
from workflows.db import session_scope
from workflows.digital import counters, verification
from workflows.inputs import AttainmentReviewInput
from workflows.models import DigitalAttainment, User
from workflows.synthetic import generate
from workflows.vocabulary import Event

WARD = "00004"
FRAMEWORK = "qd757-basic@2025"


def p95(samples: list[float]) -> float:
    """The 95th percentile in milliseconds, one decimal."""
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 1)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = action()
    return time.perf_counter() - t0, result


def fill(engine: Any, imported: float, self_share: float, backlog: int, year: int) -> int:
    """The records, in SQL: imports (verified), self-assessments (pending), and the ward's backlog of certificates."""
    table: Any = DigitalAttainment.__table__
    columns = ["id", "citizen_id", "ward_code", "kind", "framework_id", "areas", "counts", "achieved_on", "first_year",
               "last_year", "source", "external_id", "course", "evidence_key", "state", "version", "created_at",
               "updated_at"]

    def rows(sql: str) -> Any:
        return insert(table).from_select(columns, text(sql).columns(*(table.c[c] for c in columns)))

    with engine.begin() as conn:
        conn.execute(rows("""
            SELECT md5(c.id || '/import'), c.id, c.ward_code, 'import', :fw, '{}', true, make_date(:y, 3, 1), :y,
                   :y + 2, 'Bình dân học vụ số', 'BDHVS-' || c.id, 'Kỹ năng số cơ bản', NULL, 'verified', 1,
                   now() - interval '200 days', now() - interval '200 days'
            FROM citizen c WHERE random() < :share"""), {"fw": FRAMEWORK, "y": year, "share": imported})
        conn.execute(rows("""
            SELECT md5(c.id || '/self'), c.id, c.ward_code, 'self_assessment', :fw, '{"1": 2}', false,
                   make_date(:y, 4, 1), :y, :y, 'Tự đánh giá', NULL, NULL, NULL, 'pending', 1,
                   now() - interval '100 days', now() - interval '100 days'
            FROM citizen c WHERE random() < :share"""), {"fw": FRAMEWORK, "y": year, "share": self_share})
        conn.execute(rows("""
            SELECT md5(c.id || '/cert/' || n), c.id, c.ward_code, 'certificate', :fw, '{}', false,
                   make_date(:y, 5, 1), :y, :y + 2, 'Trung tâm GDNN-GDTX', NULL, 'Kỹ năng số cơ bản',
                   'digital/' || c.id || '/' || md5(c.id || n) || '.png', 'pending', 1,
                   now() - (n || ' minutes')::interval, now() - (n || ' minutes')::interval
            FROM generate_series(1, :backlog) AS n
            JOIN LATERAL (SELECT id, ward_code FROM citizen WHERE ward_code = :ward
                          OFFSET n % 100 LIMIT 1) c ON true"""),
                     {"fw": FRAMEWORK, "y": year, "backlog": backlog, "ward": WARD})
        total = int(conn.execute(text("SELECT count(*) FROM digital_attainment")).scalar_one())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) digital_attainment"))
    with session_scope(engine) as session:
        counters.rebuild(session)
    return total


def measure(engine: Any, verifications: int) -> dict[str, Any]:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == f"reviewer{WARD}")).one()
        reviewer = actor_of(user, None)
        first = []
        for _ in range(30):
            seconds, _page = timed(lambda: verification.pending(session, reviewer))
            first.append(seconds)
            session.rollback()
        later, after = [], None
        for _ in range(100):
            seconds, page = timed(lambda a=after: verification.pending(session, reviewer, after=a))
            later.append(seconds)
            after = page.after
            session.rollback()
        verify = []
        for _ in range(verifications):
            ident = verification.next_to_verify(session, reviewer)
            assert ident is not None
            cmd = AttainmentReviewInput(action=Event.VERIFY, version=1, level=2)  # backlog rows are at version 1

            def once(ident: str = ident, command: AttainmentReviewInput = cmd) -> None:
                verification.review(session, reviewer, ident, command)
                session.commit()

            seconds, _ = timed(once)
            verify.append(seconds)
        clean = counters.check(session) == []
    log(f"first page median {statistics.median(first) * 1000:.1f} ms, later pages median "
        f"{statistics.median(later) * 1000:.1f} ms, verification median {statistics.median(verify) * 1000:.1f} ms")
    return {"first_page_p95_ms": p95(first), "later_page_p95_ms": p95(later), "verify_p95_ms": p95(verify),
            "check_clean": clean}


def run(citizens: int, imported: float, self_share: float, backlog: int, verifications: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp, postgres_database("review") as url:
        settings = from_env({"CDHT_INSTANCE_PATH": tmp, "DATABASE_URL": url, "CELERY_BROKER_URL": "filesystem://",
                             "STORAGE_URL": str(Path(tmp) / "storage")})
        _app, engine = seeded_app(settings)
        t0 = time.perf_counter()
        generate(engine, citizens=citizens, year=today().year, seed=1)
        log(f"city of {citizens} people in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        total = fill(engine, imported, self_share, backlog, today().year)
        log(f"{total} records written in {time.perf_counter() - t0:.0f} s")
        figures = measure(engine, verifications)
        engine.dispose()
    return {"benchmark": "digital_review", "engine": "postgresql", "citizens": citizens, "attainments": total,
            "backlog": backlog, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=200_000)
    parser.add_argument("--imported", type=float, default=0.6, help="share of citizens with a verified import")
    parser.add_argument("--self", dest="self_share", type=float, default=0.2,
                        help="share of citizens with a self-assessment")
    parser.add_argument("--backlog", type=int, default=20_000, help="certificates waiting in ward 00004")
    parser.add_argument("--verify", type=int, default=200, help="verifications to time")
    args = parser.parse_args()
    print(json.dumps(run(args.citizens, args.imported, args.self_share, args.backlog, args.verify)), flush=True)


if __name__ == "__main__":
    main()
