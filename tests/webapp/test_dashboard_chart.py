"""The city's first screen answers "are we on track?": the pipeline of the year's applications, a chart of the wards
against the target (SVG drawn on the server, titled and described, its figures in the table), and words for a year
without data."""

import re

from factories import PASSWORD, make_staff, signed_in
from sqlmodel import Session

from webapp.charts import Bar, wards_against_target


def test_the_chart_draws_one_bar_per_ward_with_figures_and_both_lines() -> None:
    bars = (Bar("00004", "Phường Ba Đình", 0.62), Bar("00070", "Phường <Hoàn Kiếm>", 0.31), Bar("00100", "Xã X", None))
    svg = str(wards_against_target(bars, 0.7, 0.54, "Tiêu đề", "Mô tả", "chỉ tiêu", "mức cần đạt"))
    assert svg.count('<rect class="bar') == 2  # a ward without a population has no bar
    assert 'class="bar on-track"' in svg and 'class="bar behind"' in svg
    assert 'class="target"' in svg and 'class="expected"' in svg
    assert 'role="img"' in svg and "<title id=\"chart-title\">Tiêu đề</title>" in svg
    assert "&lt;Hoàn Kiếm&gt;" in svg and "<Hoàn" not in svg  # names are escaped
    first = svg.index("Ba Đình")
    assert first < svg.index("Hoàn Kiếm")  # highest rate first


def test_dashboard_pipeline_chart_and_a_year_without_data(web, session: Session, sent) -> None:
    assert web.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    make_staff(session, "city_admin", ward=None, username="admin-chart")
    admin = signed_in(web, "admin-chart")
    page = admin.get("/admin/").get_data(as_text=True)
    assert '<svg class="chart"' in page and "Các phường/xã so với chỉ tiêu" in page
    pipeline = re.search(r'<ul class="pipeline".*?</ul>', page, re.S).group(0)
    numbers = [int(n) for n in re.findall(r"<strong>(\d+)</strong>", pipeline)]
    assert numbers == [1, 4, 1, 1, 3, 1]  # the demo ward's draft, submitted, returned, proposed, recognised, not
    assert "chưa có số liệu nào" not in page
    empty = admin.get("/admin/?year=2024").get_data(as_text=True)
    assert "Năm 2024 chưa có số liệu nào" in empty
