"""The reports pages: a city admin freezes the figures, reads the report as sent, and sees what changed since."""

from factories import csrf, make_staff, signed_in
from flask import Flask
from sqlmodel import Session

from workflows.clock import today
from workflows.models import Population

YEAR = today().year


def test_an_admin_freezes_a_report_and_sees_later_changes(web: Flask, session: Session) -> None:
    make_staff(session, "city_admin", None, username="admin-report")
    make_staff(session, "ward_chair", username="chair-report")
    admin = signed_in(web, "admin-report")
    assert signed_in(web, "chair-report").get(f"/admin/reports?year={YEAR}").status_code == 404
    page = admin.get(f"/admin/reports?year={YEAR}").get_data(as_text=True)
    assert f"Chưa có báo cáo năm {YEAR} nào được chốt." in page
    frozen = admin.post("/admin/reports", data={"csrf_token": csrf(page), "year": str(YEAR), "period": "mid_year",
                                                "note": "Báo cáo 6 tháng số 123/BC-UBND"}, follow_redirects=True)
    html = frozen.get_data(as_text=True)
    assert frozen.status_code == 200 and "Báo cáo 6 tháng" in html and "Không có gì thay đổi kể từ đó." in html
    report_url = frozen.request.path
    session.add(Population(ward_code="00070", year=YEAR, population=30000, source="Cục Thống kê"))
    session.commit()
    later = admin.get(report_url).get_data(as_text=True)
    assert "Phường Hoàn Kiếm" in later and "30.000" in later and "Không có gì thay đổi" not in later
    assert admin.post("/admin/reports", data={"csrf_token": csrf(page), "year": str(YEAR),
                                              "period": "quarterly"}).status_code == 404


def test_the_dashboard_sorts_by_people_short_and_drills_down_to_a_ward(web: Flask, session: Session) -> None:
    make_staff(session, "city_admin", None, username="admin-gap")
    for ward, population in (("00004", 1000), ("00070", 50000)):
        session.add(Population(ward_code=ward, year=YEAR, population=population, source="Số liệu thử"))
    session.commit()
    admin = signed_in(web, "admin-gap")
    page = admin.get(f"/admin/?year={YEAR}&sort=gap").get_data(as_text=True)
    body = page[page.find("<tbody>"):]
    assert body.find("Phường Hoàn Kiếm") < body.find("Phường Ba Đình")  # the bigger gap first
    assert f'href="/admin/wards/00070?year={YEAR}"' in page
    ward = admin.get(f"/admin/wards/00070?year={YEAR}")
    html = ward.get_data(as_text=True)
    assert ward.status_code == 200 and "<h1>Phường Hoàn Kiếm</h1>" in html and "50.000" in html
    assert "Tỷ lệ hồ sơ được công nhận" in html
    assert admin.get(f"/admin/wards/99999?year={YEAR}").status_code == 404
