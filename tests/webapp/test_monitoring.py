"""The dashboard's answers beyond the line (workflows.monitoring): the year month by month, the pace and where it
leads, and who the holders are, counted as the target counts people."""

import re
from datetime import date

from factories import make_staff
from sqlmodel import Session

from tests.webapp.test_pages import login, pages_app, text  # noqa: F401  (the fixture)
from tests.workflows.test_rollup_counters import _approved, _decision, _new_code, _url
from workflows import monitoring
from workflows.clock import today
from workflows.decisions import record_decision
from workflows.vocabulary import Role

YEAR = today().year


def test_the_trend_adds_up_month_by_month_and_projects_the_recent_pace() -> None:
    trend = monitoring.trend({202603: 10, 202605: 5}, 2026, 100, date(2026, 6, 15))
    assert [(p.month.month, p.holders, p.rate) for p in trend.points] == [
        (1, 0, 0.0), (2, 0, 0.0), (3, 10, 0.1), (4, 10, 0.1), (5, 15, 0.15), (6, 15, 0.15)]
    # 5 gained from the end of March to 15 June (2.5 months): 2 a month; 6.5 months left: 15 + 13.
    assert (trend.pace, trend.projected, trend.projected_rate, trend.gained) == (2.0, 28, 0.28, 5)
    assert monitoring.trend({202603: 10}, 2026, 100, date(2026, 6, 15)).gained == 0  # nobody since March


def test_a_past_year_shows_twelve_months_and_no_projection_and_january_has_no_pace() -> None:
    past = monitoring.trend({202511: 7, 202601: 2}, 2025, None, date(2026, 6, 1))
    assert len(past.points) == 13 and past.points[-1].holders == 9  # a decision for 2025 signed in January 2026
    assert (past.pace, past.projected, past.points[0].rate) == (None, None, None)
    assert monitoring.trend({202601: 4}, 2026, 10, date(2026, 1, 20)).projected is None


def test_the_dashboard_and_a_ward_show_the_months_the_breakdowns_and_the_15_plus_rule(pages_app,  # noqa: F811
                                                                                      session: Session) -> None:
    chair = make_staff(session, Role.WARD_CHAIR, "00004")
    record_decision(session, chair, _decision(YEAR, "9/QĐ-UBND", _approved(session, "00004", YEAR, 4)),
                    new_code=_new_code, verify_url=_url)  # people aged 8, 15, 22 and 29
    session.commit()
    client = pages_app.test_client()
    login(client, "admin")
    page = text(client.get(f"/admin/?year={YEAR}"))
    month = re.search(rf"<th scope=\"row\">{today().month}/{YEAR}</th>\s*<td class=\"num\">([\d.]+)</td>", page)
    assert month and int(month.group(1).replace(".", "")) >= 3  # the demo's own holders may add to them
    assert "Nhóm tuổi" in page and "Từ 15 đến 24 tuổi" in page
    assert "không được tính so với mục tiêu người từ 15 tuổi trở lên" in page
    ages = re.search(r'<caption id="by-age_band">.*?</table>', page, re.S)
    assert ages and "Dưới 15 tuổi" not in ages.group(0)
    if today().month > 1:
        assert 'id="cdht-projection"' in page and "đến ngày 31 tháng 12" in page

    ward = text(client.get(f"/admin/wards/00004?year={YEAR}"))
    places = re.search(r'<caption id="by-hamlet">.*?</table>', ward, re.S)
    shown = places.group(0) if places else ""  # the one aged 8 (Tổ dân phố số 1) is not counted against 15+
    assert "Tổ dân phố số 2" in shown and "Thôn Đông" in shown and "Chưa khai" in shown and "số 1<" not in shown
    english = text(client.get(f"/admin/wards/00004?year={YEAR}&lang=en"))
    assert "Residential group or village" in english and "Who the holders are" in english


def test_a_unit_figure_entered_on_its_page_shows_on_the_dashboard(pages_app) -> None:  # noqa: F811
    client = pages_app.test_client()
    login(client, "admin")
    form = text(client.get(f"/admin/unit-figures?year={YEAR}"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf and "Số liệu cấp đơn vị" in form
    bad = client.post("/admin/unit-figures", data={
        "csrf_token": csrf.group(1), "indicator": "schools_digital", "year": str(YEAR), "period": "year_end",
        "ward_code": "", "achieved": "900", "total": "800", "source_note": "Báo cáo số 12/BC-SGDĐT"})
    assert bad.status_code == 422 and "Không được lớn hơn tổng số" in text(bad)
    good = client.post("/admin/unit-figures", data={
        "csrf_token": csrf.group(1), "indicator": "schools_digital", "year": str(YEAR), "period": "year_end",
        "ward_code": "", "achieved": "1.700", "total": "2000", "source_note": "Báo cáo số 12/BC-SGDĐT"})
    assert good.status_code == 302, text(good)
    page = text(client.get(f"/admin/?year={YEAR}"))
    row = re.search(r"<tr><th scope=\"row\">Trường học và cơ sở giáo dục.*?</tr>", page, re.S)
    assert row and "1.700" in row.group(0) and "85 %" in row.group(0) and "Báo cáo số 12/BC-SGDĐT" in row.group(0)
    assert "90 % đến năm 2030" in row.group(0)  # the plan's milestone, judged as the title's are


def test_the_unit_figures_page_takes_any_year_parameter_and_refuses_a_decimal_count(pages_app) -> None:  # noqa: F811
    client = pages_app.test_client()
    login(client, "admin")
    for year in ("²", "9" * 5000, "-3", "abc"):
        assert client.get(f"/admin/unit-figures?year={year}").status_code == 200
    form = text(client.get("/admin/unit-figures"))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    bad = client.post("/admin/unit-figures", data={
        "csrf_token": csrf.group(1), "indicator": "centres_it", "year": str(YEAR), "period": "mid_year",
        "ward_code": "", "achieved": "85.5", "total": "1.000", "source_note": "Báo cáo"})
    assert bad.status_code == 422 and "Phải là số nguyên." in text(bad)  # never saved as 855


def test_breakdown_tables_keep_the_vocabulary_order_and_a_natural_order_of_places() -> None:
    parts = {"cdht": monitoring.Breakdowns(by={"sex": [("female", 3), ("male", 2)],
                                              "hamlet": [("Tổ dân phố số 10", 1), ("", 2), ("Tổ dân phố số 9", 4)]}),
             "digital": monitoring.Breakdowns(by={"hamlet": [("Tổ dân phố số 2", 5)]})}
    tables = dict(monitoring.side_by_side(parts))
    assert tables["sex"] == [("male", 2, 0), ("female", 3, 0)]
    assert [k for k, _, _ in tables["hamlet"]] == ["Tổ dân phố số 2", "Tổ dân phố số 9", "Tổ dân phố số 10", ""]
    places = [("Tổ ①", 1), ("Tổ ²", 1), ("Tổ 1", 1)]
    odd = monitoring.side_by_side({"cdht": monitoring.Breakdowns(by={"hamlet": places})})
    assert [k for k, _, _ in dict(odd)["hamlet"]] == ["Tổ 1", "Tổ ²", "Tổ ①"]  # digits of other kinds: letters
