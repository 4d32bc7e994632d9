"""Holders as the targets count them (ADR 20): aged 15 and over when the denominator is, broken down, and following a
citizen who moves for digital skills while a title stays with the ward that recognised it."""

from datetime import date

import holders
import pytest
from factories import make_staff
from sqlmodel import Session, select

from tests.workflows.test_rollup_counters import _approved, _decision, _new_code, _url
from workflows import holder_counters, residence, rollup
from workflows.actors import SYSTEM_ACTOR
from workflows.clock import today
from workflows.decisions import record_decision
from workflows.digital import attainments, counters
from workflows.errors import Forbidden, Invalid, NotFound
from workflows.models import AuditEvent, Citizen, Population, User
from workflows.states import apply_event
from workflows.vocabulary import AttainmentKind, DenominatorMode, Event, Role, TargetIndicator

ALL, ADULTS = DenominatorMode.ALL_RESIDENTS.value, DenominatorMode.RESIDENTS_15_PLUS.value


def _recognised(session: Session, ward: str, n: int) -> list[Citizen]:
    """N citizens of the ward recognised this year by a decision: aged 8, 15, 22, … at the end of the year."""
    year = today().year
    chair = make_staff(session, Role.WARD_CHAIR, ward)
    _d, _certs = record_decision(session, chair, _decision(year, f"{n}/{ward}", _approved(session, ward, year, n)),
                                new_code=_new_code, verify_url=_url)
    session.commit()
    return list(session.exec(select(Citizen).where(Citizen.ward_code == ward)))


def test_only_holders_aged_15_and_over_count_against_residents_aged_15_and_over(session: Session) -> None:
    year = today().year
    people = _recognised(session, "00004", 3)  # aged 8, 15 (the boundary counts) and 22
    assert sorted(year - p.date_of_birth.year for p in people) == [8, 15, 22]
    both = {TargetIndicator.CDHT: ADULTS, TargetIndicator.DIGITAL: ADULTS}
    assert rollup.numerators(session, year, both)[TargetIndicator.CDHT] == {"00004": 2}
    every = {TargetIndicator.CDHT: ALL, TargetIndicator.DIGITAL: ALL}
    assert rollup.numerators(session, year, every)[TargetIndicator.CDHT] == {"00004": 3}
    # The seeded milestone counts residents aged 15 and over: the dashboard's figure and rate follow it.
    session.add(Population(ward_code="00004", year=year, mode=ADULTS, population=200, source="Số liệu thử"))
    session.commit()
    line = next(w for w in rollup.rollup(session, SYSTEM_ACTOR, year).wards if w.code == "00004")
    assert (line.cdht, line.rate(line.cdht)) == (2, 0.01)
    ages = holder_counters.breakdown(session, year, "age_band", "00004")["cdht"]
    assert ages == {"0_14": 1, "15_24": 2}
    assert holder_counters.breakdown(session, year, "age_band", "00004", adults_only=True)["cdht"] == {"15_24": 2}


def test_a_move_takes_digital_skills_to_the_new_ward_and_leaves_the_title(session: Session) -> None:
    year = today().year
    person = _recognised(session, "00004", 2)[1]  # aged 15
    record = attainments.record(session, SYSTEM_ACTOR, person, AttainmentKind.IMPORT, date(year, 2, 10), "Nền tảng",
                                external_id="X-1")
    apply_event(session, record, Event.VERIFY, SYSTEM_ACTOR)  # as an import verifies what it records
    session.commit()
    assert counters.holders_by_ward(session, year) == {"00004": 1}
    admin = make_staff(session, Role.CITY_ADMIN, None)

    moved, changed = residence.move(session, admin, person.cccd, "00070", "  Tổ dân phố  số 5 ")
    session.commit()
    assert changed and (moved.ward_code, moved.hamlet) == ("00070", "Tổ dân phố số 5")
    assert counters.holders_by_ward(session, year) == {"00004": 0, "00070": 1}
    adults = {TargetIndicator.CDHT: ADULTS, TargetIndicator.DIGITAL: ADULTS}
    counted = rollup.numerators(session, year, adults)
    assert counted[TargetIndicator.DIGITAL] == {"00004": 0, "00070": 1}
    assert counted[TargetIndicator.CDHT] == {"00004": 1}  # recognised by 00004 while living there: it stays
    assert holder_counters.breakdown(session, year, "hamlet", "00070")["digital"] == {"Tổ dân phố số 5": 1}
    assert holder_counters.check(session) == [] and counters.check(session) == []
    assert holders.stored(session) == holders.independent(session)
    [audit] = session.exec(select(AuditEvent).where(AuditEvent.event == "move")).all()
    assert audit.detail == {"from_ward": "00004", "to_ward": "00070", "hamlet_changed": True}
    assert person.cccd not in str(audit.detail)

    assert residence.move(session, admin, person.cccd, "00070", "Tổ dân phố số 5")[1] is False  # nothing to do


def test_a_move_is_refused_clearly(session: Session) -> None:
    person = _recognised(session, "00004", 1)[0]
    admin = make_staff(session, Role.CITY_ADMIN, None)
    reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    for actor, cccd, ward, hamlet, error in (
            (reviewer, person.cccd, "00070", None, Forbidden), (admin, person.cccd, "99999", None, Invalid),
            (admin, "001099000000", "00070", None, NotFound), (admin, person.cccd, "00070", "x" * 101, Invalid)):
        try:
            residence.move(session, actor, cccd, ward, hamlet)
        except error:
            session.rollback()
        else:
            raise AssertionError((ward, hamlet))
    assert session.get(Citizen, person.id).ward_code == "00004"  # type: ignore[union-attr]


def test_the_month_breakdown_adds_up_to_the_total(session: Session) -> None:
    year = today().year
    _recognised(session, "00004", 4)
    months = holder_counters.breakdown(session, year, "month")["cdht"]
    assert sum(months.values()) == 4 and all(k.startswith(str(year)) for k in months)


def test_the_hamlet_given_at_registration_is_kept_on_the_application(session: Session) -> None:
    from factories import citizen_data

    from workflows.applications import open_application
    from workflows.inputs import ApplicationInput, parse
    from workflows.registration import actor_for, register_citizen

    citizen = register_citizen(session, citizen_data(hamlet="  Tổ dân phố   số 7 "))
    session.commit()
    assert citizen.hamlet == "Tổ dân phố số 7"
    user = session.get(User, citizen.user_id)
    assert user is not None
    app = open_application(session, actor_for(session, user), parse(ApplicationInput, {"year": today().year}))
    assert app.hamlet == "Tổ dân phố số 7"
    with pytest.raises(Invalid):
        register_citizen(session, citizen_data(hamlet="x" * 101))


def test_after_a_move_the_new_ward_deals_with_the_citizen_s_records_and_the_old_one_no_longer_sees_them(
        session: Session) -> None:
    from workflows.digital import verification
    from workflows.models import DigitalAttainment

    year = today().year
    person = _recognised(session, "00004", 2)[1]
    verified = attainments.record(session, SYSTEM_ACTOR, person, AttainmentKind.IMPORT, date(year, 2, 10), "Nền tảng",
                                  external_id="X-2")
    apply_event(session, verified, Event.VERIFY, SYSTEM_ACTOR)
    waiting = attainments.record(session, SYSTEM_ACTOR, person, AttainmentKind.CERTIFICATE, date(year, 3, 1), "Khoá")
    session.commit()
    old_reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    new_reviewer = make_staff(session, Role.WARD_REVIEWER, "00070")
    assert verification.visible(session, old_reviewer, waiting.id).id == waiting.id
    residence.move(session, make_staff(session, Role.CITY_ADMIN, None), person.cccd, "00070", None)
    session.commit()
    session.expire_all()
    for record in (verified, waiting):
        moved = session.get(DigitalAttainment, record.id)
        assert moved is not None and moved.ward_code == "00070"
        with pytest.raises(NotFound):
            verification.visible(session, old_reviewer, record.id)
        assert verification.visible(session, new_reviewer, record.id).id == record.id


def test_the_migration_counts_the_holders_a_database_already_has(session: Session) -> None:
    """The migration that creates the holder counters fills them from what is there, with its own frozen copy of
    the recount: it must agree with the plain-Python recount and with `check`."""
    import importlib.util
    from pathlib import Path

    from sqlalchemy import text

    path = next(Path("migrations/versions").glob("*_e8ab16c3d50a_holder_counters.py"))
    spec = importlib.util.spec_from_file_location("holder_counters_migration", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    year = today().year
    people = _recognised(session, "00004", 6)  # aged 8 to 43
    for n, person in enumerate(people[:4]):
        record = attainments.record(session, SYSTEM_ACTOR, person, AttainmentKind.IMPORT, date(year - n % 2, 3, 9),
                                    "Nền tảng", external_id=f"M-{n}")
        apply_event(session, record, Event.VERIFY, SYSTEM_ACTOR)
    residence.move(session, SYSTEM_ACTOR, people[1].cccd, "00070", "Thôn Đông")
    session.commit()
    expected = holders.independent(session)
    assert holders.stored(session) == expected and len(expected) > 20
    session.execute(text("DELETE FROM holder_counter"))
    migration.fill(session.connection())
    assert holders.stored(session) == expected
    assert holder_counters.check(session) == []
    session.commit()
