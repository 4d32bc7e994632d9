"""The access matrix (pages and API): every route of the app's URL map, called by seven actors, against a table of
expected outcomes kept here. A route of the URL map the table does not name, or a table entry naming no route, fails
`test_every_route_is_in_the_access_table`: a new route cannot ship without someone deciding who may call it.

The actors: anonymous; citizen A of ward X (00004), the owner of every object the URLs name; citizen B of ward X;
the reviewer and the chair of ward X; the reviewer of ward Y (00070); a city administrator.

Every URL variable is filled with a real object of citizen A or ward X (see `World`): A's submitted application of
2026 and its activity with evidence; A's recognised application of 2025, its decision (document rendered) and its
issued certificate; A's digital-skills certificate sent for verification (an attainment); A's attempt at the basic
test; ward X's code; a spare staff account of ward X; a frozen report; the published criteria set; a
password-reset token of A's account; A's open request about their personal data. Only the language code ("vi"),
the export kind ("csv") and the info page ("help") are not objects; no placeholder id is used.

The table gives each (endpoint, method) an access class: the actors it lets in. Each actor's expected outcome
follows from it:

* "allowed": the request got past access control: any status but 401, 403, 404 and a redirect to /login. A
  400/409/422 for an empty or invalid body, or a redirect of a form posted without its fields, counts as allowed.
* "sign-in": the anonymous caller of a route not for everyone: 401 (API) or a redirect to /login (pages).
* "denied": a signed-in actor the class does not let in: 403, or 404 (the app's answer for another ward's or another
  citizen's object, and for a page of another role).

The classes (PUBLIC and CREDENTIALS let the anonymous caller in too):

* PUBLIC: everyone, signed in or not.
* CREDENTIALS: everyone; the route checks the username and password it is sent, so its 401 for wrong ones is its
  answer, not a refusal of the caller (counted as allowed).
* SIGNED_IN: every signed-in actor.
* SECOND_STEP: the code asked after the password (ADR 39): without a pending sign-in, the anonymous caller is told
  to sign in (401) and a signed-in actor is sent home, so it behaves as SIGNED_IN.
* STAFF: every staff actor (their own two-step sign-in); citizens get 404.
* CITIZEN: any citizen (A and B): their own records, no object of another's in the URL.
* OWNER: citizen A only: an object of A's in the URL (B and the staff get 404).
* OWNER_OR_WARD_X: A, the staff of ward X and the city administrator (the application once submitted, the
  certificate, the attainment's file).
* OWNER_STATE_FIRST: submitting A's application. Only A may, but the staff who may see it are answered by the state
  table, which looks at the state before its owner guard: 409 on A's application, already submitted (on a returned
  one the guard answers them 404). Counted as allowed for them: the refusal is the state's, not theirs to pass.
* WARD_STAFF: the reviewers and chairs of any ward, on their own ward's lists (reviewer Y included).
* WARD_X_STAFF: the reviewer and the chair of ward X: an object of ward X in the URL (reviewer Y gets 404).
* WARD_X_STAFF_OR_ADMIN: the same and the city administrator (decisions, their documents and files).
* WARD_STAFF_OR_ADMIN: the reviewers and chairs of any ward and the city administrator (the roll-up).
* REVIEWER: ward reviewers of any ward (proposing in bulk).
* RECORDER: ward reviewers (and learning-centre staff, not an actor here), who record supervised assessments.
* REVIEWER_X: the reviewer of ward X (a verdict on A's application or attainment).
* VERIFIER_X: the reviewer of ward X and the city administrator (verifying A's attainment through the API).
* CHAIR: the chair of ward X (a chair's pages, ward X's decision).
* CHAIR_OR_ADMIN: the chair of ward X and the city administrator (revoke, reissue, retry).
* ADMIN: the city administrator.
* OPERATOR_TOKEN: no actor: only Prometheus with METRICS_TOKEN (none is configured here), so everyone, the anonymous
  caller too, is told the route is not found (ADR 45).

Requests: GET without a body; POST/PUT/DELETE with an empty form and the CSRF token (pages) or an empty JSON object
(API). Where a route validates the body before it asks who is calling, `PROBES` gives a second body that passes
validation, sent after the empty one, so that the check of the caller is reached too: with it, an actor the class
does not let in must be refused; with the empty body, a 400 or 422 is accepted in place of the refusal (those
routes judge the body before the caller; nothing about the object is told by it). `INSTEAD` replaces the empty
body where it is refused for a reason that is not about the caller. No call may answer 5xx. The calls that end a
session (sign out, revoke the token) and the revocations go last.
"""

import dataclasses
import re
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from factories import PASSWORD, cccd_for, citizen_data, csrf, make_staff, png, scores
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from workflows import reports
from workflows.models import Activity, Certificate, Decision, User
from workflows.vocabulary import ReportPeriod

X, Y = "00004", "00070"
NUMBER = "77/QĐ-UBND"  # the decision recognising A's 2025 application
ACTORS = ("anonymous", "citizen_a", "citizen_b", "reviewer_x", "chair_x", "reviewer_y", "admin")
SIGNED = frozenset(ACTORS) - {"anonymous"}

# --- access classes: the actors each one lets in ---------------------------------------------------------------------

PUBLIC = "PUBLIC"
CREDENTIALS = "CREDENTIALS"
SIGNED_IN = "SIGNED_IN"
SECOND_STEP = "SECOND_STEP"
STAFF = "STAFF"
CITIZEN = "CITIZEN"
OWNER = "OWNER"
OWNER_OR_WARD_X = "OWNER_OR_WARD_X"
OWNER_STATE_FIRST = "OWNER_STATE_FIRST"
WARD_STAFF = "WARD_STAFF"
WARD_X_STAFF = "WARD_X_STAFF"
WARD_X_STAFF_OR_ADMIN = "WARD_X_STAFF_OR_ADMIN"
WARD_STAFF_OR_ADMIN = "WARD_STAFF_OR_ADMIN"
REVIEWER = "REVIEWER"
RECORDER = "RECORDER"
REVIEWER_X = "REVIEWER_X"
VERIFIER_X = "VERIFIER_X"
CHAIR = "CHAIR"
CHAIR_OR_ADMIN = "CHAIR_OR_ADMIN"
ADMIN = "ADMIN"
OPERATOR_TOKEN = "OPERATOR_TOKEN"

LET_IN: dict[str, frozenset[str]] = {
    PUBLIC: frozenset(ACTORS),
    CREDENTIALS: frozenset(ACTORS),
    SIGNED_IN: SIGNED,
    SECOND_STEP: SIGNED,
    STAFF: frozenset({"reviewer_x", "chair_x", "reviewer_y", "admin"}),
    CITIZEN: frozenset({"citizen_a", "citizen_b"}),
    OWNER: frozenset({"citizen_a"}),
    OWNER_OR_WARD_X: frozenset({"citizen_a", "reviewer_x", "chair_x", "admin"}),
    OWNER_STATE_FIRST: frozenset({"citizen_a", "reviewer_x", "chair_x", "admin"}),
    WARD_STAFF: frozenset({"reviewer_x", "chair_x", "reviewer_y"}),
    WARD_X_STAFF: frozenset({"reviewer_x", "chair_x"}),
    WARD_X_STAFF_OR_ADMIN: frozenset({"reviewer_x", "chair_x", "admin"}),
    WARD_STAFF_OR_ADMIN: frozenset({"reviewer_x", "chair_x", "reviewer_y", "admin"}),
    REVIEWER: frozenset({"reviewer_x", "reviewer_y"}),
    RECORDER: frozenset({"reviewer_x", "reviewer_y"}),
    REVIEWER_X: frozenset({"reviewer_x"}),
    VERIFIER_X: frozenset({"reviewer_x", "admin"}),
    CHAIR: frozenset({"chair_x"}),
    CHAIR_OR_ADMIN: frozenset({"chair_x", "admin"}),
    ADMIN: frozenset({"admin"}),
    OPERATOR_TOKEN: frozenset(),
}

# --- the table: (endpoint, method) -> access class, sorted by endpoint ----------------------------------------------

TABLE: dict[tuple[str, str], str] = {
    ("account.second_step", "GET"): SECOND_STEP,
    ("account.second_step", "POST"): SECOND_STEP,
    ("account.two_factor_off", "POST"): STAFF,
    ("account.change_password", "GET"): SIGNED_IN,
    ("account.change_password", "POST"): SIGNED_IN,
    ("account.two_factor_page", "GET"): STAFF,
    ("account.two_factor_page", "POST"): STAFF,
    ("admin.campaign_close", "POST"): ADMIN,
    ("admin.campaign_list", "GET"): ADMIN,
    ("admin.campaign_list", "POST"): ADMIN,
    ("admin.criteria_file", "GET"): ADMIN,
    ("admin.criteria_list", "GET"): ADMIN,
    ("admin.criteria_new_draft", "POST"): ADMIN,
    ("admin.criteria_publish", "POST"): ADMIN,
    ("admin.criteria_version", "GET"): ADMIN,
    ("admin.dashboard", "GET"): ADMIN,
    ("admin.export", "GET"): ADMIN,
    ("admin.population_figures", "GET"): ADMIN,
    ("admin.privacy_counts", "GET"): ADMIN,
    ("admin.population_figures", "POST"): ADMIN,
    ("admin.report", "GET"): ADMIN,
    ("admin.report_list", "GET"): ADMIN,
    ("admin.report_list", "POST"): ADMIN,
    ("admin.staff_active", "POST"): ADMIN,
    ("admin.staff_list", "GET"): ADMIN,
    ("admin.staff_new", "GET"): ADMIN,
    ("admin.staff_new", "POST"): ADMIN,
    ("admin.staff_reset_two_factor", "POST"): ADMIN,
    ("admin.target_list", "GET"): ADMIN,
    ("admin.target_list", "POST"): ADMIN,
    ("admin.unit_figure_list", "GET"): ADMIN,
    ("admin.unit_figure_list", "POST"): ADMIN,
    ("admin.ward", "GET"): ADMIN,
    ("admin.ward_papers", "GET"): ADMIN,
    ("admin.ward_papers", "POST"): ADMIN,
    ("api.activate", "POST"): PUBLIC,
    ("api.add_activity", "POST"): OWNER,
    ("api.assign", "POST"): WARD_X_STAFF,
    ("api.attainment_file", "GET"): OWNER_OR_WARD_X,
    ("api.bulk", "POST"): REVIEWER,
    ("api.close_privacy_request", "POST"): WARD_X_STAFF,
    ("api.certificates_file", "GET"): WARD_X_STAFF_OR_ADMIN,
    ("api.create_decision", "POST"): CHAIR,
    ("api.criteria_sets", "GET"): PUBLIC,
    ("api.decision_pdf", "GET"): WARD_X_STAFF_OR_ADMIN,
    ("api.file_privacy_request", "POST"): CITIZEN,
    ("api.digital_queue", "GET"): WARD_STAFF,
    ("api.get_application", "GET"): OWNER_OR_WARD_X,
    ("api.import_citizens", "POST"): WARD_STAFF,
    ("api.import_completions", "POST"): ADMIN,
    ("api.import_populations", "POST"): ADMIN,
    ("api.list_frameworks", "GET"): PUBLIC,
    ("api.me", "GET"): SIGNED_IN,
    ("api.change_password", "PUT"): SIGNED_IN,
    ("api.my_data", "GET"): CITIZEN,
    ("api.my_digital", "GET"): CITIZEN,
    ("api.my_privacy_requests", "GET"): CITIZEN,
    ("api.open_application", "POST"): CITIZEN,
    ("api.pdf", "GET"): OWNER_OR_WARD_X,
    ("api.queue", "GET"): WARD_STAFF,
    ("api.record_assessment", "POST"): RECORDER,
    ("api.register", "POST"): PUBLIC,
    ("api.register_citizen", "POST"): WARD_STAFF,
    ("api.reissue_certificate", "POST"): CHAIR_OR_ADMIN,
    ("api.reissue_code", "POST"): WARD_STAFF,
    ("api.retry_failed", "POST"): CHAIR_OR_ADMIN,
    ("api.review", "POST"): REVIEWER_X,
    ("api.review_attainment", "POST"): VERIFIER_X,
    ("api.revoke", "POST"): CHAIR_OR_ADMIN,
    ("api.revoke_token", "DELETE"): SIGNED_IN,
    ("api.rollup", "GET"): WARD_STAFF_OR_ADMIN,
    ("api.self_assess", "POST"): CITIZEN,
    ("api.self_assessment", "PUT"): OWNER,
    ("api.send_certificate", "POST"): CITIZEN,
    ("api.show_certificate", "GET"): OWNER_OR_WARD_X,
    ("api.show_decision", "GET"): WARD_X_STAFF_OR_ADMIN,
    ("api.start_test", "POST"): CITIZEN,
    ("api.submit", "POST"): OWNER_STATE_FIRST,
    ("api.submit_test", "POST"): OWNER,
    ("api.token", "POST"): PUBLIC,
    ("api.verify", "GET"): PUBLIC,
    ("api.ward_privacy_requests", "GET"): WARD_STAFF,
    ("assessments.home", "GET"): RECORDER,
    ("assessments.record", "GET"): RECORDER,
    ("assessments.record", "POST"): RECORDER,
    ("chair.batch_file", "GET"): CHAIR,
    ("chair.certificate", "GET"): CHAIR_OR_ADMIN,
    ("chair.check", "POST"): CHAIR,
    ("chair.decision", "GET"): CHAIR,
    ("chair.decision_list", "GET"): CHAIR,
    ("chair.decision_pdf", "GET"): CHAIR,
    ("chair.decision_progress", "GET"): CHAIR,
    ("chair.find_certificate", "GET"): CHAIR_OR_ADMIN,
    ("chair.home", "GET"): CHAIR,
    ("chair.prepare_batch", "POST"): CHAIR,
    ("chair.record", "POST"): CHAIR,
    ("chair.reissue_certificate", "POST"): CHAIR_OR_ADMIN,
    ("chair.retry", "POST"): CHAIR,
    ("citizen.account", "GET"): CITIZEN,
    ("citizen.account", "POST"): CITIZEN,
    ("chair.revoke_certificate", "POST"): CHAIR_OR_ADMIN,
    ("citizen.activities", "GET"): OWNER,
    ("citizen.add_activity", "GET"): OWNER,
    ("citizen.add_activity", "POST"): OWNER,
    ("citizen.certificate_pdf", "GET"): OWNER,
    ("citizen.check", "GET"): OWNER,
    ("citizen.check", "POST"): OWNER,
    ("citizen.delete_activity", "GET"): OWNER,
    ("citizen.delete_activity", "POST"): OWNER,
    ("citizen.digital", "GET"): CITIZEN,
    ("citizen.digital_file", "GET"): OWNER,
    ("citizen.digital_result", "GET"): OWNER,
    ("citizen.digital_test", "GET"): OWNER,
    ("citizen.digital_test", "POST"): OWNER,
    ("citizen.edit_activity", "GET"): OWNER,
    ("citizen.edit_activity", "POST"): OWNER,
    ("citizen.evidence", "GET"): OWNER,
    ("citizen.home", "GET"): CITIZEN,
    ("citizen.my_data", "GET"): CITIZEN,
    ("citizen.open_application", "POST"): CITIZEN,
    ("citizen.register", "GET"): PUBLIC,
    ("citizen.register", "POST"): PUBLIC,
    ("citizen.self_assess", "GET"): CITIZEN,
    ("citizen.self_assess", "POST"): CITIZEN,
    ("citizen.self_assessment", "GET"): OWNER,
    ("citizen.self_assessment", "POST"): OWNER,
    ("citizen.send_certificate", "GET"): CITIZEN,
    ("citizen.send_certificate", "POST"): CITIZEN,
    ("citizen.start_digital_test", "POST"): CITIZEN,
    ("citizen.submitted", "GET"): OWNER,
    ("health.healthz", "GET"): PUBLIC,
    ("health.readyz", "GET"): PUBLIC,
    ("metrics.metrics", "GET"): OPERATOR_TOKEN,
    ("openapi.openapi", "GET"): PUBLIC,
    ("public.activate", "GET"): PUBLIC,
    ("public.activate", "POST"): PUBLIC,
    ("public.forgot_password", "GET"): PUBLIC,
    ("public.forgot_password", "POST"): PUBLIC,
    ("public.info", "GET"): PUBLIC,
    ("public.language", "GET"): PUBLIC,
    ("public.login", "GET"): PUBLIC,
    ("public.login", "POST"): CREDENTIALS,
    ("public.logout", "POST"): PUBLIC,
    ("public.published_keys", "GET"): PUBLIC,
    ("public.reset_password", "GET"): PUBLIC,
    ("public.reset_password", "POST"): PUBLIC,
    ("public.start", "GET"): PUBLIC,
    ("public.verify", "GET"): PUBLIC,
    ("public.verify_form", "GET"): PUBLIC,
    ("reviewer.application", "GET"): WARD_X_STAFF,
    ("reviewer.application", "POST"): REVIEWER_X,
    ("reviewer.bulk", "POST"): WARD_STAFF,
    ("reviewer.claim_account", "GET"): WARD_STAFF,
    ("reviewer.claim_account", "POST"): WARD_STAFF,
    ("reviewer.digital", "GET"): WARD_STAFF,
    ("reviewer.digital_file", "GET"): WARD_X_STAFF,
    ("reviewer.digital_record", "GET"): WARD_X_STAFF,
    ("reviewer.digital_record", "POST"): REVIEWER_X,
    ("reviewer.evidence", "GET"): WARD_X_STAFF,
    ("reviewer.export", "GET"): WARD_STAFF,
    ("reviewer.find", "POST"): WARD_STAFF,
    ("reviewer.import_citizens", "GET"): WARD_STAFF,
    ("reviewer.import_citizens", "POST"): WARD_STAFF,
    ("reviewer.new_citizen", "GET"): WARD_STAFF,
    ("reviewer.new_citizen", "POST"): WARD_STAFF,
    ("reviewer.new_code", "GET"): WARD_STAFF,
    ("reviewer.new_code", "POST"): WARD_STAFF,
    ("reviewer.privacy_request", "GET"): WARD_X_STAFF,
    ("reviewer.privacy_request", "POST"): WARD_X_STAFF,
    ("reviewer.privacy_requests", "GET"): WARD_STAFF,
    ("reviewer.queue", "GET"): WARD_STAFF,
    ("reviewer.team", "GET"): CHAIR,
    ("reviewer.team", "POST"): CHAIR,
}

# Calls that end the caller's session or change what later calls see: made after all the others, in this order.
LAST = (("api.revoke", "POST"), ("chair.revoke_certificate", "POST"), ("public.logout", "POST"),
        ("api.revoke_token", "DELETE"))


@dataclasses.dataclass
class World:
    """The objects the URLs name, all of citizen A or ward X, and each actor's username."""

    usernames: dict[str, str]
    application_id: str  # A's submitted application of 2026
    activity_id: str  # its activity, with evidence
    certificate_code: str  # A's issued certificate (2025)
    decision_id: str  # the decision that recognised A (ward X), its document rendered
    attainment_id: str  # A's digital-skills certificate, pending verification in ward X
    attempt_id: str  # A's open attempt at the basic test
    staff_user_id: str  # a spare reviewer of ward X (its account is switched by admin.staff_active)
    snapshot_id: str  # a frozen report
    criteria_code: str  # a published criteria set
    reset_token: str  # a password-reset token of A's account
    unknown_cccd: str  # a valid CCCD no one holds
    request_id: str  # A's open request about their personal data (ward X)


# Bodies sent instead of the empty one: the empty one is refused for a reason that is not about the caller.
INSTEAD: dict[tuple[str, str], Callable[[World, str], dict[str, Any]]] = {
    ("admin.report_list", "POST"): lambda w, a: {"period": "mid_year"},  # an unknown period is "not found"
    # Wrong credentials, a different account for each actor (the per-account limit counts refusals).
    ("public.login", "POST"): lambda w, a: {"username": f"nobody-{a}", "password": "wrong-password-1"},
}

# Bodies sent after the empty one where the route validates the body first: they pass validation, so they reach the
# check of who is calling. For an allowed actor each is refused by the domain (a stale version, A's submitted
# application, an unknown CCCD, an empty list, no areas) or changes nothing the other calls see: B's application of
# 2026 is opened, and A's certificate is revoked (a call made last).
PROBES: dict[tuple[str, str], Callable[[World, str], dict[str, Any]]] = {
    ("api.add_activity", "POST"): lambda w, a: {"title": "Lớp học", "kind": "course", "hours": "2",
                                                "started_on": "2026-03-01"},
    ("api.assign", "POST"): lambda w, a: {"application_ids": [w.application_id], "assignee": None},
    ("api.bulk", "POST"): lambda w, a: {"action": "approve", "items": []},
    ("api.open_application", "POST"): lambda w, a: {"year": 2026},
    ("api.record_assessment", "POST"): lambda w, a: {"cccd": w.unknown_cccd, "achieved_on": "2026-11-01",
                                                     "level": 1, "centre": "Trung tâm học tập cộng đồng"},
    ("api.review_attainment", "POST"): lambda w, a: {"action": "verify", "version": 99, "level": 1},
    ("api.revoke", "POST"): lambda w, a: {"reason": "Cấp nhầm"},
    ("api.self_assess", "POST"): lambda w, a: {"areas": {}},
    ("api.self_assessment", "PUT"): lambda w, a: {"scores": scores(9)},
    ("reviewer.application", "POST"): lambda w, a: {"action": "reject", "version": "999", "comment": "Thiếu"},
    ("reviewer.digital_record", "POST"): lambda w, a: {"action": "verify", "version": "99", "level": "1"},
}

VARIABLE = re.compile(r"<(?:[^>]*:)?(\w+)>")


def url_values(endpoint: str, w: World) -> dict[str, str]:
    """The value of each URL variable for this endpoint: objects of citizen A and ward X."""
    code = {"admin.criteria_file": w.criteria_code, "admin.criteria_publish": w.criteria_code,
            "admin.criteria_version": w.criteria_code, "admin.ward": X, "admin.ward_papers": X,
            "public.language": "vi"}.get(endpoint, w.certificate_code)
    return {"application_id": w.application_id, "app_id": w.application_id, "activity_id": w.activity_id,
            "code": code, "decision_id": w.decision_id, "attainment_id": w.attainment_id,
            "attempt_id": w.attempt_id, "user_id": w.staff_user_id, "snapshot_id": w.snapshot_id,
            "token": w.reset_token, "kind": "csv", "page": "help", "request_id": w.request_id}


def path_of(rule: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values[m.group(1)], rule)


def routes(app: Flask) -> dict[tuple[str, str], list[str]]:
    """(endpoint, method) -> the rules serving it (an endpoint may have several, e.g. .zip and .pdf)."""
    found: dict[tuple[str, str], list[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.setdefault((rule.endpoint, method), []).append(rule.rule)
    return found


def outcome(status: int, location: str | None) -> str:
    """The category of an answer."""
    if status == 401 or (300 <= status < 400 and urlsplit(location or "").path == "/login"):
        return "sign-in"
    if status in (403, 404):
        return "denied"
    return "allowed"


def expected(cls: str, actor: str) -> str:
    if actor in LET_IN[cls]:
        return "allowed"
    if cls == OPERATOR_TOKEN:
        return "denied"
    return "sign-in" if actor == "anonymous" else "denied"


# --- arranging -----------------------------------------------------------------------------------------------------

@pytest.fixture
def world(app: Flask, web: Flask, session: Session, api: Any) -> World:
    """Citizen A with a recognised 2025 (certificate issued) and a submitted 2026, citizen B, the staff."""
    make_staff(session, "ward_reviewer", ward=X, username=f"rev-{NUMBER}")
    make_staff(session, "ward_chair", ward=X, username=f"chair-{NUMBER}")
    make_staff(session, "ward_reviewer", ward=Y, username="reviewer-y")
    admin = make_staff(session, "city_admin", ward=None, username="city-admin")
    spare = make_staff(session, "ward_reviewer", ward=X, username="spare-reviewer-x")
    data_a = citizen_data(X, full_name="Lê Hoàng Yến")
    data_b = citizen_data(X, full_name="Trần Văn Bình")

    # A's 2025: registered, submitted, proposed, recognised; the certificate and the decision's document rendered.
    _old, decision = api.recognised(data_a, NUMBER, year=2025)
    tasks = app.extensions["celery"].tasks
    cert_code = decision["certificates"][0]["code"]
    cert_id = session.exec(select(Certificate.id).where(Certificate.code == cert_code)).one()
    assert tasks["cdht.render_certificate"](cert_id) == "issued"
    assert tasks["cdht.render_decision_document"](decision["id"]) == "issued"
    session.expire_all()
    assert session.get(Decision, decision["id"]).document_key is not None

    # A's 2026: an activity with evidence, self-scored, submitted.
    me = api.token(data_a["cccd"])
    opened = api.call("POST", "/api/v1/applications", me, json={"year": 2026})
    assert opened.status_code == 201, opened.json
    aid = opened.json["id"]
    activity = {"title": "Lớp tin học", "kind": "course", "hours": "10", "started_on": "2026-02-01",
                "evidence": (BytesIO(png((20, 120, 60))), "bang-chung.png")}
    assert api.call("POST", f"/api/v1/applications/{aid}/activities", me, data=activity).status_code == 201
    assert api.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me,
                    json={"scores": scores(9)}).status_code == 200
    assert api.call("POST", f"/api/v1/applications/{aid}/submit", me).status_code == 200
    activity_id = session.exec(select(Activity.id).where(Activity.application_id == aid)).one()

    # A's digital skills: a course certificate sent for verification, an attempt at the basic test.
    sent = api.call("POST", "/api/v1/me/digital/certificates", me, data={
        "course": "Kỹ năng số cơ bản", "issuer": "Trung tâm học tập cộng đồng", "achieved_on": "2026-06-01",
        "evidence": (BytesIO(png((200, 20, 60))), "chung-chi.png")})
    assert sent.status_code == 201, sent.json
    attempt = api.call("POST", "/api/v1/digital/tests", me)
    assert attempt.status_code == 201, attempt.json

    asked = api.call("POST", "/api/v1/me/privacy-requests", me, json={"kind": "correction", "field": "phone",
                                                                      "text": "Số điện thoại mới"})
    assert asked.status_code == 201, asked.json

    assert api.call("POST", "/api/v1/citizens", json=data_b).status_code == 201
    snapshot = reports.freeze(session, admin, 2026, ReportPeriod.MID_YEAR, "access matrix")
    session.commit()
    user_a = session.exec(select(User).where(User.username == data_a["cccd"])).one()
    from webapp import password_links

    with web.test_request_context():
        token = password_links.reset_link(user_a).rsplit("/", 1)[1]
    return World(
        usernames={"citizen_a": data_a["cccd"], "citizen_b": data_b["cccd"], "reviewer_x": f"rev-{NUMBER}",
                   "chair_x": f"chair-{NUMBER}", "reviewer_y": "reviewer-y", "admin": "city-admin"},
        application_id=aid, activity_id=activity_id, certificate_code=cert_code, decision_id=decision["id"],
        attainment_id=sent.json["id"], attempt_id=attempt.json["id"], staff_user_id=spare.user_id or "",
        snapshot_id=snapshot.id, criteria_code="QD-324-KHVN-2023", reset_token=token,
        unknown_cccd=cccd_for(1980), request_id=asked.json["id"])


@dataclasses.dataclass
class Caller:
    """One actor: a page client (signed in through /login) with its CSRF token, and an API client with its token."""

    pages: FlaskClient
    api: FlaskClient
    csrf_token: str
    bearer: dict[str, str]


def caller(web: Flask, n: int, username: str | None) -> Caller:
    """An actor's clients, each from its own address (the per-address limits count each actor apart)."""
    environ = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
    pages, api = web.test_client(), web.test_client()
    pages.environ_base.update(environ)
    api.environ_base.update(environ)
    bearer: dict[str, str] = {}
    if username is not None:
        page = pages.get("/login").get_data(as_text=True)
        rv = pages.post("/login", data={"csrf_token": csrf(page), "username": username, "password": PASSWORD})
        assert rv.status_code == 302, (username, rv.status_code)
        rv = api.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        assert rv.status_code == 200, (username, rv.json)
        bearer = {"Authorization": f"Bearer {rv.json['token']}"}
    token = csrf(pages.get("/login").get_data(as_text=True))
    return Caller(pages, api, token, bearer)


# --- the tests -----------------------------------------------------------------------------------------------------

def test_every_route_is_in_the_access_table(web: Flask) -> None:
    mapped = routes(web)
    missing = sorted(set(mapped) - set(TABLE))
    stale = sorted(set(TABLE) - set(mapped))
    assert not missing and not stale, (
        "The access table and the URL map differ.\n"
        + "".join(f"  route not in the table (add it with its access class): {e} {m}\n" for e, m in missing)
        + "".join(f"  table entry naming no route (remove it): {e} {m}\n" for e, m in stale))
    assert set(INSTEAD) | set(PROBES) | set(LAST) <= set(TABLE)
    assert not set(INSTEAD) & set(PROBES)


def _call(c: Caller, method: str, path: str, body: dict[str, Any] | None) -> Any:
    """One request: a GET without a body; otherwise the body as JSON (API) or as a form with the CSRF token."""
    is_api = path.startswith("/api/v1/")
    if method == "GET":
        return c.api.get(path, headers=c.bearer) if is_api else c.pages.get(path)
    if is_api:
        return c.api.open(path, method=method, headers=c.bearer, json=body or {})
    return c.pages.open(path, method=method, data={"csrf_token": c.csrf_token, **(body or {})})


def test_each_actor_gets_what_the_access_table_says(web: Flask, world: World) -> None:
    mapped = routes(web)
    started = time.monotonic()
    callers = {actor: caller(web, n, world.usernames.get(actor)) for n, actor in enumerate(ACTORS)}
    order = [k for k in sorted(TABLE) if k in mapped and k not in LAST] + [k for k in LAST if k in mapped]
    mismatches: list[str] = []
    errors: list[str] = []
    calls = 0
    for endpoint, method in order:
        cls = TABLE[(endpoint, method)]
        values = url_values(endpoint, world)
        key = (endpoint, method)
        bodies: list[tuple[str, Callable[[World, str], dict[str, Any]] | None]] = (
            [("given body", INSTEAD[key])] if key in INSTEAD else
            [("empty body", None), ("valid body", PROBES[key])] if key in PROBES else [("", None)])
        for rule in mapped[key]:
            path = path_of(rule, values)
            for kind, make in bodies:
                for actor in ACTORS:
                    rv = _call(callers[actor], method, path, make(world, actor) if make else None)
                    calls += 1
                    status = rv.status_code
                    if status >= 500:
                        errors.append(f"{endpoint} {method} {path} {kind} as {actor}: {status}")
                        continue
                    got = outcome(status, rv.headers.get("Location"))
                    if cls == CREDENTIALS and status == 401:
                        got = "allowed"  # wrong credentials refused: the route's answer, not a refusal of the caller
                    want = expected(cls, actor)
                    if kind == "empty body" and want == "denied" and status in (400, 422):
                        continue  # the body was judged before the caller: the valid body shows the refusal
                    if got != want:
                        where = f" ({kind})" if kind else ""
                        mismatches.append(f"{endpoint} {method}{where} as {actor}: expected {want} ({cls}), "
                                          f"got {status} ({got})")
    elapsed = time.monotonic() - started
    assert not errors, "Server errors:\n  " + "\n  ".join(errors)
    assert not mismatches, (f"{len(mismatches)} of {calls} outcomes differ from the access table ({elapsed:.0f} s):"
                            "\n  " + "\n  ".join(mismatches))
