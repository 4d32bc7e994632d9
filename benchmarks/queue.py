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

The filters of a ward's real year are measured too (target group, tổ dân phố, who holds it, waiting time, evidence,
the pass rule, all combined; a reviewer of one tổ dân phố), after the reviewer was given every 20th application
through the API (`assign_1000_s`, the slowest step of 1,000), and a bulk proposal of 1,000 through the API
(`bulk_1000_s`; its applications join the decision).

One JSON line on stdout: p50/p95 per kind, `queue_p95_ms` (the worst p95; target ≤ 100), `bulk_1000_s` (≤ 10) and
`decision_5000_s` (target ≤ 30). Progress on stderr.
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
from workflows import accounts, application_counters, assignment
from workflows.actors import SYSTEM_ACTOR
from workflows.clock import today
from workflows.db import session_scope
from workflows.review_queue import Cursor, NameCursor
from workflows.synthetic import generate
from workflows.vocabulary import Role

WARD = "00004"
HAMLET = "TDP03"  # a tổ dân phố of that ward in the synthetic city
DECISION_SIZE = 5_000
BULK_SIZE = 1_000




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


def signed_in(app: Any, username: str, password: str) -> Any:
    """A test client of the app signed in through the sign-in page."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    expect(302, client.post("/login", data={"csrf_token": csrf.group(1), "username": username,
                                            "password": password}))
    return client


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

        client = signed_in(app, f"reviewer{WARD}", report.password)
        token = expect(200, client.post("/api/v1/auth/token", json={"username": f"reviewer{WARD}",
                                                                     "password": report.password})).json["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        deep = max(1, applications // 25 // 2)  # the middle of the backlog
        with engine.connect() as conn:  # the cursor of the page before it, as the "next page" link carries it
            at, ident = conn.execute(text(
                "SELECT submitted_at, id FROM application WHERE ward_code = :w AND state = 'submitted' "
                "ORDER BY submitted_at, id OFFSET :n LIMIT 1"), {"w": WARD, "n": (deep - 1) * 25 - 1}).one()
            key, named = conn.execute(text(
                "SELECT name_sort, id FROM application WHERE ward_code = :w AND state = 'submitted' "
                "ORDER BY name_sort, id OFFSET :n LIMIT 1"), {"w": WARD, "n": (deep - 1) * 25 - 1}).one()
        after = Cursor(at, ident).token()
        after_name = NameCursor(key, named).token()
        kinds = {
            "first_page": "/reviewer/?state=submitted",
            "deep_page": f"/reviewer/?state=submitted&page={deep}&after={after}",
            "filtered_page": "/reviewer/?state=returned",
            # The other orders (issue 11): newest first, and by name as Vietnamese lists sort it.
            "newest_first_page": "/reviewer/?state=submitted&sort=newest",
            "by_name_first_page": "/reviewer/?state=submitted&sort=name",
            "by_name_deep_page": f"/reviewer/?state=submitted&sort=name&page={deep}&after={after_name}",
            "by_name_filtered": "/reviewer/?state=submitted&sort=name&passes=false",
            "search": "/reviewer/?state=submitted&q=nguyen+van",
            "api_first_page": "/api/v1/review/queue?state=submitted",
            "api_deep_page": f"/api/v1/review/queue?state=submitted&cursor={after}",
            "api_jump_page": f"/api/v1/review/queue?state=submitted&page={deep}",
            "api_search": "/api/v1/review/queue?state=&q=Nguyễn+Văn",
            # The filters of a ward's real year (ADR 26), alone and combined.
            "filter_target_group": "/reviewer/?state=submitted&target_group=worker",
            "filter_hamlet": f"/reviewer/?state=submitted&hamlet={HAMLET}",
            "filter_assignee": "/reviewer/?state=submitted&assignee=me",
            "filter_unassigned": "/reviewer/?state=submitted&assignee=none",
            "filter_waited": "/reviewer/?state=submitted&waited_days=30",
            "filter_evidence": "/reviewer/?state=submitted&has_evidence=false",
            "filter_passes": "/reviewer/?state=submitted&passes=false",
            "filter_combined": f"/reviewer/?state=submitted&target_group=resident&hamlet={HAMLET}&passes=true"
                               "&has_evidence=true&waited_days=7&q=nguyen",
            "api_filter_combined": f"/api/v1/review/queue?state=submitted&target_group=resident&hamlet={HAMLET}"
                                   "&passes=true&has_evidence=true",
        }
        # The reviewer holds every 20th application of the backlog (as a split of the queue would give them), given
        # through the API in steps of 1,000: `assign_1000_s` is the slowest step.
        with engine.connect() as conn:
            backlog_ids = [r[0] for r in conn.execute(text(
                "SELECT id FROM application WHERE ward_code = :w AND state = 'submitted' ORDER BY id"), {"w": WARD})]
            reviewer_id = conn.execute(text("SELECT id FROM app_user WHERE username = :u"),
                                       {"u": f"reviewer{WARD}"}).scalar_one()
        held = backlog_ids[::20]
        assign_s = 0.0
        for start in range(0, len(held), 1000):
            t0 = time.perf_counter()
            expect(200, client.post("/api/v1/review/assign", headers=bearer,
                                    json={"application_ids": held[start:start + 1000], "assignee": reviewer_id}))
            assign_s = max(assign_s, time.perf_counter() - t0)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) application"))
        # A reviewer of one tổ dân phố only: their first page and a filtered one.
        with session_scope(engine) as session:
            scoped = accounts.create_user(session, username=f"scoped{WARD}", password=report.password,
                                          role=Role.WARD_REVIEWER, ward_code=WARD)
            assignment.set_scope(session, SYSTEM_ACTOR, scoped, [HAMLET])
        scoped_client = signed_in(app, f"scoped{WARD}", report.password)
        results: dict[str, Any] = {}
        for kind, path in kinds.items():
            headers = bearer if path.startswith("/api/") else {}
            results[kind] = timed(lambda path=path, headers=headers: expect(200, client.get(path, headers=headers)),
                                  requests)
            log(f"{kind}: {results[kind]}")
        for kind, path in {"scoped_first_page": "/reviewer/?state=submitted",
                           "scoped_filtered": "/reviewer/?state=submitted&passes=true&assignee=none"}.items():
            results[kind] = timed(lambda path=path: expect(200, scoped_client.get(path)), requests)
            log(f"{kind}: {results[kind]}")

        # A bulk proposal of 1,000 passing applications of the backlog through the API, each with its version.
        with engine.connect() as conn:
            picked = [{"id": i, "version": int(v)} for i, v in conn.execute(text(
                "SELECT id, version FROM application WHERE ward_code = :w AND state = 'submitted' AND passes "
                "ORDER BY submitted_at DESC LIMIT :n"), {"w": WARD, "n": BULK_SIZE})]
        t0 = time.perf_counter()
        proposed = expect(200, client.post("/api/v1/review/bulk", headers=bearer,
                                           json={"action": "approve", "items": picked}))
        bulk_s = time.perf_counter() - t0
        outcomes = [r["outcome"] for r in proposed.json["results"]]
        assert outcomes.count("done") == len(picked), outcomes[:5]
        log(f"bulk proposal of {len(picked)} in {bulk_s:.2f} s")

        # 5,000 of the backlog proposed as a reviewer would have, then one decision over them through the API.
        with engine.begin() as conn:  # the 1,000 proposed above, and 4,000 more
            ids = [p["id"] for p in picked] + [r[0] for r in conn.execute(text(
                "SELECT id FROM application WHERE ward_code = :w AND state = 'submitted' AND year = :y "
                "ORDER BY submitted_at LIMIT :n"), {"w": WARD, "y": year, "n": DECISION_SIZE - len(picked)})]
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
        "bulk_size": len(picked), "bulk_1000_s": round(bulk_s, 2), "assign_1000_s": round(assign_s, 2),
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
