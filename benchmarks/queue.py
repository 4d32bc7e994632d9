"""The reviewer's queue and a decision of 5,000 at city scale, on PostgreSQL.

Usage: .venv/bin/python -m benchmarks.queue [--applications 100000] [--citizens 200000] [--requests 100]

A fresh PostgreSQL database (created here, dropped at the end even on error), migrated and seeded, filled by the
synthetic city (workflows.synthetic.generate) with a backlog of N submitted applications in one ward. Signed in as
that ward's reviewer, through the app in this process (no network, so the figures are the server's own): the
first page, a page deep in the list (the middle of the backlog, reached as the "next page" link reaches it: by
cursor), a filtered page (another state) and a diacritic-insensitive name search, each `--requests` times, on the
page and on the JSON API; and on the API, the same deep page jumped to by number (`page=`, an offset). Then 5,000
of the backlog are proposed (directly in the database: this measures the decision, not review) and the ward's chair
records one decision over them through the API.

One JSON line on stdout: p50/p95 per kind, `queue_p95_ms` (the worst p95; target ≤ 100) and `decision_5000_s`
(target ≤ 30). Progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from benchmarks.scratch import log, postgres_database, seeded_app
from webapp.config import from_env
from workflows import application_counters
from workflows.clock import today
from workflows.db import session_scope
from workflows.review_queue import Cursor
from workflows.synthetic import generate

WARD = "00004"
DECISION_SIZE = 5_000




def timed(call: Callable[[], Any], times: int) -> dict[str, float]:
    """p50 and p95 in milliseconds of `times` calls (after one warm-up)."""
    call()
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2)}


def expect(status: int, response: Any) -> Any:
    if response.status_code != status:
        raise SystemExit(f"unexpected {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return response


def run(applications: int, citizens: int, requests: int) -> dict[str, Any]:
    year = today().year
    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp, postgres_database("queue") as url:
        settings = from_env({"CDHT_INSTANCE_PATH": tmp, "DATABASE_URL": url, "CELERY_BROKER_URL": "filesystem://",
                             "LOGIN_RATE_LIMIT": "1000 per minute"})
        app, engine = seeded_app(settings)
        t0 = time.perf_counter()
        report = generate(engine, citizens=citizens, year=year, seed=1, backlog={WARD: applications})
        log(f"city of {report.citizens} people in {time.perf_counter() - t0:.0f} s")
        # A live database is vacuumed by autovacuum; right after a bulk load the visibility map is empty and no
        # index-only scan is possible. Measure the steady state.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) application, citizen"))

        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        expect(302, client.post("/login", data={"csrf_token": csrf.group(1), "username": f"reviewer{WARD}",
                                                "password": report.password}))
        token = expect(200, client.post("/api/v1/auth/token", json={"username": f"reviewer{WARD}",
                                                                     "password": report.password})).json["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        deep = max(1, applications // 25 // 2)  # the middle of the backlog
        with engine.connect() as conn:  # the cursor of the page before it, as the "next page" link carries it
            at, ident = conn.execute(text(
                "SELECT submitted_at, id FROM application WHERE ward_code = :w AND state = 'submitted' "
                "ORDER BY submitted_at, id OFFSET :n LIMIT 1"), {"w": WARD, "n": (deep - 1) * 25 - 1}).one()
        after = Cursor(at, ident).token()
        kinds = {
            "first_page": "/reviewer/?state=submitted",
            "deep_page": f"/reviewer/?state=submitted&page={deep}&after={after}",
            "filtered_page": "/reviewer/?state=returned",
            "search": "/reviewer/?state=submitted&q=nguyen+van",
            "api_first_page": "/api/v1/review/queue?state=submitted",
            "api_deep_page": f"/api/v1/review/queue?state=submitted&cursor={after}",
            "api_jump_page": f"/api/v1/review/queue?state=submitted&page={deep}",
            "api_search": "/api/v1/review/queue?state=&q=Nguyễn+Văn",
        }
        results: dict[str, Any] = {}
        for kind, path in kinds.items():
            headers = bearer if path.startswith("/api/") else {}
            results[kind] = timed(lambda path=path, headers=headers: expect(200, client.get(path, headers=headers)),
                                  requests)
            log(f"{kind}: {results[kind]}")

        # 5,000 of the backlog proposed as a reviewer would have, then one decision over them through the API.
        with engine.begin() as conn:
            ids = [r[0] for r in conn.execute(text(
                "SELECT id FROM application WHERE ward_code = :w AND state = 'submitted' AND year = :y "
                "ORDER BY submitted_at LIMIT :n"), {"w": WARD, "y": year, "n": DECISION_SIZE})]
            conn.execute(text("UPDATE application SET state = 'approved', version = version + 1, total = 90 "
                              "WHERE id = ANY(:ids)"), {"ids": ids})
        with session_scope(engine) as session:  # moved without the domain: recount, as after a bulk load
            application_counters.rebuild(session)
        chair = expect(200, client.post("/api/v1/auth/token", json={"username": f"chair{WARD}",
                                                                    "password": report.password})).json["token"]
        body = {"year": year, "number": f"{uuid.uuid4().hex[:6]}/QĐ-UBND", "signed_on": today().isoformat(),
                "signer_name": "Nguyễn Văn Thắng", "application_ids": ids}
        t0 = time.perf_counter()
        created = expect(201, client.post("/api/v1/decisions", json=body, headers={"Authorization": f"Bearer {chair}"}))
        decision_s = time.perf_counter() - t0
        assert len(created.json["certificates"]) == len(ids)
        log(f"decision of {len(ids)} in {decision_s:.2f} s")
        engine.dispose()
    return {
        "benchmark": "queue", "engine": "postgresql", "applications": applications, "citizens": report.citizens,
        "requests": requests, **results,
        "queue_p95_ms": max(r["p95_ms"] for r in results.values()),
        "decision_size": len(ids), "decision_5000_s": round(decision_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000, help="submitted applications in one ward")
    parser.add_argument("--citizens", type=int, default=200_000, help="the rest of the city")
    parser.add_argument("--requests", type=int, default=100, help="requests per kind")
    args = parser.parse_args()
    print(json.dumps(run(args.applications, args.citizens, args.requests)), flush=True)


if __name__ == "__main__":
    main()
