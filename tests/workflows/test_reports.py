"""Frozen reports: the figures a report sent never change; later revocations (and imports) show as changes since,
and corrected figures are a new revision beside the first, with its own date."""

import pytest
from factories import make_staff
from sqlmodel import Session, select

from tests.workflows.test_rollup_counters import _approved, _decision, _issue, _new_code, _url
from workflows import issuance, reports
from workflows import rollup as rollups
from workflows.actors import SYSTEM_ACTOR
from workflows.clock import today
from workflows.decisions import record_decision
from workflows.errors import Forbidden, NotFound
from workflows.inputs import RevocationInput, parse
from workflows.models import AuditEvent, Population, ReportSnapshot
from workflows.vocabulary import ReportPeriod

YEAR = today().year


def test_a_frozen_report_is_unchanged_by_a_later_revocation_and_the_change_shows(session: Session) -> None:
    session.add(Population(ward_code="00004", year=YEAR, population=1000, source="Số liệu thử"))
    session.commit()
    chair = make_staff(session, "ward_chair", "00004")
    admin = make_staff(session, "city_admin", None)
    ids = _approved(session, "00004", YEAR, 3, children=False)
    _decision_row, certs = record_decision(session, chair, _decision(YEAR, "12/QĐ-UBND", ids), new_code=_new_code,
                                           verify_url=_url)
    session.commit()
    issued = _issue(session, [c.id for c in certs])

    first = reports.freeze(session, admin, YEAR, ReportPeriod.MID_YEAR, "Báo cáo số 1")
    session.commit()
    sent = first.figures
    ward = next(w for w in sent["wards"] if w["code"] == "00004")
    assert (ward["cdht"], ward["population"], ward["cdht_rate"]) == (3, 1000, 0.003)
    assert sent["city"]["cdht"] == 3

    issuance.revoke(session, chair, issued[0][0], parse(RevocationInput, {"reason": "Cấp nhầm"}))
    session.commit()
    session.expire_all()
    again = session.get(ReportSnapshot, first.id)
    assert again.figures == sent  # the report as sent
    live = rollups.as_data(rollups.rollup(session, admin, YEAR))
    changes = reports.changes_since(again, live)
    assert [(c.code, c.figure, c.sent, c.now) for c in changes] == [("01", "cdht", 3, 2), ("00004", "cdht", 3, 2)]

    revised = reports.freeze(session, admin, YEAR, ReportPeriod.MID_YEAR, "Điều chỉnh")
    session.commit()
    assert revised.revision == 2 and revised.frozen_at >= first.frozen_at
    assert [(r.period, r.revision) for r in reports.of_year(session, YEAR)] == [("mid_year", 1), ("mid_year", 2)]
    assert reports.changes_since(revised, live) == []
    assert session.get(ReportSnapshot, first.id).figures == sent
    events = session.exec(select(AuditEvent.event).where(AuditEvent.entity_type == "report")).all()
    assert events == ["freeze", "freeze"]


def test_only_city_admins_freeze_and_read_reports(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer", "00004")
    with pytest.raises(Forbidden):
        reports.freeze(session, reviewer, YEAR, ReportPeriod.YEAR_END)
    snapshot = reports.freeze(session, SYSTEM_ACTOR, YEAR, ReportPeriod.YEAR_END)
    session.commit()
    with pytest.raises(NotFound):
        reports.get(session, reviewer, snapshot.id)


def test_the_pass_rate_is_recognised_over_applications_sent_never_coverage(session: Session) -> None:
    """Two rates never confused: coverage divides holders by the population; the pass rate divides the year's
    recognised applications by those sent for review (drafts are not sent)."""
    session.add(Population(ward_code="00004", year=YEAR, population=1000, source="Số liệu thử"))
    session.commit()
    chair = make_staff(session, "ward_chair", "00004")
    admin = make_staff(session, "city_admin", None)
    ids = _approved(session, "00004", YEAR, 4, children=False)
    record_decision(session, chair, _decision(YEAR, "13/QĐ-UBND", ids[:3]), new_code=_new_code, verify_url=_url)
    session.commit()
    line = next(w for w in rollups.rollup(session, admin, YEAR).wards if w.code == "00004")
    assert (line.applications, line.recognised_applications, line.pass_rate) == (4, 3, 0.75)
    assert (line.cdht, line.rate(line.cdht)) == (3, 0.003)
    data = rollups.as_data(rollups.rollup(session, admin, YEAR))
    city = data["city"]
    assert (city["applications"], city["recognised_applications"], city["pass_rate"]) == (4, 3, 0.75)


def test_a_report_freezes_the_breakdowns_and_the_unit_level_figures_as_sent(session: Session) -> None:
    from workflows import unit_figures
    from workflows.inputs import UnitFigureInput

    session.add(Population(ward_code="00004", year=YEAR, population=1000, source="Số liệu thử"))
    chair = make_staff(session, "ward_chair", "00004")
    admin = make_staff(session, "city_admin", None)
    record_decision(session, chair, _decision(YEAR, "14/QĐ-UBND", _approved(session, "00004", YEAR, 3)),
                    new_code=_new_code, verify_url=_url)  # aged 8, 15 and 22
    figure = {"indicator": "centres_it", "year": YEAR, "period": "mid_year", "ward_code": "00004", "achieved": 1,
              "total": 2, "source_note": "Báo cáo số 3"}
    unit_figures.enter(session, admin, parse(UnitFigureInput, figure))
    session.commit()
    sent = reports.freeze(session, admin, YEAR, ReportPeriod.MID_YEAR).figures
    session.commit()
    unit_figures.enter(session, admin, parse(UnitFigureInput, {**figure, "achieved": 2, "source_note": "Sửa"}))
    session.commit()
    again = session.get(ReportSnapshot, session.exec(select(ReportSnapshot.id)).one())
    assert again is not None and again.figures == sent
    centres = next(u for u in sent["unit_figures"] if u["indicator"] == "centres_it")
    assert (centres["achieved"], centres["total"], centres["rate"], centres["sources"]) == (1, 2, 0.5, ["Báo cáo số 3"])
    ages = dict(sent["breakdowns"]["tables"])["age_band"]
    assert ages == [["15_24", 2, 0]] and sent["breakdowns"]["under_15"]["cdht"] == 1


def test_the_city_breakdowns_count_the_wards_the_city_line_counts(session: Session) -> None:
    """A ward without a denominator is left out of the city's line: its holders are left out of the city's
    breakdowns and months too, so that they add up to the line."""
    from workflows import monitoring

    session.add(Population(ward_code="00004", year=YEAR, population=1000, source="Số liệu thử"))
    for ward, number in (("00004", "15/QĐ-UBND"), ("00070", "16/QĐ-UBND")):
        chair = make_staff(session, "ward_chair", ward)
        record_decision(session, chair, _decision(YEAR, number, _approved(session, ward, YEAR, 3, children=False)),
                        new_code=_new_code, verify_url=_url)
    session.commit()
    result = rollups.rollup(session, SYSTEM_ACTOR, YEAR)
    modes = {"cdht": "residents_15_plus", "digital": "residents_15_plus"}
    assert rollups.left_out(result)["cdht"] == [w.code for w in result.wards if w.code != "00004"]
    parts = monitoring.breakdowns(session, YEAR, modes, left_out=rollups.left_out(result))
    assert result.city.cdht == 3 == sum(n for _, n in parts["cdht"].by["sex"]) == sum(parts["cdht"].months.values())


def test_a_ward_no_longer_in_use_is_left_out_of_the_city_breakdowns(session: Session) -> None:
    from workflows import holder_counters, monitoring
    from workflows.models import Ward

    session.add(Population(ward_code="00004", year=YEAR, population=1000, source="Số liệu thử"))
    session.add(Population(ward_code="00070", year=YEAR, population=1000, source="Số liệu thử"))
    for ward, n in (("00004", 5), ("00070", 7)):
        holder = holder_counters.Holder(ward, "resident", "female", YEAR - 40, None)
        holder_counters.add(session, [holder_counters.Change("cdht", YEAR, holder, YEAR * 100 + 3, 1)] * n)
    ward = session.get(Ward, "00070")
    assert ward is not None
    ward.active = False  # merged away: its counters stay, the city's figures leave them out
    session.flush()
    result = rollups.rollup(session, SYSTEM_ACTOR, YEAR)
    assert "00070" in rollups.left_out(result)["cdht"] and "00070" not in [w.code for w in result.wards]
    parts = monitoring.breakdowns(session, YEAR, {"cdht": "residents_15_plus", "digital": "residents_15_plus"},
                                  left_out=rollups.left_out(result))
    every = monitoring.breakdowns(session, YEAR, {"cdht": "residents_15_plus", "digital": "residents_15_plus"})
    session.rollback()
    assert result.city.cdht == 5 == parts["cdht"].months[YEAR * 100 + 3] == dict(parts["cdht"].by["sex"])["female"]
    assert every["cdht"].months[YEAR * 100 + 3] == 12  # what the filter keeps out
