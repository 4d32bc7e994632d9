"""The one state table: transitions, roles, and the version fence against concurrent writers."""

import pytest
from factories import make_citizen, make_staff, submitted_application
from sqlmodel import Session, func, select

from workflows import states
from workflows.errors import Conflict, Forbidden
from workflows.models import Application, AuditEvent
from workflows.vocabulary import (
    ApplicationState,
    AttainmentState,
    CertificateStatus,
    CriteriaSetState,
    Entity,
    Event,
    Role,
)


def test_table_is_the_only_way(session: Session) -> None:
    citizen, _ = make_citizen(session)
    aid = submitted_application(session, citizen)
    app = session.get(Application, aid)
    reviewer, chair = make_staff(session, "ward_reviewer"), make_staff(session, "ward_chair")
    # Pages show the buttons the table allows this actor now, and no others.
    assert states.allowed_events(app, reviewer) == ["approve", "return", "reject"]
    assert states.allowed_events(app, chair) == []
    assert states.allowed_events(app, citizen) == []
    assert states.allowed_events(app, make_staff(session, "ward_reviewer", ward="00070")) == []
    with pytest.raises(Conflict):
        states.apply_event(session, app, "recognise", make_staff(session, "ward_chair"))
    with pytest.raises(Forbidden):
        states.apply_event(session, app, "approve", citizen)


def test_second_writer_with_a_stale_read_gets_conflict(app, session: Session) -> None:
    citizen, _ = make_citizen(session)
    aid = submitted_application(session, citizen)
    first, second = make_staff(session, "ward_reviewer"), make_staff(session, "ward_reviewer")
    engine = app.extensions["cdht"].engine
    with Session(engine) as a, Session(engine) as b:
        app_a, app_b = a.get(Application, aid), b.get(Application, aid)  # both read version 2
        assert app_a.version == app_b.version == 2
        states.apply_event(a, app_a, "approve", first, expected_version=2)
        a.commit()
        # b's copy still says version 2, so only the conditional UPDATE can notice the row has moved on.
        with pytest.raises(Conflict):
            states.apply_event(b, app_b, "reject", second, expected_version=2)
        b.rollback()
    session.expire_all()
    assert session.get(Application, aid).state == "approved"
    events = session.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_id == aid, AuditEvent.event.in_(["approve", "reject"]))).one()
    assert events == 1


def test_creation_starts_in_the_tables_initial_state(session: Session) -> None:
    citizen, _ = make_citizen(session)
    aid = submitted_application(session, citizen)
    created = session.exec(select(AuditEvent).where(AuditEvent.entity_id == aid, AuditEvent.event == "create")).one()
    assert created.to_state == states.initial_state(Entity.APPLICATION) == "draft"


def test_role_checks_come_from_the_table() -> None:
    assert states.roles_for(Entity.APPLICATION, Event.APPROVE) == {Role.WARD_REVIEWER}
    assert states.roles_for(Entity.APPLICATION, Event.RECOGNISE) == {Role.WARD_CHAIR}
    assert states.roles_for(Entity.CERTIFICATE, Event.REVOKE) == {Role.WARD_CHAIR, Role.CITY_ADMIN}
    assert states.roles_for(Entity.CERTIFICATE, Event.SUPERSEDE) == {Role.WARD_CHAIR, Role.CITY_ADMIN}
    every_target = {t.next_state for t in states.TABLE.values()} | {i.state for i in states.INITIAL.values()}
    members = set(ApplicationState) | set(CertificateStatus) | set(AttainmentState) | set(CriteriaSetState)
    # Every state the table can reach is a vocabulary member, and every member is reached (superseded by a reissue).
    assert every_target == members
