"""The plan's unit-level indicators: entered per ward or for the city and period, never rewritten, rolled up as a
ratio of sums, judged against their own milestones."""

import pytest
from factories import make_staff
from sqlmodel import Session, select

from workflows import unit_figures
from workflows.actors import SYSTEM_ACTOR
from workflows.errors import Forbidden, Invalid
from workflows.inputs import UnitFigureInput, parse
from workflows.models import AuditEvent, UnitFigure
from workflows.vocabulary import Role, UnitIndicator

YEAR = 2026


def _enter(session: Session, **given: object):
    data = {"indicator": "centres_it", "year": YEAR, "period": "mid_year", "source_note": "Báo cáo thử", **given}
    return unit_figures.enter(session, SYSTEM_ACTOR, parse(UnitFigureInput, data))


def _line(session: Session, indicator: str, ward: str | None = None) -> unit_figures.UnitLine:
    return next(x for x in unit_figures.lines(session, YEAR, ward) if x.indicator == indicator)


def test_the_city_line_is_the_ratio_of_sums_of_the_wards_that_reported(session: Session) -> None:
    _enter(session, ward_code="00004", achieved=1, total=2)
    _enter(session, ward_code="00070", achieved=8, total=8)
    session.commit()
    line = _line(session, "centres_it")
    assert (line.achieved, line.total, line.rate, line.wards_reporting) == (9, 10, 0.9, 2)  # not (50 % + 100 %) / 2
    assert line.target is not None and (line.target.milestone_year, line.target.value) == (2030, 0.9)
    assert _line(session, "centres_it", "00004").rate == 0.5
    assert _line(session, "workers_trained").achieved is None  # nothing entered: shown as not entered


def test_a_figure_for_the_whole_city_and_the_year_end_come_first(session: Session) -> None:
    _enter(session, ward_code="00004", achieved=1, total=2)
    _enter(session, achieved=70, total=100)  # the city as a whole, mid-year
    assert (_line(session, "centres_it").rate, _line(session, "centres_it").wards_reporting) == (0.7, None)
    _enter(session, period="year_end", ward_code="00004", achieved=2, total=2)
    line = _line(session, "centres_it")
    assert (line.period, line.rate) == ("year_end", 1.0)


def test_a_correction_replaces_the_figure_and_keeps_the_old_one(session: Session) -> None:
    first, _ = _enter(session, ward_code="00004", achieved=1, total=2)
    again, changed = _enter(session, ward_code="00004", achieved=1, total=2)
    assert (again.id, changed) == (first.id, False)
    second, changed = _enter(session, ward_code="00004", achieved=2, total=2, source_note="Báo cáo sửa")
    session.commit()
    assert changed and second.id != first.id
    old = session.get(UnitFigure, first.id)
    assert old is not None and old.superseded_by == second.id and old.achieved == 1
    assert _line(session, "centres_it").rate == 1.0
    audits = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "unit_figure")).all()
    assert [a.detail["replaces"] for a in audits] == [None, first.id]


def test_bad_figures_are_refused_naming_the_field(session: Session) -> None:
    with pytest.raises(Invalid) as more:
        _enter(session, achieved=3, total=2)
    assert more.value.fields == {"achieved": "more_than_total"}
    with pytest.raises(Invalid) as ward:
        _enter(session, ward_code="99999", achieved=1, total=2)
    assert ward.value.fields == {"ward_code": "unknown_ward"}
    with pytest.raises(Invalid):
        _enter(session, indicator="nonsense", achieved=1, total=2)
    reviewer = make_staff(session, Role.WARD_REVIEWER, "00004")
    with pytest.raises(Forbidden):
        unit_figures.enter(session, reviewer, parse(UnitFigureInput, {
            "indicator": UnitIndicator.CENTRES_IT.value, "year": YEAR, "period": "mid_year", "achieved": 1,
            "total": 1, "source_note": "x"}))


def test_two_people_entering_the_same_figure_at_once_get_a_conflict_not_an_error(app, session: Session) -> None:
    """The second entry reads no figure in force (the first is not committed yet), then meets the unique index when
    the first commits: it is told, not a 500."""
    import threading
    import time

    from sqlmodel import Session as Plain

    from workflows.errors import Conflict

    engine = app.extensions["cdht"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; PostgreSQL has many")
    figure = {"indicator": "centres_it", "year": YEAR, "period": "mid_year", "ward_code": "00070", "achieved": 1,
              "total": 3, "source_note": "Báo cáo"}
    outcome: list[str] = []

    def second() -> None:
        with Plain(engine) as other:
            try:
                unit_figures.enter(other, SYSTEM_ACTOR, parse(UnitFigureInput, {**figure, "achieved": 2}))
                other.commit()
                outcome.append("saved")
            except Conflict as exc:
                outcome.append(exc.code)

    with Plain(engine) as first:
        unit_figures.enter(first, SYSTEM_ACTOR, parse(UnitFigureInput, figure))
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second one waits on the unique index for the first one's row
        first.commit()
    racer.join(10)
    assert outcome == ["figure_changed"]
    assert _line(session, "centres_it", "00070").achieved == 1
