"""Fuzzing the JSON API from its own OpenAPI document: schemathesis loads /api/openapi.json through the WSGI app (no
server, no network) and sends every operation bounded examples, as an anonymous caller, a signed-in citizen, a ward
reviewer and a city administrator. Each answer must be no server error, and must be what the document says: a
documented status code, its content type, a body of its schema; a secured operation must refuse a request without
a valid token (ADR 40).

Examples are positive (valid by the document), negative (breaking it: wrong types, missing fields, NUL, stray
headers) and, where the caller has one, about a real object in its reach (its draft application, a submitted one of
the reviewer's ward, a decision and its queued certificate, an open digital test), so that the operations get past
"not found". The uploads (multipart) are fuzzed like the rest: random fields and random bytes as the file, which
exercises their refusals; the files they accept are covered by test_api_bad_input::test_evidence_checked_by_content,
test_hostile_files and the import tests. Not checked: that schema-valid input is accepted and schema-breaking input
refused (schemathesis' positive_data_acceptance and negative_data_rejection): the document cannot say the domain's
rules (a CCCD that agrees with the birth date, an open campaign), and unknown fields and query parameters are ignored
by design (docs/security.md V15.3.3).

`CDHT_FUZZ_EXAMPLES=200` runs deeper than the default bounded run (5 examples a strategy), for a look before a
release; the run is derandomized, so CI sees the same examples every time.
"""

import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from closing import close_app
from conftest import MUTABLE_TABLES
from factories import make_citizen, make_staff, submitted_application
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from certificates import new_code
from webapp import create_app
from webapp.api.openapi import DOCUMENT
from webapp.config import Settings
from workflows import accounts, applications, decisions, review
from workflows.digital import attempts
from workflows.inputs import ApplicationInput, DecisionInput, ReviewInput, parse
from workflows.models import Application, Certificate, User
from workflows.registration import actor_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth]
CALLERS = ("anonymous", "citizen", "ward_reviewer", "city_admin")
OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
EXAMPLES = int(os.environ.get("CDHT_FUZZ_EXAMPLES", "5"))
WARD = "00004"


@dataclasses.dataclass
class Caller:
    role: str
    headers: dict[str, str]
    user: User | None = None


@pytest.fixture(scope="module")
def fuzz_app(app: Flask, settings: Settings) -> Iterator[Flask]:
    """The app on this run's database with rate-limit counters of its own (in memory): the fuzzing's sign-ins and
    registrations count against no other test's app."""
    application = create_app(dataclasses.replace(settings))
    application.config["TESTING"] = True  # an unhandled exception reaches the test with its traceback, not as a 500
    yield application
    close_app(application)


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)


def _row_counts(app: Flask) -> dict[str, int]:
    """Rows of every table the clean-up between tests (conftest `_clean_tables`) leaves alone."""
    engine = app.extensions["cdht"].engine
    kept = sorted(set(inspect(engine).get_table_names()) - set(MUTABLE_TABLES) - {"alembic_version"})
    with engine.connect() as conn:
        return {table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() for table in kept}


@pytest.fixture(autouse=True)
def _writes_only_what_the_clean_up_removes(app: Flask) -> Iterator[None]:
    """Whatever the fuzzing writes must be in a table the clean-up empties, or the next tests would find it."""
    before = _row_counts(app)
    yield
    assert _row_counts(app) == before


@pytest.fixture(params=CALLERS)
def caller(request: pytest.FixtureRequest, session: Session) -> Caller:
    """One kind of caller, with a bearer token issued the way the token endpoint issues it."""
    if request.param == "anonymous":
        return Caller("anonymous", {})
    if request.param == "citizen":
        user = session.get(User, make_citizen(session)[0].user_id)
    else:
        user = session.get(User, make_staff(session, request.param,
                                            ward=None if request.param == "city_admin" else WARD).user_id)
    assert user is not None
    token, _expires = accounts.issue_token(session, user)
    session.commit()
    return Caller(request.param, {"Authorization": f"Bearer {token}"}, user)


def _decided(session: Session) -> dict[str, str]:
    """A decision of the ward with one certificate queued (its worker never runs here)."""
    reviewer = make_staff(session, "ward_reviewer", ward=WARD)
    chair = make_staff(session, "ward_chair", ward=WARD)
    app_id = submitted_application(session, make_citizen(session)[0])
    version = session.exec(select(Application.version).where(Application.id == app_id)).one()
    review.review(session, reviewer, app_id, parse(ReviewInput, {"action": "approve", "version": version,
                                                                 "confirm_self_scores": True}))
    decision, _certificates = decisions.record_decision(
        session, chair, parse(DecisionInput, {"year": 2026, "number": "7/QĐ-UBND", "signed_on": "2026-11-20",
                                              "signer_name": "Nguyễn Văn Thắng", "application_ids": [app_id]}),
        new_code=new_code, verify_url=lambda code: f"http://cdht.test/verify/{code}")
    session.commit()
    code = session.exec(select(Certificate.code).where(Certificate.decision_id == decision.id)).one()
    return {"decision_id": decision.id, "code": code}


def known_objects(path: str, caller: Caller, session: Session) -> dict[str, str]:
    """Path parameters naming objects in the caller's reach, made only for the operations that take them."""
    known: dict[str, str] = {}
    citizen = actor_for(session, caller.user) if caller.role == "citizen" and caller.user else None
    if "{application_id}" in path:
        if citizen:
            draft = applications.open_application(session, citizen, parse(ApplicationInput, {"year": 2026}))
            known["application_id"] = draft.id
        else:
            known["application_id"] = submitted_application(session, make_citizen(session)[0])
    if "{attempt_id}" in path and citizen:
        known["attempt_id"] = attempts.start(session, citizen)[0].id
    if "{decision_id}" in path or "{code}" in path:
        known |= _decided(session)
    session.commit()
    return {name: value for name, value in known.items() if f"{{{name}}}" in path}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_as_documented(api_schema: Any, caller: Caller, session: Session, method: str,
                                               path: str) -> None:
    operation = api_schema[path][method]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    known = known_objects(path, caller, session)
    if known:
        strategies.insert(0, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES * len(strategies), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=caller.headers, checks=CHECKS)

    fuzz()
