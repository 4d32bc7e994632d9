"""Digital skills (ADR 15): frameworks as checked data, attainments through the state table, imports that are all or
nothing and idempotent, and holders' counters that always equal a recount."""

import json
import random
import shutil
import threading
from datetime import date
from pathlib import Path

import holders
import pytest
from factories import cccd_for, make_staff
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflows import holder_counters, residence
from workflows.actors import SYSTEM_ACTOR, Actor
from workflows.clock import now
from workflows.digital import attainments, counters, frameworks, imports, verification
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.inputs import AssessmentInput, AttainmentReviewInput
from workflows.models import AuditEvent, Citizen, DigitalAttainment, User
from workflows.models.ids import new_id
from workflows.passwords import dummy_hash
from workflows.states import apply_event
from workflows.vocabulary import AttainmentKind, AttainmentState, Event, Role

OPERATIONS = 1500
BASIC = frameworks.get(frameworks.BASIC_FRAMEWORK)


GROUPS = ("resident", "worker", "staff", "learner")
HAMLETS = ("Tổ dân phố số 3", "Thôn Hạ", None)


def _citizens(session: Session, wards: list[str], n: int, *, varied: bool = False) -> list[Citizen]:
    """N citizens spread over wards, as direct rows (this tests counting, not registering); `varied`: born from 1950
    to 2019 (children among them), both sexes, every target group, some tổ dân phố/thôn."""
    at, users, rows = now(), [], []
    for i in range(n):
        born = 1950 + (i * 13) % 70 if varied else 1975 + i % 40
        female = i % 2 == 1 or not varied
        cccd, user_id = cccd_for(born, female), new_id()
        users.append({"id": user_id, "username": cccd, "password_hash": dummy_hash(), "role": "citizen",
                      "display_name": "", "active": True, "session_version": 1, "created_at": at})
        rows.append({"id": new_id(), "user_id": user_id, "cccd": cccd, "full_name": "Trần Thị Bình",
                     "name_folded": "tran thi binh", "date_of_birth": date(born, 1, 2),
                     "sex": "female" if female else "male", "ward_code": wards[i % len(wards)],
                     "target_group": GROUPS[i % 4] if varied else "resident",
                     "hamlet": HAMLETS[i % 3] if varied else None, "consent_at": at,
                     "consent_version": "t", "created_at": at})
    session.execute(insert(User), users)
    session.execute(insert(Citizen), rows)
    session.commit()
    return list(session.exec(select(Citizen).where(col(Citizen.id).in_([r["id"] for r in rows]))))


def _csv(rows: list[tuple[str, str, str, str]], header: str = "cccd,completed_on,external_id,course") -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def _stored(session: Session) -> dict[tuple[str, int], int]:
    return {(w, y): n for w, y, n in session.exec(select(col(counters.DigitalCounter.ward_code),
                                                         col(counters.DigitalCounter.year),
                                                         col(counters.DigitalCounter.holders))) if n}


def _independent(session: Session) -> dict[tuple[str, int], int]:
    """Holders per ward and year computed here in Python, from the rows, with no shared code."""
    ward = dict(session.exec(select(col(Citizen.id), col(Citizen.ward_code))).all())
    held: dict[tuple[str, int], set[str]] = {}
    for a in session.exec(select(DigitalAttainment)):
        if a.state == "verified" and a.counts:
            for year in range(a.first_year, a.last_year + 1):
                held.setdefault((ward[a.citizen_id], year), set()).add(a.citizen_id)
    return {key: len(people) for key, people in held.items()}


# --- frameworks ----------------------------------------------------------------------------------------------------


def test_the_repository_frameworks_load_with_their_structure() -> None:
    found = frameworks.published()
    digcomp = found["digcomp@2.2"]
    assert len(digcomp.areas) == 5 and len(digcomp.competence_codes()) == 21 and digcomp.levels == 8
    tt02 = found["tt02-2025@2025"]
    assert len(tt02.areas) == 6 and len(tt02.competence_codes()) == 24
    assert BASIC.basic is not None and BASIC.publisher == "Bộ Khoa học và Công nghệ"
    assert set(BASIC.target_groups) == {"resident", "worker", "staff", "learner"}


@pytest.mark.parametrize(("change", "named"), [
    (lambda d: d["areas"][1]["competences"].append({"code": "3.9", "name": {"vi": "Sai"}}), "area 2"),
    (lambda d: d.pop("publisher"), "'publisher'"),
    (lambda d: d["basic"].update(overall_min=1.5), "basic"),
    (lambda d: d["target_groups"].update(tourist=["1.1"]), "target group tourist"),
    (lambda d: d["areas"][0].update(name={"en": "Only English"}), "area 1"),
])
def test_a_broken_framework_file_is_refused_naming_the_file_and_the_entry(tmp_path: Path, change: object,
                                                                         named: str) -> None:
    for source in frameworks.DATA.glob("*.json"):
        shutil.copy(source, tmp_path / source.name)
    path = tmp_path / "qd757-basic-2025.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(frameworks.FrameworkError) as caught:
        frameworks.load(tmp_path)
    assert "qd757-basic-2025.json" in str(caught.value) and named in str(caught.value)


def test_a_published_version_never_changes(session: Session, tmp_path: Path) -> None:
    assert frameworks.register(session) == []  # the seed registered them
    shutil.copy(frameworks.DATA / "qd757-basic-2025.json", tmp_path / "qd757-basic-2025.json")
    path = tmp_path / "qd757-basic-2025.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["basic"]["overall_min"] = 0.6
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    changed = {"qd757-basic@2025": frameworks.parse(path)}
    with pytest.raises(frameworks.FrameworkError, match="new version"):
        frameworks.register(session, changed)
    doc["version"] = "2026"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert frameworks.register(session, {"x": frameworks.parse(path)}) == ["qd757-basic@2026"]
    session.rollback()


@settings(max_examples=200, deadline=None)
@given(overall_min=st.floats(0, 1), area_min=st.floats(0, 1), overall=st.floats(0, 1),
       by_area=st.dictionaries(st.sampled_from("123456"), st.floats(0, 1), min_size=1))
def test_the_basic_rule_is_its_thresholds(overall_min: float, area_min: float, overall: float,
                                          by_area: dict[str, float]) -> None:
    rule = frameworks.BasicRule(overall_min, area_min, 1, 3)
    assert rule.passes(overall, by_area) == (overall >= overall_min and min(by_area.values()) >= area_min)
    lowered = frameworks.BasicRule(min(overall_min, overall), min(area_min, min(by_area.values())), 1, 3)
    assert lowered.passes(overall, by_area)  # thresholds at or below what was reached always pass


def test_self_assessment_never_counts_and_is_never_verified(session: Session) -> None:
    citizen = _citizens(session, ["00004"], 1)[0]
    own = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.SELF_ASSESSMENT, date(2026, 3, 1),
                             "self", level=8)
    assert own.counts is False
    reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    with pytest.raises(Conflict, match="self_assessment_never_counts"):
        apply_event(session, own, Event.VERIFY, reviewer)
    session.rollback()


def test_verification_is_scoped_to_the_ward_and_audited(session: Session) -> None:
    citizen = _citizens(session, ["00004"], 1)[0]
    cert = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.CERTIFICATE, date(2026, 2, 1),
                              "Trung tâm học tập cộng đồng", level=2)
    session.commit()
    other = make_staff(session, Role.WARD_REVIEWER, "00070")
    with pytest.raises(NotFound):
        apply_event(session, cert, Event.VERIFY, other)
    reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    apply_event(session, cert, Event.VERIFY, reviewer)
    session.commit()
    assert _stored(session) == {("00004", 2026): 1, ("00004", 2027): 1, ("00004", 2028): 1}
    trail = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == cert.id)
                         .order_by(col(AuditEvent.id))).all()
    assert trail == ["create", "verify"]


def test_a_new_framework_version_changes_only_what_is_recorded_under_it(session: Session, tmp_path: Path) -> None:
    citizen = _citizens(session, ["00004"], 1)[0]
    under_old = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.TEST, date(2026, 4, 1),
                                   "built-in test", scores=(0.65, {"1": 0.6, "2": 0.7}))
    assert under_old.counts is False  # 65 % is below the published 70 %
    doc = json.loads((frameworks.DATA / "qd757-basic-2025.json").read_text(encoding="utf-8"))
    doc["version"], doc["basic"]["overall_min"] = "2026", 0.6
    path = tmp_path / "qd757-basic-2026.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    newer = frameworks.parse(path)
    assert attainments.counts(newer, AttainmentKind.TEST, scores=(0.65, {"1": 0.6, "2": 0.7}))
    session.refresh(under_old)
    assert under_old.counts is False and under_old.framework_id == "qd757-basic@2025"
    session.rollback()


# --- imports -------------------------------------------------------------------------------------------------------


def test_one_bad_row_imports_nothing_and_is_named(session: Session) -> None:
    people = _citizens(session, ["00004"], 3)
    data = _csv([(people[0].cccd, "2026-03-01", "B1", "Kỹ năng số cơ bản"),
                 (people[1].cccd, "31/02/2026", "B2", "Kỹ năng số cơ bản"),
                 (people[2].cccd, "2026-03-02", "", "Kỹ năng số cơ bản"),
                 ("12345", "2026-03-02", "B4", "")])
    with pytest.raises(Invalid) as caught:
        imports.parse(data)
    assert caught.value.fields == {"row.3": "date_format", "row.4": "external_id_required", "row.5": "cccd_format"}
    assert session.exec(select(func.count()).select_from(DigitalAttainment)).one() == 0
    with pytest.raises(Invalid) as header:
        imports.parse(_csv([], header="so_cccd,ngay"))
    assert header.value.fields == {"file": "bad_header"}


def test_the_same_file_twice_creates_nothing_new_and_unknown_cccds_are_reported(session: Session) -> None:
    people = _citizens(session, ["00004", "00070"], 4)
    stranger = cccd_for(1988)
    rows = imports.parse(_csv([*((p.cccd, "2026-05-0" + str(i + 1), f"BDHVS-{i}", "Kỹ năng số cơ bản")
                                 for i, p in enumerate(people)), (stranger, "2026-05-09", "BDHVS-9", "")]))
    admin = make_staff(session, Role.CITY_ADMIN, None)
    with pytest.raises(Forbidden):
        imports.import_completions(session, make_staff(session, Role.WARD_REVIEWER), rows, "Bình dân học vụ số")
    dry = imports.import_completions(session, admin, rows, "Bình dân học vụ số", dry_run=True)
    session.rollback()  # what every caller of a dry run does
    assert (dry.imported, dry.unknown_cccd, dry.unknown_rows) == (4, 1, [6])
    assert session.exec(select(func.count()).select_from(DigitalAttainment)).one() == 0
    first = imports.import_completions(session, admin, rows, "Bình dân học vụ số")
    session.commit()
    again = imports.import_completions(session, admin, rows, "Bình dân học vụ số")
    session.commit()
    assert (first.imported, first.skipped_existing, first.unknown_cccd) == (4, 0, 1)
    assert (again.imported, again.skipped_existing, again.unknown_cccd) == (0, 4, 1)
    assert session.exec(select(func.count()).select_from(Citizen).where(Citizen.cccd == stranger)).one() == 0
    stored = session.exec(select(DigitalAttainment)).all()
    assert len(stored) == 4 and {a.state for a in stored} == {"verified"} and all(a.counts for a in stored)
    assert _stored(session) == _independent(session) == {("00004", 2026): 2, ("00004", 2027): 2,
                                                         ("00004", 2028): 2, ("00070", 2026): 2,
                                                         ("00070", 2027): 2, ("00070", 2028): 2}
    assert counters.check(session) == []


# --- counters under random operations --------------------------------------------------------------------------


def test_random_attainment_operations_leave_the_counters_equal_to_a_recount(session: Session) -> None:
    """Records of every kind, verifications, refusals, revocations, re-imports, changes of residence and rolled-back
    attempts in random order: after each round the counters and their breakdowns equal an independent recount and
    `check` finds nothing."""
    rng = random.Random(20261127)
    wards = ["00004", "00070", "00008"]
    people = _citizens(session, wards, 60, varied=True)
    reviewers = {w: make_staff(session, Role.WARD_REVIEWER, w) for w in wards}
    chair = {w: make_staff(session, Role.WARD_CHAIR, w) for w in wards}
    admin = make_staff(session, Role.CITY_ADMIN, None)
    kinds = [AttainmentKind.CERTIFICATE, AttainmentKind.ASSESSMENT, AttainmentKind.TEST,
             AttainmentKind.SELF_ASSESSMENT]
    imported = reviewed = moves = 0
    for step in range(OPERATIONS):
        choice = rng.random()
        if choice < 0.05:  # a change of residence: another ward, or another tổ dân phố/thôn in the same one
            person = rng.choice(people)
            _citizen, changed = residence.move(session, admin, person.cccd, rng.choice(wards), rng.choice(HAMLETS))
            moves += changed
        elif choice < 0.35:
            person = rng.choice(people)
            kind = rng.choice(kinds)
            try:
                attainments.record(session, SYSTEM_ACTOR, person, kind, date(rng.randint(2024, 2027), 6, 1), "t",
                                   level=rng.randint(0, 3) or None,
                                   scores=(rng.random(), {"1": rng.random(), "2": rng.random()}))
            except IntegrityError:  # a second live assessment of the person on that day: the database refuses it
                session.rollback()
                continue
        elif choice < 0.75:
            pending = session.exec(select(DigitalAttainment).where(DigitalAttainment.state == "pending")
                                   .limit(20)).all()
            if pending:
                target = rng.choice(pending)
                actor: Actor = reviewers[target.ward_code]
                event = Event.VERIFY if rng.random() < 0.75 else Event.DECLINE
                try:
                    if target.kind in verification.REVIEWED and rng.random() < 0.6:
                        # the reviewer's page: the level read at verification decides whether it counts
                        verification.review(session, actor, target.id, AttainmentReviewInput(
                            action=event, version=target.version, level=rng.choice([None, 1, 2, 3]), reason="x"))
                        reviewed += 1
                    else:
                        apply_event(session, target, event, actor)
                except (Conflict, Invalid):
                    session.rollback()
                    continue
        elif choice < 0.9:
            verified = session.exec(select(DigitalAttainment).where(DigitalAttainment.state == "verified")
                                    .limit(20)).all()
            if verified:
                target = rng.choice(verified)
                apply_event(session, target, Event.REVOKE, chair[target.ward_code])
        else:
            batch = rng.sample(people, 5)
            rows = [(p.cccd, f"202{rng.randint(4, 6)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                     f"X-{rng.randint(0, 40)}-{p.cccd[-4:]}", "") for p in batch]
            try:
                report = imports.import_completions(session, admin, imports.parse(_csv(rows)), "Nền tảng thử")
                imported += report.imported
            except Invalid:
                session.rollback()
                continue
        if rng.random() < 0.1:
            session.rollback()  # an attempt abandoned half way: nothing of it may stay in the counters
        else:
            session.commit()
        if step % 250 == 0:
            assert _stored(session) == _independent(session), step
            assert holders.stored(session) == holders.independent(session), step
    assert imported > 0 and reviewed > 0 and moves > 20
    states = dict(session.exec(select(DigitalAttainment.state, func.count()).group_by(DigitalAttainment.state)).all())
    assert {"pending", "verified", "rejected", "revoked"} <= set(states), states
    assert _stored(session) == _independent(session)
    assert counters.check(session) == [] and holder_counters.check(session) == []
    breakdowns = holders.independent(session)
    assert holders.stored(session) == breakdowns
    assert {k[5] for k in breakdowns} == {True, False} and {k[3] for k in breakdowns if k[2] == "hamlet"} >= {""}
    counters.rebuild(session)
    holder_counters.rebuild(session)
    assert _stored(session) == _independent(session) and holders.stored(session) == breakdowns
    session.commit()


def test_a_citizen_is_counted_once_however_many_records_cover_the_year(session: Session) -> None:
    citizen = _citizens(session, ["00004"], 1)[0]
    reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    chair = make_staff(session, Role.WARD_CHAIR, "00004")
    first = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.CERTIFICATE, date(2025, 6, 1), "a",
                               level=1)
    second = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.ASSESSMENT, date(2026, 6, 1), "b",
                                level=2)
    apply_event(session, first, Event.VERIFY, reviewer)
    apply_event(session, second, Event.VERIFY, reviewer)
    session.commit()
    assert _stored(session) == {("00004", 2025): 1, ("00004", 2026): 1, ("00004", 2027): 1, ("00004", 2028): 1}
    apply_event(session, first, Event.REVOKE, chair)
    session.commit()
    assert _stored(session) == {("00004", 2026): 1, ("00004", 2027): 1, ("00004", 2028): 1}
    assert AttainmentState(first.state) == AttainmentState.REVOKED


def test_two_verifications_for_one_citizen_at_once_count_the_citizen_once(app: Flask, session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; PostgreSQL has many")
    citizen = _citizens(session, ["00004"], 1)[0]
    reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    first = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.CERTIFICATE, date(2026, 2, 1), "a",
                               level=1)
    second = attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.ASSESSMENT, date(2026, 3, 1), "b",
                                level=1)
    session.commit()
    engine = app.extensions["cdht"].engine
    with Session(engine) as one, Session(engine) as two:
        apply_event(one, one.get(DigitalAttainment, first.id), Event.VERIFY, reviewer)  # not committed yet
        errors: list[BaseException] = []

        def verify_second() -> None:
            try:
                apply_event(two, two.get(DigitalAttainment, second.id), Event.VERIFY, reviewer)
                two.commit()
            except BaseException as exc:
                errors.append(exc)

        racer = threading.Thread(target=verify_second)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # waiting for the first transaction's lock on the citizen
        one.commit()
        racer.join(10)
        assert not racer.is_alive() and not errors
    session.expire_all()
    assert _stored(session) == _independent(session) == {("00004", 2026): 1, ("00004", 2027): 1,
                                                         ("00004", 2028): 1}


def test_a_double_click_that_races_past_the_checks_is_stopped_by_the_database(app: Flask, session: Session) -> None:
    """Two requests recording the same supervised assessment at once: both pass the checks (neither sees the other's
    uncommitted row); the partial unique index lets one in and gives the other an IntegrityError (a 409, or on the
    page a return to the list). The same holds for one certificate file sent twice."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; PostgreSQL has many")
    citizen = _citizens(session, ["00004"], 1)[0]
    centre = make_staff(session, Role.CENTRE_STAFF, "00004")
    cmd = AssessmentInput(cccd=citizen.cccd, achieved_on=date(2026, 3, 2), level=2, centre="TTHTCĐ", reference=None)
    engine = app.extensions["cdht"].engine
    with Session(engine) as one, Session(engine) as two:
        verification.record_assessment(one, centre, cmd)  # flushed, not committed
        errors: list[BaseException] = []

        def again() -> None:
            try:
                verification.record_assessment(two, centre, cmd)
                two.commit()
            except BaseException as exc:
                errors.append(exc)
                two.rollback()

        racer = threading.Thread(target=again)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # waiting on the unique index for the first transaction
        one.commit()
        racer.join(10)
        assert not racer.is_alive() and [type(e) for e in errors] == [IntegrityError]
    # Sent again afterwards, the checks answer first, naming the field.
    with pytest.raises(Invalid) as caught:
        verification.record_assessment(session, centre, cmd)
    assert caught.value.fields == {"achieved_on": "assessment_same_day"}
    session.rollback()
    file = "digital/x/ab.png"
    attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.CERTIFICATE, date(2026, 2, 1), "a",
                       evidence_key=file)
    with pytest.raises(IntegrityError):
        attainments.record(session, SYSTEM_ACTOR, citizen, AttainmentKind.CERTIFICATE, date(2026, 2, 1), "a",
                           evidence_key=file)
    session.rollback()
    rows = session.exec(select(DigitalAttainment.kind)).all()
    assert rows == ["assessment"]
