"""Every (entity, state, event) × every role × own ward / other ward / own application, against apply_event.

The expectations are written out here, by hand, from the rules (who reviews, who decides, who issues): they are not
read from workflows.states.TABLE, so a change to the table that nobody meant shows up as a failure here.
Rows are real rows in the test database; roles and states are spelled as their stored strings.
"""

import itertools
from datetime import date

import pytest
from factories import make_citizen
from sqlmodel import Session, col, func, select

from workflows import states
from workflows.actors import Actor
from workflows.digital.frameworks import BASIC_FRAMEWORK
from workflows.errors import Conflict, DomainError, Forbidden, NotFound
from workflows.models import Application, AuditEvent, Certificate, CriteriaSet, Decision, DigitalAttainment

Row = Application | Certificate | DigitalAttainment | CriteriaSet

OWN_WARD, OTHER_WARD = "00004", "00070"
ROLES = ("citizen", "ward_reviewer", "ward_chair", "city_admin", "system")
RELATIONS = ("own_ward", "other_ward", "own_application")
APPLICATION_STATES = ("draft", "submitted", "returned", "approved", "rejected", "recognised")
CERTIFICATE_STATUSES = ("queued", "rendering", "issued", "failed", "revoked", "superseded")
ATTAINMENT_STATES = ("pending", "verified", "rejected", "revoked")
CRITERIA_SET_STATES = ("draft", "published")
EVENTS = ("create", "register", "submit", "approve", "return", "reject", "recognise", "claim", "complete", "release",
          "fail", "retry", "revoke", "supersede", "verify", "decline", "publish", "correct")

# Who may cause each transition, and what else is checked:
#   owner      — only the application's own citizen (whatever their role); anyone else: not found
#   ward_staff — the roles listed, of the application's ward, never on their own application
#   ward       — the roles listed; ward staff only in their own ward (admin and system everywhere)
#   anyone     — the roles listed, no ward check (the workers' own steps)
EXPECTED: dict[tuple[str, str, str], tuple[str, str, frozenset[str]]] = {
    ("application", "draft", "submit"): ("submitted", "owner", frozenset(ROLES)),
    ("application", "returned", "submit"): ("submitted", "owner", frozenset(ROLES)),
    ("application", "submitted", "approve"): ("approved", "ward_staff", frozenset({"ward_reviewer"})),
    ("application", "submitted", "return"): ("returned", "ward_staff", frozenset({"ward_reviewer"})),
    ("application", "submitted", "reject"): ("rejected", "ward_staff", frozenset({"ward_reviewer"})),
    ("application", "approved", "recognise"): ("recognised", "ward_staff", frozenset({"ward_chair"})),
    ("certificate", "queued", "claim"): ("rendering", "anyone", frozenset({"system"})),
    ("certificate", "rendering", "complete"): ("issued", "anyone", frozenset({"system"})),
    ("certificate", "rendering", "release"): ("queued", "anyone", frozenset({"system"})),
    ("certificate", "rendering", "fail"): ("failed", "anyone", frozenset({"system"})),
    ("certificate", "failed", "retry"): ("queued", "ward", frozenset({"ward_chair", "city_admin", "system"})),
    ("certificate", "issued", "revoke"): ("revoked", "ward", frozenset({"ward_chair", "city_admin"})),
    # Reissue after a correction (ADR 28): whoever may revoke may supersede an issued certificate by a new one.
    ("certificate", "issued", "supersede"): ("superseded", "ward", frozenset({"ward_chair", "city_admin"})),
    # A digital skills record (a certificate of a course here): the ward's reviewer checks it, never their own; a
    # city administrator or the system confirms what arrives from official channels; the chair revokes.
    ("attainment", "pending", "verify"): ("verified", "ward_staff",
                                          frozenset({"ward_reviewer", "city_admin", "system"})),
    ("attainment", "pending", "decline"): ("rejected", "ward_staff",
                                           frozenset({"ward_reviewer", "city_admin", "system"})),
    ("attainment", "verified", "revoke"): ("revoked", "ward", frozenset({"ward_chair", "city_admin", "system"})),
    # A version of the criteria is published by the city (an administrator, or the system seeding it), once.
    ("criteria_set", "draft", "publish"): ("published", "anyone", frozenset({"city_admin", "system"})),
}


def expected_outcome(key: tuple[str, str, str], role: str, relation: str) -> tuple[type[DomainError], str] | str:
    """The exception (class, code) apply_event must raise, or "allowed"."""
    _next, rule, roles = EXPECTED[key]
    if rule == "owner":
        # The owner may submit whatever else they are; the system is nobody's owner.
        return "allowed" if relation == "own_application" and role != "system" else (NotFound, "not_found")
    if role not in roles:
        return Forbidden, "role_not_allowed"
    if rule == "anyone" or role in ("city_admin", "system"):
        return "allowed"
    if relation == "other_ward":
        return NotFound, "not_found"
    if rule == "ward_staff" and relation == "own_application":
        return Forbidden, "own_application"
    # A certificate's guard is the ward alone: a chair may revoke, supersede or retry a certificate of their own.
    return "allowed"


def test_expectations_cover_exactly_the_table() -> None:
    assert {tuple(str(part) for part in key) for key in states.TABLE} == set(EXPECTED)
    assert {str(t.next_state) for t in states.TABLE.values()} == {n for n, _r, _ in EXPECTED.values()}


class World:
    """The owner of every row (a citizen of ward 00004) and the rows' fixed surroundings."""

    def __init__(self, session: Session) -> None:
        self.session = session
        owner, _ = make_citizen(session, ward=OWN_WARD)
        neighbour, _ = make_citizen(session, ward=OWN_WARD)
        stranger, _ = make_citizen(session, ward=OTHER_WARD)
        assert owner.citizen_id and neighbour.citizen_id and stranger.citizen_id and owner.user_id
        self.owner, self.neighbour, self.stranger = owner, neighbour, stranger
        self.criteria_set = session.exec(select(CriteriaSet)).first()
        assert self.criteria_set is not None
        self.serial = itertools.count(1)
        self.decision = Decision(ward_code=OWN_WARD, year=2026, number="1/QĐ-UBND", number_year=2026,
                                 signed_on=date(2026, 11, 20),
                                 signer_name="A", created_by=owner.user_id)
        session.add(self.decision)
        session.flush()
        self.application = self.new_application("recognised")  # what the certificates are for

    def new_application(self, state: str) -> Application:
        # A distinct year for each row keeps one application per citizen, title and year.
        app = Application(citizen_id=self.owner.citizen_id, ward_code=OWN_WARD, criteria_set_id=self.criteria_set.id,
                          title_type="cdht", year=3000 + next(self.serial), target_group="resident", state=state)
        self.session.add(app)
        self.session.flush()
        return app

    def new_certificate(self, status: str) -> Certificate:
        n = next(self.serial)
        cert = Certificate(code=f"MTRX{n:06d}", register_number=f"HN-{OWN_WARD}-2026-M{n:06d}",
                           application_id=self.application.id, citizen_id=self.owner.citizen_id,
                           decision_id=self.decision.id, ward_code=OWN_WARD, title_type="cdht", year=2026,
                           status=status, live_key=None, snapshot={})
        self.session.add(cert)
        self.session.flush()
        return cert

    def new_attainment(self, state: str) -> DigitalAttainment:
        row = DigitalAttainment(citizen_id=self.owner.citizen_id, ward_code=OWN_WARD, kind="certificate",
                                framework_id=BASIC_FRAMEWORK, level=2, counts=True, achieved_on=date(2026, 3, 1),
                                first_year=2026, last_year=2028, source="test", state=state)
        self.session.add(row)
        self.session.flush()
        return row

    def new_criteria_set(self, state: str) -> CriteriaSet:
        n = next(self.serial)  # a year of its own: one published version per title and year
        row = CriteriaSet(code=f"MTRX-{n}", title_type="cdht", name="Ma trận", source_document="-",
                          valid_from_year=3000 + n, pass_total=80, pass_min_indicator=5, state=state)
        self.session.add(row)
        self.session.flush()
        return row

    def new_row(self, entity: str, state: str) -> Row:
        if entity == "criteria_set":
            return self.new_criteria_set(state)
        if entity == "attainment":
            return self.new_attainment(state)
        return self.new_application(state) if entity == "application" else self.new_certificate(state)

    def actor(self, role: str, relation: str) -> Actor:
        """Someone of this role: of the row's ward, of another ward, or the row's own citizen."""
        if role == "system":
            return Actor(user_id=None, role="system")
        if role == "citizen":
            who = {"own_application": self.owner, "own_ward": self.neighbour, "other_ward": self.stranger}[relation]
            return Actor(user_id=who.user_id, role="citizen", citizen_id=who.citizen_id)
        ward = None if role == "city_admin" else (OTHER_WARD if relation == "other_ward" else OWN_WARD)
        # Staff who registered as citizens with their own CCCD carry that profile: here, the owner's.
        citizen_id = self.owner.citizen_id if relation == "own_application" else None
        # A made-up id within the column's 32 characters (PostgreSQL enforces the length, SQLite does not).
        return Actor(user_id=f"{role}:{relation}"[:32], role=role, ward_code=ward, citizen_id=citizen_id)

    def audit_count(self, row: Row) -> int:
        return self.session.exec(select(func.count()).select_from(AuditEvent)
                                 .where(col(AuditEvent.entity_id) == row.id)).one()


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def _state(row: Row) -> str:
    return str(row.status if isinstance(row, Certificate) else row.state)


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: "-".join(k))
def test_each_transition_for_each_role_and_relation(world: World, key: tuple[str, str, str]) -> None:
    entity, state, event = key
    # The event as the domain's own callers pass it (the table's key: a vocabulary member or its string).
    member = next(ev for (_e, _s, ev) in states.TABLE if str(ev) == event)
    for role, relation in itertools.product(ROLES, RELATIONS):
        row = world.new_row(entity, state)
        version, audits = row.version, world.audit_count(row)
        expected = expected_outcome(key, role, relation)
        where = f"{role} ({relation}) {event} on a {state} {entity}"
        if expected == "allowed":
            states.apply_event(world.session, row, member, world.actor(role, relation))
            assert (_state(row), row.version) == (EXPECTED[key][0], version + 1), where
            assert world.audit_count(row) == audits + 1, where
            audit = world.session.exec(select(AuditEvent).where(AuditEvent.entity_id == row.id)
                                       .order_by(col(AuditEvent.id).desc())).first()
            assert (audit.event, audit.from_state, audit.to_state, audit.actor_role) == (
                event, state, EXPECTED[key][0], role), where
        else:
            error, code = expected
            with pytest.raises(error) as raised:
                states.apply_event(world.session, row, member, world.actor(role, relation))
            assert raised.value.code == code, where
            world.session.expire(row)
            assert (_state(row), row.version, world.audit_count(row)) == (state, version, audits), where


@pytest.mark.parametrize(("entity", "state"), [("application", s) for s in APPLICATION_STATES]
                         + [("certificate", s) for s in CERTIFICATE_STATUSES]
                         + [("attainment", s) for s in ATTAINMENT_STATES]
                         + [("criteria_set", s) for s in CRITERIA_SET_STATES])
def test_every_other_event_is_an_invalid_transition(world: World, entity: str, state: str) -> None:
    row = world.new_row(entity, state)
    version = row.version
    for event, role, relation in itertools.product(EVENTS, ROLES, RELATIONS):
        if (entity, state, event) in EXPECTED:
            continue
        with pytest.raises(Conflict) as raised:
            states.apply_event(world.session, row, event, world.actor(role, relation))
        assert raised.value.code == "invalid_transition", (entity, state, event, role, relation)
    world.session.expire(row)
    assert (_state(row), row.version, world.audit_count(row)) == (state, version, 0)
