"""The plan's milestones as data: set by a city administrator on a page or by the CLI, never rewritten (the replaced
one stays with when it was replaced), audited, and what the roll-up judges each year against."""


import pytest
from factories import csrf, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, col, select

from workflows import rollup, targets
from workflows.actors import SYSTEM_ACTOR
from workflows.errors import Forbidden, Invalid
from workflows.inputs import TargetInput, parse
from workflows.models import AuditEvent, Target
from workflows.seed import seed_targets
from workflows.vocabulary import TargetIndicator


@pytest.fixture(autouse=True)
def _plan_52_again(session: Session):
    """The milestones are reference data every test shares: put the seeded plan back after each test here."""
    yield
    session.rollback()
    for target in session.exec(select(Target)).all():
        session.delete(target)
    session.flush()
    seed_targets(session)
    session.commit()


def _set(session: Session, actor=SYSTEM_ACTOR, **given: object):
    data = {"indicator": "digital", "year": 2030, "percent": 75, "denominator_mode": "residents_15_plus",
            "source_document": "Kế hoạch 52/KH-UBND (điều chỉnh)"} | given
    result = targets.set_target(session, actor, parse(TargetInput, data))
    session.commit()
    return result


def test_a_new_value_replaces_the_milestone_and_the_old_one_stays(session: Session) -> None:
    before = rollup.target_for(session, TargetIndicator.DIGITAL, 2026)
    assert (before.value, before.expected_by_now) == (0.7, 0.54)  # the seeded plan: 50 % in 2025, 70 % in 2030
    target, changed = _set(session)
    assert changed and target.value == 0.75
    after = rollup.target_for(session, TargetIndicator.DIGITAL, 2026)
    assert (after.value, after.expected_by_now, after.source_document) == (0.75, 0.55,
                                                                           "Kế hoạch 52/KH-UBND (điều chỉnh)")
    old = session.exec(select(Target).where(Target.indicator == "digital", Target.year == 2030,
                                            col(Target.superseded_at).is_not(None))).one()
    assert (old.value, old.superseded_by) == (0.7, target.id)
    assert [t.id for t in targets.replaced(session)] == [old.id]
    same, changed_again = _set(session)
    assert same.id == target.id and not changed_again  # the same milestone again: nothing new
    assert len(session.exec(select(AuditEvent).where(AuditEvent.entity_type == "target")).all()) == 1
    in_force = [(t.indicator, t.year, t.value) for t in targets.in_force(session)
                if t.indicator in ("cdht", "digital")]  # the unit-level milestones are untouched
    assert in_force == [("cdht", 2025, 0.5), ("cdht", 2030, 0.7), ("digital", 2025, 0.5), ("digital", 2030, 0.75)]


def test_only_city_admins_set_targets_and_bad_values_are_named(session: Session) -> None:
    with pytest.raises(Forbidden):
        _set(session, make_staff(session, "ward_chair"))
    with pytest.raises(Invalid) as caught:
        parse(TargetInput, {"indicator": "x", "year": 1999, "percent": 0, "denominator_mode": "adults",
                            "source_document": ""})
    assert caught.value.fields == {"indicator": "invalid_choice", "year": "out_of_range", "percent": "out_of_range",
                                   "denominator_mode": "invalid_choice", "source_document": "required"}


def test_the_cli_lists_and_sets_targets(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    done = runner.invoke(args=["targets", "set", "--indicator", "cdht", "--year", "2028", "--percent", "62",
                               "--source", "Kế hoạch 52/KH-UBND"])
    assert done.exit_code == 0 and "set cdht 2028: 62 %" in done.output
    listed = runner.invoke(args=["targets", "list"])
    assert "cdht     2028  62 %" in listed.output
    bad = runner.invoke(args=["targets", "set", "--indicator", "cdht", "--year", "2028", "--percent", "120",
                              "--source", "x"])
    assert bad.exit_code == 2 and "percent" in bad.output


def test_the_admin_page_sets_a_target_and_shows_the_history(web: Flask, session: Session) -> None:
    make_staff(session, "city_admin", None, username="admin-targets")
    client = signed_in(web, "admin-targets")
    shown = client.get("/admin/targets")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200, html[html.find("<main"):][:1500]
    assert "Kế hoạch 52/KH-UBND" in html and "Chưa có chỉ tiêu nào bị thay." in html, html[html.find("<main"):]
    token = csrf(html)
    wrong = client.post("/admin/targets", data={"csrf_token": token, "year": "2030", "percent": "150"})
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'href="#indicator-cdht"' in body and 'href="#percent"' in body
    assert 'value="2030"' in body
    saved = client.post("/admin/targets", data={
        "csrf_token": token, "indicator": "cdht", "year": "2030", "percent": "75 %",
        "denominator_mode": "residents_15_plus", "source_document": "Quyết định điều chỉnh"}, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "Quyết định điều chỉnh" in page and "Các chỉ tiêu đã bị thay" in page
    assert rollup.target_for(session, TargetIndicator.CDHT, 2030).value == 0.75
