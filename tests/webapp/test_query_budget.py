"""A budget of SQL statements per page and API call: the same with 2 applications as with 12 (no query per row), and
never above the budget, so that an N+1 cannot come back unseen."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from factories import PASSWORD, citizen_data, make_staff, scores
from sqlalchemy import event
from sqlmodel import Session, select

from workflows.models import Certificate

# Statements per request, sign-in and session checks included (a page loads its user, the API its token).
# Measured on 2026-11-27, after one statement for the user and their profile, one for the applicant and the
# certificate, and criteria sets read once per process. Raise one only with a reason in the commit.
BUDGET = {
    "citizen home": 4,
    "queue page": 6,  # + the ward's digital-skills records waiting for verification (an index count)
    # + the campaign's deadline banner: the ward's and the city's campaign rows and the applications waiting past
    #   the review deadline, read from the application counters in one statement (workflows.campaigns.for_staff)
    # + the filters' and bulk step's choices: the reviewer's tổ dân phố / thôn and the ward's reviewers, one statement
    "queue api": 3,
    "review page": 6,  # + the citizen's verified digital record offered beside indicator II.1
    # + the campaign of a submitted application's ward and year, to say whether its review is overdue
    "decision api": 19,  # + the holder counters (breakdowns of the title: ADR 20), one upsert
    # + the audit records' seal at commit (ADR 36): lock the chain's head, read, seal (4 on SQLite, 3 on PostgreSQL)
    # + the decision's own audit record (its number, date and signer)
    "dashboard": 8,  # holder counters: totals, breakdowns and months (ADR 20); applications; unit-level figures
    "rollup api": 7,
    "verify api": 4,
    # Requests about personal data (ADR 41): the ward's open requests with their citizens, one statement on the
    # partial index; the city's count, one statement; the citizen's page: profile, ward, consents, requests.
    "privacy page": 2,
    "privacy api": 2,
    "privacy counts": 2,
    "my data page": 5,
    # The download: profile, account, ward, consents, applications, activities, certificates, digital records and
    # tests, requests, audit events, the staff named (role and ward); then its audit record, sealed at commit (4 on
    # SQLite, 3 on PostgreSQL: before the seal noticed a record committed without a flush, it was left unsealed).
    "my data download": 17,
}


@contextmanager
def counting(app) -> Iterator[list[str]]:
    """Record every SQL statement the app's engine runs inside the block."""
    statements: list[str] = []
    engine = app.extensions["cdht"].engine

    def record(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    rv = client.post("/login", data={"csrf_token": _token(page), "username": username, "password": PASSWORD})
    assert rv.status_code == 302
    return client


def _measure(app, api, session: Session, n: int, tag: str) -> dict[str, int]:
    """Build a ward with n applications through the real API, then count each route's statements."""
    make_staff(session, "ward_reviewer", username=f"rev-{tag}")
    make_staff(session, "ward_chair", username=f"chair-{tag}")
    make_staff(session, "city_admin", username=f"admin-{tag}", ward=None)
    reviewer, chair, admin = api.token(f"rev-{tag}"), api.token(f"chair-{tag}"), api.token(f"admin-{tag}")
    first_citizen, ids = None, []
    for i in range(n):
        data = citizen_data(full_name=f"Nguyễn Văn {tag}{i}")
        me, aid = api.submitted(data)
        assert api.call("POST", "/api/v1/me/privacy-requests", me,
                        json={"kind": "deletion", "text": f"Xin xóa {i}"}).status_code == 201
        first_citizen = first_citizen or data["cccd"]
        ids.append(aid)
    for aid in ids[:-1]:  # one stays submitted, so the queue and the review page have something to show
        rv = api.call("POST", f"/api/v1/applications/{aid}/review", reviewer,
                      json={"action": "approve", "version": 2, "scores": scores(9)})
        assert rv.status_code == 200, rv.json
    counts: dict[str, int] = {}
    body = {"year": 2026, "number": f"{tag}/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "A",
            "application_ids": ids[:-1]}
    with counting(app) as seen:
        assert api.call("POST", "/api/v1/decisions", chair, json=body).status_code == 201
    counts["decision api"] = len(seen)
    cert_id, code = session.exec(select(Certificate.id, Certificate.code)
                                 .where(Certificate.application_id == ids[0])).one()
    assert app.extensions["celery"].tasks["cdht.render_certificate"](cert_id) == "issued"  # verify an issued one

    with counting(app) as seen:
        assert api.call("GET", "/api/v1/review/queue?state=", reviewer).status_code == 200
    counts["queue api"] = len(seen)
    with counting(app) as seen:
        assert api.call("GET", "/api/v1/rollup?year=2026", admin).status_code == 200
    counts["rollup api"] = len(seen)
    with counting(app) as seen:
        assert api.call("GET", f"/api/v1/verify/{code}").status_code == 200
    counts["verify api"] = len(seen)

    staff = _signed_in(app, f"rev-{tag}")
    with counting(app) as seen:
        assert staff.get("/reviewer/?state=").status_code == 200
    counts["queue page"] = len(seen)
    with counting(app) as seen:
        assert staff.get(f"/reviewer/applications/{ids[-1]}").status_code == 200
    counts["review page"] = len(seen)
    city = _signed_in(app, f"admin-{tag}")
    with counting(app) as seen:
        assert city.get("/admin/?year=2026").status_code == 200
    counts["dashboard"] = len(seen)
    citizen = _signed_in(app, first_citizen)
    with counting(app) as seen:
        assert citizen.get("/citizen/").status_code == 200
    counts["citizen home"] = len(seen)
    for route, call in (("my data page", lambda: citizen.get("/citizen/account")),
                        ("my data download", lambda: citizen.get("/citizen/account/data.json")),
                        ("privacy page", lambda: staff.get("/reviewer/privacy")),
                        ("privacy api", lambda: api.call("GET", "/api/v1/ward/privacy-requests", reviewer)),
                        ("privacy counts", lambda: city.get("/admin/privacy"))):
        with counting(app) as seen:
            assert call().status_code == 200, route
        counts[route] = len(seen)
    return counts


def test_statements_do_not_grow_with_the_data_and_stay_within_budget(app, api, session: Session) -> None:
    small = _measure(app, api, session, 2, "QB2")
    large = _measure(app, api, session, 12, "QB12")
    assert large == small, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    over = {route: (count, BUDGET[route]) for route, count in large.items() if count > BUDGET[route]}
    assert not over, over


def test_a_signed_in_browser_fetching_a_stylesheet_runs_no_statement(app, session: Session) -> None:
    """Static files are no activity: no user is loaded for them, and the session's idle clock does not move."""
    make_staff(session, "ward_reviewer", username="rev-static")
    client = _signed_in(app, "rev-static")
    with client.session_transaction() as before:
        seen = dict(before)
    with counting(app) as statements, client.get("/static/site.css") as rv:
        assert rv.status_code == 200
    assert statements == []
    with client.session_transaction() as after:
        assert dict(after) == seen
