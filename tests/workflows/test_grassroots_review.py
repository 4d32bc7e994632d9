"""The ward's queue split below the ward: tổ dân phố / thôn as data, reviewers scoped to some of them, assignment,
the queue's filters and bulk proposals with an outcome per item (ADR 26)."""

import pytest
from sqlmodel import Session, col, select

from tests.factories import make_citizen, make_staff, scores, submitted_application
from workflows import applications, assignment, bulk_review, hamlets, review, review_queue
from workflows.access import visible_application
from workflows.actors import SYSTEM_ACTOR, Actor
from workflows.errors import Forbidden, Invalid, NotFound
from workflows.inputs import ReviewInput, SelfAssessmentInput, parse
from workflows.models import Application, AuditEvent, Citizen, Hamlet, User
from workflows.registration import actor_for
from workflows.vocabulary import ApplicationState, Event, Role

WARD = "00070"
LIST = "code,name\nTDP01,Tổ dân phố số 1\nTDP02,Tổ dân phố số 2\nTDP03,Tổ dân phố Hàng Bạc\n".encode()


def _import(session: Session, data: bytes = LIST) -> hamlets.Report:
    report = hamlets.import_list(session, SYSTEM_ACTOR, WARD, hamlets.parse(data))
    session.commit()
    return report


def _scoped(session: Session, codes: list[str] | None) -> Actor:
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    user = session.get(User, reviewer.user_id)
    assert user is not None
    assignment.set_scope(session, SYSTEM_ACTOR, user, codes)
    session.commit()
    return actor_for(session, user)


@pytest.fixture
def ward(session: Session) -> dict[str, list[str]]:
    """Submitted applications in three tổ dân phố of a ward with a list: 3 in TDP01, 2 in TDP02 (one of them a
    worker's, failing the pass rule), 1 with no tổ dân phố given."""
    _import(session)
    made: dict[str, list[str]] = {"TDP01": [], "TDP02": [], "": []}
    for place, group, value in [("TDP01", "resident", 9), ("TDP01", "resident", 9), ("TDP01", "resident", 9),
                                ("TDP02", "worker", 9), ("TDP02", "resident", 3), ("", "resident", 9)]:
        citizen, _ = make_citizen(session, ward=WARD, hamlet=place or None, target_group=group)
        made[place].append(submitted_application(session, citizen, value=value))
    return made


def test_a_csv_with_one_bad_row_imports_nothing_and_names_the_row(session: Session) -> None:
    bad = "code,name\nTDP01,Tổ dân phố số 1\nTDP 02,Tổ dân phố số 2\nTDP01,Tổ dân phố khác\n".encode()
    with pytest.raises(Invalid) as caught:
        hamlets.parse(bad)
    assert caught.value.fields == {"row.3": "hamlet_code_invalid", "row.4": "hamlet_code_repeated"}
    assert session.exec(select(Hamlet)).first() is None
    first = _import(session)
    assert (first.created, first.unchanged) == (3, 0)
    again = _import(session)  # idempotent by code
    assert (again.created, again.renamed, again.unchanged) == (0, 0, 3)
    renamed = _import(session, LIST.replace("Hàng Bạc".encode(), "Hàng Bạc mới".encode()))
    assert renamed.renamed == 1
    assert [h.code for h in hamlets.of_ward(session, WARD)] == ["TDP01", "TDP02", "TDP03"]
    with pytest.raises(Forbidden):
        hamlets.import_list(session, make_staff(session, Role.WARD_REVIEWER, ward=WARD), WARD, hamlets.parse(LIST))


def test_registration_chooses_from_the_ward_list(session: Session) -> None:
    _import(session)
    _, cccd = make_citizen(session, ward=WARD, hamlet="to dan pho hang bac")  # the name, diacritics optional
    citizen = session.exec(select(Citizen).where(Citizen.cccd == cccd)).one()
    assert (citizen.hamlet_code, citizen.hamlet) == ("TDP03", "Tổ dân phố Hàng Bạc")
    with pytest.raises(Invalid) as caught:
        make_citizen(session, ward=WARD, hamlet="Tổ 99")
    assert caught.value.fields == {"hamlet": "unknown_hamlet"}
    _, free = make_citizen(session, ward="00004", hamlet="Tổ 7")  # a ward without a list keeps the text
    assert session.exec(select(Citizen.hamlet_code, Citizen.hamlet).where(Citizen.cccd == free)).one() == (None,
                                                                                                           "Tổ 7")


def test_a_reviewer_of_one_hamlet_sees_nothing_of_another(session: Session, ward) -> None:
    mine = _scoped(session, ["TDP02"])
    found = review_queue.queue(session, mine)
    assert sorted(r.id for r in found.rows) == sorted(ward["TDP02"])
    assert found.counts[ApplicationState.SUBMITTED] == 2
    for other in ward["TDP01"] + ward[""]:
        with pytest.raises(NotFound):
            visible_application(session, mine, other)
    assert review_queue.queue(session, mine, filters=review_queue.Filters(hamlet="TDP01")).rows == []
    outcomes = bulk_review.propose(session, mine, [(ward["TDP01"][0], 2)])
    assert outcomes == [bulk_review.Outcome(ward["TDP01"][0], "not_found")]
    with pytest.raises(NotFound):
        assignment.assign(session, mine, [ward["TDP01"][0]], mine.user_id)
    whole = _scoped(session, None)
    assert review_queue.queue(session, whole).total == 6


def test_filters_combine_and_agree_with_the_rows(session: Session, ward) -> None:
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    f = review_queue.Filters

    def ids(**kw: object) -> set[str]:
        return {r.id for r in review_queue.queue(session, reviewer, filters=f(**kw)).rows}  # type: ignore[arg-type]

    assert ids(hamlet="TDP02") == set(ward["TDP02"])
    assert ids(target_group="worker") == {ward["TDP02"][0]}
    assert ids(passes=False) == {ward["TDP02"][1]}
    assert ids(passes=True, hamlet="TDP02") == {ward["TDP02"][0]}
    assert ids(has_evidence=True) == set()  # the factory's activities carry no file
    assert len(ids(has_evidence=False)) == 6
    assert len(ids(waited_days=0)) == 6 and ids(waited_days=30) == set()
    assignment.assign(session, reviewer, ward["TDP01"][:2], reviewer.user_id)
    session.commit()
    assert ids(assignee=reviewer.user_id) == set(ward["TDP01"][:2])
    assert len(ids(assignee=review_queue.NOBODY)) == 4
    rows = review_queue.queue(session, reviewer, filters=f(assignee=reviewer.user_id)).rows
    assert {r.assignee_name for r in rows} == {session.get(User, reviewer.user_id).display_name}  # type: ignore[union-attr]
    assert {r.hamlet for r in rows} == {"Tổ dân phố số 1"}
    page = review_queue.queue(session, reviewer, filters=f(hamlet="TDP01"), page_size=2)
    assert page.total == 3 and len(page.rows) == 2 and page.after is not None
    rest = review_queue.queue(session, reviewer, filters=f(hamlet="TDP01"), page_size=2, after=page.after)
    assert {r.id for r in page.rows + rest.rows} == set(ward["TDP01"])


def test_assignment_rules_and_audit(session: Session, ward) -> None:
    chair = make_staff(session, Role.WARD_CHAIR, ward=WARD)
    one, two = _scoped(session, ["TDP01"]), _scoped(session, ["TDP02"])
    assert assignment.assign(session, chair, ward["TDP01"], one.user_id) == 3
    session.commit()
    with pytest.raises(Invalid) as caught:  # TDP02 is outside the first reviewer's area
        assignment.assign(session, chair, ward["TDP02"], one.user_id)
    assert set(caught.value.fields.values()) == {"outside_assignee_area"}
    session.rollback()
    with pytest.raises(Forbidden):  # a reviewer of some tổ dân phố takes work, never gives it
        assignment.assign(session, two, ward["TDP02"], one.user_id)
    assert assignment.assign(session, two, ward["TDP02"], two.user_id) == 2  # takes its own
    session.commit()
    other_area = _scoped(session, ["TDP01"])
    with pytest.raises(Invalid) as held:
        assignment.assign(session, other_area, ward["TDP01"][:1], other_area.user_id)
    assert set(held.value.fields.values()) == {"held_by_another"}
    session.rollback()
    assert assignment.assign(session, chair, ward["TDP01"][:1], other_area.user_id) == 1  # the chair re-assigns
    session.commit()
    trail = session.exec(select(AuditEvent).where(AuditEvent.entity_id == ward["TDP01"][0],
                                                  AuditEvent.event == Event.ASSIGN).order_by(col(AuditEvent.id)))
    assert [(e.detail["from"], e.detail["to"]) for e in trail] == [(None, one.user_id),
                                                                    (one.user_id, other_area.user_id)]
    app = session.get(Application, ward["TDP01"][0])
    assert app is not None and app.version == 2  # assignment changes no version


def test_bulk_proposal_reports_each_item_and_applies_nothing_by_halves(session: Session, ward) -> None:
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    done, stale, failing = ward["TDP01"][0], ward["TDP01"][1], ward["TDP02"][1]
    items = [(done, 2), (stale, 1), (failing, 2), ("nope", 1), (ward["TDP01"][0], 2)]
    outcomes = bulk_review.propose(session, reviewer, items)
    session.commit()
    assert [(o.id, o.outcome) for o in outcomes] == [(done, "done"), (stale, "stale_version"),
                                                     (failing, "pass_rule_failed"), ("nope", "not_found")]
    session.expire_all()
    proposed = session.get(Application, done)
    assert proposed is not None and proposed.state == ApplicationState.APPROVED
    assert proposed.reviewer_scores == proposed.self_scores and proposed.total == 90 and proposed.version == 3
    for untouched in (stale, failing):
        app = session.get(Application, untouched)
        assert app is not None and app.state == ApplicationState.SUBMITTED and app.version == 2
    again = bulk_review.propose(session, reviewer, [(done, 3)])
    assert again == [bulk_review.Outcome(done, "invalid_transition")]
    # "All that match and pass": the passing submitted ones of TDP01 left
    picked = review_queue.matching(session, reviewer, review_queue.Filters(hamlet="TDP01"), limit=100)
    assert {i for i, _ in picked} == {stale, ward["TDP01"][2]}


def test_bulk_proposal_refuses_a_chair_and_too_many(session: Session, ward) -> None:
    chair = make_staff(session, Role.WARD_CHAIR, ward=WARD)
    with pytest.raises(Forbidden):
        bulk_review.propose(session, chair, [(ward["TDP01"][0], 2)])
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    with pytest.raises(Invalid):
        bulk_review.propose(session, reviewer, [(str(n), 1) for n in range(bulk_review.MAX_ITEMS + 1)])


def test_a_returned_application_is_filtered_on_its_new_scores(session: Session, ward) -> None:
    """passes follows the latest scores: resubmitted with better self-scores, it meets the rule."""
    app_id = ward["TDP02"][1]
    app = session.get(Application, app_id)
    assert app is not None and app.passes is False
    citizen = session.get(Citizen, app.citizen_id)
    user = session.get(User, citizen.user_id)  # type: ignore[union-attr]
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    review.review(session, reviewer, app_id, parse(ReviewInput, {"action": "return", "comment": "Thêm minh chứng",
                                                                 "version": 2}))
    owner = actor_for(session, user)  # type: ignore[arg-type]
    applications.set_self_assessment(session, owner, app_id, parse(SelfAssessmentInput, {"scores": scores(9)}))
    applications.submit(session, owner, app_id)
    session.commit()
    assert session.get(Application, app_id).passes is True  # type: ignore[union-attr]


def test_a_list_imported_later_places_the_people_who_named_their_hamlet_before(session: Session) -> None:
    citizen, cccd = make_citizen(session, ward=WARD, hamlet="Tổ dân phố số 2")
    early = submitted_application(session, citizen)
    _other, _ = make_citizen(session, ward=WARD, hamlet="Xóm Mới")  # a name the list will not have
    report = _import(session)
    assert report.placed == 1
    placed = session.exec(select(Citizen).where(Citizen.cccd == cccd)).one()
    assert (placed.hamlet_code, placed.hamlet) == ("TDP02", "Tổ dân phố số 2")
    app = session.get(Application, early)
    session.refresh(app)
    assert app is not None and app.hamlet_code == "TDP02"
    mine = _scoped(session, ["TDP02"])
    assert [r.id for r in review_queue.queue(session, mine).rows] == [early]


def test_a_move_takes_the_new_wards_code_never_the_old_one(session: Session) -> None:
    from workflows import residence

    _import(session)
    _, cccd = make_citizen(session, ward=WARD, hamlet="TDP01")
    moved, changed = residence.move(session, SYSTEM_ACTOR, cccd, "00004", "Tổ 5")  # 00004 has no list
    session.commit()
    assert changed and (moved.ward_code, moved.hamlet_code, moved.hamlet) == ("00004", None, "Tổ 5")
    back, _ = residence.move(session, SYSTEM_ACTOR, cccd, WARD, "tdp03")
    assert (back.hamlet_code, back.hamlet) == ("TDP03", "Tổ dân phố Hàng Bạc")
    session.rollback()


def test_narrowing_a_reviewers_area_gives_back_what_they_hold_outside_it(session: Session, ward) -> None:
    reviewer = _scoped(session, None)
    assignment.assign(session, reviewer, ward["TDP01"][:1] + ward["TDP02"][:1], reviewer.user_id)
    session.commit()
    user = session.get(User, reviewer.user_id)
    assignment.set_scope(session, SYSTEM_ACTOR, user, ["TDP01"])  # type: ignore[arg-type]
    session.commit()
    session.expire_all()
    kept, released = session.get(Application, ward["TDP01"][0]), session.get(Application, ward["TDP02"][0])
    assert kept.assignee_id == reviewer.user_id and released.assignee_id is None  # type: ignore[union-attr]
    trail = session.exec(select(AuditEvent).where(AuditEvent.entity_id == ward["TDP02"][0],
                                                  AuditEvent.event == Event.ASSIGN).order_by(col(AuditEvent.id)))
    assert [e.detail.get("reason") for e in trail] == [None, "outside_area"]


def test_a_filtered_count_stops_at_its_cap_and_says_so(session: Session, ward, monkeypatch) -> None:
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    monkeypatch.setattr(review_queue, "COUNT_CAP", 2)
    found = review_queue.queue(session, reviewer, filters=review_queue.Filters(passes=True), page_size=2)
    assert found.counts[ApplicationState.SUBMITTED] == 2 and ApplicationState.SUBMITTED in found.capped
    assert not found.total_exact and found.total == 2 and found.after is not None
    rest = review_queue.queue(session, reviewer, filters=review_queue.Filters(passes=True), page_size=2,
                              after=found.after)
    seen = [r.id for r in found.rows + rest.rows]
    while rest.after is not None:  # the pages still walk every match, whatever the count says
        rest = review_queue.queue(session, reviewer, filters=review_queue.Filters(passes=True), page_size=2,
                                  after=rest.after)
        seen += [r.id for r in rest.rows]
    assert len(seen) == len(set(seen)) == 5
    narrow = review_queue.queue(session, reviewer, filters=review_queue.Filters(passes=False))
    assert narrow.total_exact and narrow.total == 1 and not narrow.capped
