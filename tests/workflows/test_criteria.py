"""Criteria sets as versioned data (ADR 22): drafts and published versions, the pin of an application, the wording
of each target group, and the files the seeded versions come from."""

import json
from collections.abc import Iterator

import pytest
from criteria_sets import SEEDED_CODES, published_set, qd_324, remove_test_sets
from factories import make_citizen, make_staff
from sqlmodel import Session, col, select

from workflows import applications, criteria
from workflows.actors import SYSTEM_ACTOR
from workflows.clock import today
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.inputs import ApplicationInput, CriteriaSetInput, parse
from workflows.models import AuditEvent, CriteriaSet, IndicatorWording
from workflows.vocabulary import TitleType


@pytest.fixture(autouse=True)
def _seeded_versions_only(session: Session) -> Iterator[None]:
    yield
    remove_test_sets(session)


def _open(session: Session, citizen, year: int):
    app = applications.open_application(session, citizen, parse(ApplicationInput, {"year": year}))
    session.commit()
    return app


def test_an_application_keeps_its_version_after_a_new_one_is_published(session: Session) -> None:
    year = today().year
    first, _ = make_citizen(session)
    before = _open(session, first, year)
    assert criteria.by_code(session, "QD-324-KHVN-2023").id == before.criteria_set_id
    newer = published_set(session, code="TEST-NEXT", valid_from_year=year, pass_total=70, pass_min_indicator=4)
    session.refresh(before)
    assert before.criteria_set_id != newer.id  # pinned for good
    assert applications.criteria_set_of(session, before).pass_total == 80
    second, _ = make_citizen(session)
    after = _open(session, second, year)
    assert after.criteria_set_id == newer.id  # the new version's year: the new version
    assert applications.criteria_set_of(session, after).pass_total == 70
    earlier, _ = make_citizen(session)
    assert _open(session, earlier, year - 1).criteria_set_id == before.criteria_set_id  # the year before: QĐ 324
    assert criteria.pinned_counts(session)[newer.id] == 1


def test_drafts_are_never_chosen_nor_kept_in_memory(session: Session) -> None:
    year = today().year
    draft = criteria.draft_from(session, SYSTEM_ACTOR, "QD-324-KHVN-2023", "TEST-DRAFT", year)
    session.commit()
    assert draft.state == "draft"
    assert criteria.current_set(session, TitleType.CDHT, year).code == "QD-324-KHVN-2023"
    assert criteria.published(session, draft.id).cset.code == "TEST-DRAFT"
    assert draft.id not in criteria._PUBLISHED
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == draft.id)).one()
    assert (audit.entity_type, audit.event, audit.to_state, audit.detail["from"]) == (
        "criteria_set", "create", "draft", "QD-324-KHVN-2023")


def test_a_published_version_never_changes(session: Session) -> None:
    cset = criteria.by_code(session, "QD-324-KHVN-2023")
    with pytest.raises(Conflict) as raised:  # loading a file of its code
        criteria.load(session, SYSTEM_ACTOR, parse(CriteriaSetInput, qd_324(pass_total=60)), "test")
    assert raised.value.code == "criteria_published"
    session.rollback()
    cset = criteria.by_code(session, "QD-324-KHVN-2023")
    cset.pass_total = 60  # a write through the ORM
    session.add(cset)
    with pytest.raises(Conflict, match="criteria_published"):
        session.flush()
    session.rollback()
    wording = session.exec(select(IndicatorWording).where(IndicatorWording.criteria_set_id == cset.id)).first()
    wording.text_vi = "Sửa lén"
    with pytest.raises(Conflict, match="criteria_published"):
        session.flush()
    session.rollback()
    with pytest.raises(Conflict) as raised:
        criteria.publish(session, SYSTEM_ACTOR, "QD-324-KHVN-2023")
    assert raised.value.code == "invalid_transition"
    session.rollback()
    assert criteria.by_code(session, "QD-324-KHVN-2023").pass_total == 80


def test_a_draft_is_corrected_by_loading_it_again_then_published_once(session: Session) -> None:
    year = today().year + 1
    draft, new = criteria.load(session, SYSTEM_ACTOR, parse(CriteriaSetInput, qd_324(
        code="TEST-CORRECTED", valid_from_year=year)), "first.json")
    assert new
    wording = qd_324()["indicators"]
    wording[0]["wording"]["worker"]["vi"] = "Chỉ số đã sửa cho người lao động"
    again, new = criteria.load(session, SYSTEM_ACTOR, parse(CriteriaSetInput, qd_324(
        code="TEST-CORRECTED", valid_from_year=year, pass_total=75, indicators=wording)), "second.json")
    assert again.id == draft.id and not new and again.pass_total == 75
    assert criteria.published(session, draft.id).worded("worker")[0].text_vi == "Chỉ số đã sửa cho người lao động"
    criteria.publish(session, SYSTEM_ACTOR, "TEST-CORRECTED")
    session.commit()
    clash = criteria.draft_from(session, SYSTEM_ACTOR, "TEST-CORRECTED", "TEST-SAME-YEAR", year)
    with pytest.raises(Conflict) as raised:  # one published version a year and title
        criteria.publish(session, SYSTEM_ACTOR, clash.code)
    assert raised.value.code == "criteria_year_taken"
    session.rollback()
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == draft.id)
                          .order_by(col(AuditEvent.id))).all()
    assert events == ["create", "import", "publish"]


def test_only_the_city_loads_and_publishes(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    with pytest.raises(Forbidden):
        criteria.load(session, reviewer, parse(CriteriaSetInput, qd_324(code="TEST-NOPE")), "x.json")
    admin = make_staff(session, "city_admin", ward=None)
    draft = criteria.draft_from(session, admin, "QD-324-KHVN-2023", "TEST-ADMIN", today().year + 1)
    session.commit()
    with pytest.raises(Forbidden):
        criteria.publish(session, reviewer, draft.code)
    criteria.publish(session, admin, draft.code)
    session.commit()
    assert (draft.state, draft.published_by) == ("published", admin.user_id)


@pytest.mark.parametrize(("change", "field", "code"), [
    (lambda d: d["indicators"][3]["wording"].pop("worker"), "indicators.3.wording.worker", "required"),
    (lambda d: d["indicators"][0]["wording"]["learner"].update(vi=""), "indicators.0.wording.learner.vi", "required"),
    (lambda d: d["indicators"][2].update(competence="IV"), "indicators.2.competence", "unknown_competence"),
    (lambda d: d["indicators"][5].update(code="I.1"), "indicators.5.code", "code_repeated"),
    (lambda d: d.update(pass_total=101), "pass_total", "out_of_range"),
    (lambda d: d.update(pass_min_indicator=11), "pass_min_indicator", "out_of_range"),
    (lambda d: d.update(title_type="gia_dinh"), "title_type", "invalid_choice"),
    (lambda d: d.pop("source_document"), "source_document", "required"),
    (lambda d: d.update(indicators=[]), "indicators", "invalid_list"),
])
def test_a_bad_version_names_the_field(session: Session, change, field: str, code: str) -> None:
    given = qd_324(code="TEST-BAD")
    change(given)
    with pytest.raises(Invalid) as raised:
        criteria.load(session, SYSTEM_ACTOR, parse(CriteriaSetInput, given), "bad.json")
    assert raised.value.fields.get(field) == code, raised.value.fields


def test_the_seeded_versions_are_their_files(session: Session) -> None:
    for code, name in zip(SEEDED_CODES, criteria.SEEDED, strict=True):
        cset = criteria.by_code(session, code)
        assert cset.state == "published" and cset.published_at is not None
        on_file = json.loads((criteria.DATA / name).read_text(encoding="utf-8"))
        assert criteria.document(criteria.published(session, cset.id)) == on_file
    assert criteria.current_set(session, TitleType.CDHT, 2023).code == "QD-244-KHVN-2022"
    assert criteria.current_set(session, TitleType.CDHT, 2021) is None


def test_each_group_reads_its_own_wording_and_the_criteria_are_named(session: Session) -> None:
    version = criteria.published(session, criteria.by_code(session, "QD-324-KHVN-2023").id)
    worker, learner, resident = (version.worded(g) for g in ("worker", "learner", "resident"))
    assert "tại nơi làm việc" in worker[4].text_vi and "trong học tập ở trường" in learner[4].text_vi  # II.1
    assert resident[0].text_vi != worker[0].text_vi
    assert version.worded("unknown") == resident and version.worded(None) == resident
    assert (resident[0].competence, resident[0].competence_vi) == ("I", "Năng lực tự học và học tập suốt đời")
    assert {c.code for c in version.competences} == {"I", "II", "III"} and version.max_total == 100
    assert session.exec(select(CriteriaSet).where(CriteriaSet.state != "published")).all() == []
