"""The server-rendered pages, driven like a browser: fetch a form, take its CSRF token, post it."""

import dataclasses
import io
import re

import pytest
from closing import close_app
from PIL import Image

from webapp import create_app
from webapp.pages.formats import date_from_parts, vn_number, vn_percent
from workflows.clock import today
from workflows.db import session_scope
from workflows.seed import seed_demo

PASSWORD = "demo-cdht-2026"
YEAR = today().year


@pytest.fixture
def pages_app(app, settings):
    """An app on this run's database that renders certificates in-process, with the demo accounts."""
    eager = dataclasses.replace(settings, task_always_eager=True, login_rate_limit="1000 per minute")
    application = create_app(eager)
    with session_scope(application.extensions["cdht"].engine) as session:
        seed_demo(session, PASSWORD)
    yield application
    close_app(application)


def token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


def login(client, username: str) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": token(text(page)), "username": username,
                                           "password": PASSWORD})
    assert response.status_code == 302, text(response)


def logout(client) -> None:
    page = client.get("/")
    client.post("/logout", data={"csrf_token": token(text(page))})


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 112, 60)).save(buffer, format="PNG")
    return buffer.getvalue()


REGISTRATION = {
    "cccd": "001 0 95 123456", "full_name": "Nguyễn Văn An", "date_of_birth-day": "3",
    "date_of_birth-month": "4", "date_of_birth-year": "1995", "sex": "male", "ward_code": "00070",
    "target_group": "worker", "password": "mat-khau-dai", "email": "", "phone": "", "consent": "yes",
}


# --- formats -------------------------------------------------------------------------------------------------------

def test_vietnamese_number_formats():
    assert vn_number(1234567) == "1.234.567"
    assert vn_number(None) == "—"
    assert vn_percent(0.583) == "58,3 %"
    assert vn_percent(0.7) == "70 %"
    assert vn_percent(0.005) == "0,5 %"
    assert vn_percent(1 / 55038) == "< 0,1 %"
    assert vn_percent(0) == "0 %"
    assert vn_percent(None) == "—"


def test_date_parts_are_joined_and_checked():
    from werkzeug.datastructures import MultiDict

    assert date_from_parts(MultiDict({"d-day": " 7", "d-month": "5", "d-year": "1990"}), "d") == ("1990-05-07", None)
    assert date_from_parts(MultiDict({}), "d") == ("", None)
    assert date_from_parts(MultiDict({"d-day": "x", "d-month": "5", "d-year": "1990"}), "d")[1] == "date_parts"
    assert date_from_parts(MultiDict({"d-day": "31", "d-month": "2", "d-year": "2026"}), "d")[1] == "date_invalid"


# --- registration --------------------------------------------------------------------------------------------------

def test_register_then_sign_in_and_land_on_my_year(pages_app):
    app = pages_app
    client = app.test_client()
    form = client.get("/citizen/register")
    assert form.status_code == 200
    html = text(form)
    assert 'inputmode="numeric"' in html and "91/2025/QH15" in html and "(không bắt buộc)" in html
    assert len(re.findall(r'<option value="\d{5}"', html)) == 126  # every ward of Hà Nội
    response = client.post("/citizen/register", data={**REGISTRATION, "csrf_token": token(html)})
    assert response.status_code == 302  # to sign in: the answer a number registered before gets too (ADR 43)
    assert response.headers["Location"].endswith("/login")
    login = text(client.get("/login"))
    assert "Đã nhận đăng ký" in login
    signed = client.post("/login", data={"csrf_token": token(login), "username": "001095123456",
                                         "password": REGISTRATION["password"]})
    assert signed.status_code == 302 and signed.headers["Location"].endswith("/citizen/")
    home = client.get("/citizen/")
    assert home.status_code == 200
    assert "Năm của tôi" in text(home)


def test_register_with_a_bad_cccd_keeps_the_answers(pages_app):
    app = pages_app
    client = app.test_client()
    html = text(client.get("/citizen/register"))
    response = client.post("/citizen/register", data={**REGISTRATION, "cccd": "12345", "csrf_token": token(html)})
    assert response.status_code == 422
    page = text(response)
    assert title(page).startswith("Lỗi: ")
    assert "Cần sửa các mục sau" in page
    assert 'href="#cccd"' in page
    assert page.count("Số định danh cá nhân phải gồm đúng 12 chữ số.") == 2  # in the summary and beside the field
    assert 'value="Nguyễn Văn An"' in page and 'value="00070" selected' in page
    assert "mat-khau-dai" not in page  # the password is never echoed


def test_register_errors_list_every_field(pages_app):
    app = pages_app
    client = app.test_client()
    html = text(client.get("/citizen/register"))
    response = client.post("/citizen/register", data={"csrf_token": token(html), "date_of_birth-day": "31",
                                                      "date_of_birth-month": "2", "date_of_birth-year": "1990"})
    page = text(response)
    assert response.status_code == 422
    for anchor in ("#cccd", "#full_name", "#date_of_birth-day", "#sex-male", "#ward_code", "#target_group-resident",
                   "#password", "#consent"):
        assert f'href="{anchor}"' in page
    assert "Ngày này không có trên lịch" in page


def test_register_without_csrf_is_refused(pages_app):
    app = pages_app
    response = app.test_client().post("/citizen/register", data=REGISTRATION)
    assert response.status_code == 400


def test_staff_pages_need_a_sign_in_and_the_right_role(pages_app):
    app = pages_app
    client = app.test_client()
    assert client.get("/reviewer/").status_code == 302
    login(client, "001190012345")
    assert client.get("/reviewer/").status_code == 404
    assert client.get("/admin/").status_code == 404


# --- the whole path ------------------------------------------------------------------------------------------------

def _activity_form(client, app_id: str) -> str:
    page = client.get(f"/citizen/applications/{app_id}/activities/new")
    assert page.status_code == 200
    return text(page)


def _activity(html: str, **extra) -> dict:
    once = re.search(r'name="once" value="([^"]+)"', html)
    assert once
    return {"csrf_token": token(html), "once": once.group(1), "title": "Lớp tin học văn phòng", "kind": "course",
            "hours": "12", "started_on-day": "10", "started_on-month": "3", "started_on-year": str(YEAR),
            "provider": "Trung tâm học tập cộng đồng", "indicator_codes": ["II.1"], **extra}


def test_citizen_to_certificate(pages_app):
    app = pages_app
    citizen = app.test_client()
    login(citizen, "001190012345")
    home = text(citizen.get("/citizen/"))
    assert "Mở hồ sơ" in home
    citizen.post("/citizen/applications", data={"csrf_token": token(home), "year": str(YEAR)})
    home = text(citizen.get("/citizen/"))
    for status in ("Chưa bắt đầu", "Chưa thể bắt đầu"):
        assert status in home
    assert "Phường/xã xét" in home and "Cấp Giấy công nhận" in home
    app_id = re.search(r"/citizen/applications/([\w-]+)/activities", home).group(1)

    # A text file renamed .png is refused by its content, with the answers kept.
    html = _activity_form(citizen, app_id)
    assert "tối đa 10 MB" in html.split('type="file"')[0]
    bad = citizen.post(f"/citizen/applications/{app_id}/activities/new", content_type="multipart/form-data",
                       data=_activity(html, evidence=(io.BytesIO(b"just some text"), "giay-chung-nhan.png")))
    assert bad.status_code == 422
    assert title(text(bad)).startswith("Lỗi: ")
    assert "Chỉ nhận tệp PDF, JPG hoặc PNG." in text(bad) and 'href="#evidence"' in text(bad)
    assert 'value="Lớp tin học văn phòng"' in text(bad)

    # A real PNG is accepted; posting the same form twice saves it once.
    html = _activity_form(citizen, app_id)
    data = _activity(html, evidence=(io.BytesIO(png_bytes()), "giay-chung-nhan.png"))
    ok = citizen.post(f"/citizen/applications/{app_id}/activities/new", content_type="multipart/form-data",
                      data=data)
    assert ok.status_code == 302
    again = citizen.post(f"/citizen/applications/{app_id}/activities/new", content_type="multipart/form-data",
                         data=_activity(html))
    assert again.status_code == 302
    listing = text(citizen.get(f"/citizen/applications/{app_id}/activities"))
    assert listing.count('class="card-title">Lớp tin học văn phòng') == 1 and "giay-chung-nhan.png" in listing

    # Self-assessment, one criterion a page: a bad score is named; then each page's indicators, page after page.
    url = f"/citizen/applications/{app_id}/self-assessment"
    html = text(citizen.get(url))
    assert "cần tổng điểm từ 80 trở lên và không chỉ số nào dưới 5 điểm" in html  # from the criteria set
    steps = int(re.search(r"tiêu chí 1/(\d+)", html).group(1))
    codes = re.findall(r'name="(score-[^"]+)"', html)
    wrong = citizen.post(url, data={"csrf_token": token(html), "step": "1", **dict.fromkeys(codes, "9"),
                                    codes[0]: "11"})
    assert wrong.status_code == 422 and f'href="#{codes[0]}"' in text(wrong)
    assert "Điểm phải từ 0 đến 10." in text(wrong)
    seen: list[str] = []
    for step in range(1, steps + 1):
        html = text(citizen.get(f"{url}?step={step}"))
        codes = re.findall(r'name="(score-[^"]+)"', html)
        seen += codes
        saved = citizen.post(url, data={"csrf_token": token(html), "step": str(step), **dict.fromkeys(codes, "9")})
        assert saved.status_code == 302
        assert saved.headers["Location"].endswith(f"step={step + 1}" if step < steps else "/citizen/")
    assert len(seen) == len(set(seen)) == 10  # every indicator on exactly one page

    # Check and submit; a second submit lands on the same confirmation.
    check = citizen.get(f"/citizen/applications/{app_id}/check")
    assert check.status_code == 200 and "90/100" in text(check)
    submitted = citizen.post(f"/citizen/applications/{app_id}/check", data={"csrf_token": token(text(check))})
    assert submitted.status_code == 302 and submitted.headers["Location"].endswith("/submitted")
    twice = citizen.post(f"/citizen/applications/{app_id}/check", data={"csrf_token": token(text(check))})
    assert twice.status_code == 302 and twice.headers["Location"].endswith("/submitted")
    receipt = text(citizen.get(f"/citizen/applications/{app_id}/submitted"))
    assert app_id in receipt and "001******345" in receipt

    # The reviewer of ward 00004 finds it and approves; the chair may look but not decide.
    reviewer = app.test_client()
    login(reviewer, "reviewer00004")
    queue = reviewer.get("/reviewer/?state=submitted&q=le hoang")
    assert queue.status_code == 200 and "Lê Hoàng Yến" in text(queue) and "<caption>" in text(queue)
    page = reviewer.get(f"/reviewer/applications/{app_id}?state=submitted")
    html = text(page)
    assert "001******345" in html and "giay-chung-nhan.png" in html
    evidence_url = re.search(r'href="(/reviewer/applications/[^"]+/evidence/[^"]+)"', html).group(1)
    evidence = reviewer.get(evidence_url)
    assert evidence.status_code == 200 and evidence.mimetype == "image/png" and evidence.data.startswith(b"\x89PNG")
    assert evidence.headers["Content-Disposition"].endswith('.png"')  # a phone knows which viewer opens it
    assert "Đề nghị công nhận" in html and "Trả lại để bổ sung" in html and "Không đề nghị công nhận" in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    no_reason = reviewer.post(f"/reviewer/applications/{app_id}",
                              data={"csrf_token": token(html), "version": version, "action": "return",
                                    "comment": " ", "state": "submitted"})
    assert no_reason.status_code == 422 and 'href="#comment"' in text(no_reason)
    assert "Ghi rõ người dân cần bổ sung gì, hoặc lý do không đề nghị công nhận." in text(no_reason)
    scores = dict.fromkeys(seen, "8")  # every indicator, the reviewer's own
    approve = reviewer.post(f"/reviewer/applications/{app_id}",
                            data={"csrf_token": token(html), "version": version, "action": "approve",
                                  "state": "submitted", **scores})
    assert approve.status_code == 302
    after = text(reviewer.get(approve.headers["Location"]))
    assert "Đã lưu:" in after and "Đề nghị công nhận" in after
    repeat = reviewer.post(f"/reviewer/applications/{app_id}",
                           data={"csrf_token": token(html), "version": version, "action": "approve", **scores})
    assert repeat.status_code == 409  # a second click does not crash

    chair_view = app.test_client()
    login(chair_view, "chair00004")
    assert chair_view.get("/reviewer/").status_code == 200

    # Another ward's staff cannot know it exists.
    other = app.test_client()
    login(other, "reviewer00070")
    assert other.get(f"/reviewer/applications/{app_id}").status_code == 404
    assert other.get(evidence_url).status_code == 404

    # The chair records a decision after checking it.
    chair = chair_view
    home = text(chair.get(f"/chair/?year={YEAR}"))
    assert "Lê Hoàng Yến" in home and f'value="{app_id}" checked' in home
    decision = {"csrf_token": token(home), "year": str(YEAR), "number": "12/QĐ-UBND", "signed_on-day": str(today().day),
                "signed_on-month": str(today().month), "signed_on-year": str(YEAR), "signer_name": "Trần Văn Bình",
                "application_ids": [app_id]}
    empty = chair.post("/chair/decisions/check", data={**decision, "application_ids": []})
    assert empty.status_code == 422 and "Chọn ít nhất một hồ sơ." in text(empty)
    check = chair.post("/chair/decisions/check", data=decision)
    assert check.status_code == 200 and "Kiểm tra trước khi ký" in text(check)
    assert today().strftime("%d/%m/") in text(check)
    recorded = chair.post("/chair/decisions", data={**decision, "csrf_token": token(text(check))})
    assert recorded.status_code == 302
    progress = text(chair.get(recorded.headers["Location"]))
    assert "<progress" in progress and "Đã cấp 1/1" in progress and "Cập nhật tiến độ" in progress
    twice = chair.post("/chair/decisions", data={**decision, "csrf_token": token(text(check))})
    assert twice.status_code == 422  # a second click: the application is recognised now, no longer approved

    # The citizen downloads the PDF; the code verifies.
    home = text(citizen.get("/citizen/"))
    link = re.search(r'href="(/citizen/certificates/([A-Z0-9-]+)\.pdf)"', home)
    assert link, home
    pdf = citizen.get(link.group(1))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    verify = app.test_client().get(f"/verify/{link.group(2)}")
    assert verify.status_code == 200 and "Hợp lệ" in text(verify)
    # Another ward's chair, on the chair's own pages, cannot know this decision exists.
    other_chair = app.test_client()
    login(other_chair, "chair00070")
    assert other_chair.get(recorded.headers["Location"]).status_code == 404
    assert other_chair.get(f"/reviewer/applications/{app_id}").status_code == 404


def test_returned_application_shows_the_comment(pages_app):
    app = pages_app
    citizen = app.test_client()
    login(citizen, "001190012345")
    home = text(citizen.get("/citizen/"))
    citizen.post("/citizen/applications", data={"csrf_token": token(home), "year": str(YEAR)})
    app_id = re.search(r"/citizen/applications/([\w-]+)/activities", text(citizen.get("/citizen/"))).group(1)
    html = _activity_form(citizen, app_id)
    citizen.post(f"/citizen/applications/{app_id}/activities/new", data=_activity(html))
    for step in range(1, 4):  # the three criteria of QĐ 324, a page each
        html = text(citizen.get(f"/citizen/applications/{app_id}/self-assessment?step={step}"))
        codes = re.findall(r'name="(score-[^"]+)"', html)
        citizen.post(f"/citizen/applications/{app_id}/self-assessment",
                     data={"csrf_token": token(html), "step": str(step), **dict.fromkeys(codes, "9")})
    citizen.post(f"/citizen/applications/{app_id}/check", data={"csrf_token": token(html)})

    reviewer = app.test_client()
    login(reviewer, "reviewer00004")
    html = text(reviewer.get(f"/reviewer/applications/{app_id}"))
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert 'name="note-II.1"' in html and 'id="note-score-II-1"' in html  # a note box on each indicator too
    bogus = reviewer.post(f"/reviewer/applications/{app_id}",
                          data={"csrf_token": token(html), "version": version, "action": "return",
                                "note-IX.9": "Không có chỉ số này."})
    assert bogus.status_code == 422  # a note about nothing of this application
    response = reviewer.post(f"/reviewer/applications/{app_id}",
                             data={"csrf_token": token(html), "version": version, "action": "return",
                                   "comment": "Bổ sung ảnh giấy chứng nhận lớp tin học.",
                                   "note-II.1": "Điểm 9 cần có giấy xác nhận của trung tâm."})
    assert response.status_code == 302
    home = text(citizen.get("/citizen/"))
    assert "Bổ sung ảnh giấy chứng nhận lớp tin học." in home and "Cần sửa" in home
    # The indicator's note on My year, linked to the self-assessment's page that holds it, and shown there.
    link = re.search(r'href="(/citizen/applications/[^"]+/self-assessment\?step=(\d))#note-score-II-1"', home)
    assert link and "Điểm 9 cần có giấy xác nhận của trung tâm." in home
    page = text(citizen.get(link.group(1)))
    assert 'id="note-score-II-1"' in page and "Điểm 9 cần có giấy xác nhận của trung tâm." in page
    assert 'aria-describedby="score-II-1-hint note-score-II-1"' in page


def test_queue_pages_carry_the_page_number_in_the_title(pages_app):
    app = pages_app
    client = app.test_client()
    login(client, "reviewer00004")
    response = client.get("/reviewer/?state=&page=1")
    assert response.status_code == 200
    assert "Hồ sơ cần xét" in title(text(response))
    assert client.get("/reviewer/?state=nonsense").status_code == 404


def test_queue_pages_walk_by_cursor_links(pages_app, session, monkeypatch):
    """Next and previous links carry a cursor: following them visits every application once, in order."""
    from factories import make_citizen, submitted_application

    from workflows import review_queue

    monkeypatch.setattr(review_queue, "PAGE_SIZE", 2)
    for n in range(5):
        citizen, _ = make_citizen(session, ward="00004", full_name=f"Phạm Thu Hà {n}")
        submitted_application(session, citizen)
    client = pages_app.test_client()
    login(client, "reviewer00004")
    seen, path, pages = [], "/reviewer/?state=submitted", []
    while path:
        html = text(client.get(path))
        pages.append(html)
        seen += re.findall(r'href="/reviewer/applications/([^"?]+)', html)
        link = re.search(r'<a rel="next" href="([^"]+)"', html)
        path = link.group(1).replace("&amp;", "&") if link else ""
    assert len(seen) == len(set(seen)) >= 5
    assert "trang 1/" in pages[0] and f"trang {len(pages)}/{len(pages)}" in pages[-1]
    assert 'aria-current="page">1</a>' in pages[0] and f'aria-current="page">{len(pages)}</a>' in pages[-1]
    back = re.search(r'<a rel="prev" href="([^"]+)"', pages[-1])
    assert back and "before=" in back.group(1)
    html = text(client.get(back.group(1).replace("&amp;", "&")))
    assert re.findall(r'href="/reviewer/applications/([^"?]+)', html) == seen[-(len(seen) % 2 or 2) - 2:][:2]
    assert client.get("/reviewer/?state=submitted&after=not-a-cursor").status_code == 404


def _walk(client, path: str) -> list[str]:
    """The application ids of every page, following the "next" links from `path`."""
    seen: list[str] = []
    while path:
        html = text(client.get(path))
        seen += re.findall(r'href="/reviewer/applications/([^"?]+)', html)
        link = re.search(r'<a rel="next" href="([^"]+)"', html)
        path = link.group(1).replace("&amp;", "&") if link else ""
    return seen


def test_queue_sorts_by_name_in_list_order_and_by_newest(pages_app, session, monkeypatch):
    """Three orders, each walked page by page; by name is the order of Vietnamese lists (given name first)."""
    from factories import make_citizen, submitted_application

    from workflows import review_queue
    from workflows.models import Application

    monkeypatch.setattr(review_queue, "PAGE_SIZE", 2)
    people = ["Trần Văn Bình", "Nguyễn Thị Ánh", "Lê Minh Châu", "Đỗ An", "Nguyễn Văn An"]
    ids = {}
    for name in people:
        citizen, _ = make_citizen(session, ward="00004", full_name=name)
        ids[submitted_application(session, citizen)] = name
    client = pages_app.test_client()
    login(client, "reviewer00004")
    by_name = [ids[i] for i in _walk(client, "/reviewer/?state=submitted&sort=name")]
    assert by_name == ["Đỗ An", "Nguyễn Văn An", "Nguyễn Thị Ánh", "Trần Văn Bình", "Lê Minh Châu"]
    oldest = _walk(client, "/reviewer/?state=submitted")
    assert sorted(oldest) == sorted(ids) and _walk(client, "/reviewer/?state=submitted&sort=newest") == oldest[::-1]
    assert [session.get(Application, i).name_sort for i in oldest][:1] == ["binh tran van"]

    # Page 3 by its number is the same rows as walking there; the order is kept in the links.
    html = text(client.get("/reviewer/?state=submitted&sort=name"))
    third = re.search(r'<a href="([^"]*page=3[^"]*)" aria-label="Trang 3"', html)
    assert third and "sort=name" in third.group(1)
    page3 = text(client.get(third.group(1).replace("&amp;", "&")))
    assert [ids[i] for i in re.findall(r'href="/reviewer/applications/([^"?]+)', page3)] == ["Lê Minh Châu"]
    back = re.search(r'<a rel="prev" href="([^"]+)"', page3).group(1).replace("&amp;", "&")
    assert [ids[i] for i in re.findall(r'href="/reviewer/applications/([^"?]+)', text(client.get(back)))] == [
        "Nguyễn Thị Ánh", "Trần Văn Bình"]
    # A cursor of one order in a link of another names nothing; an unknown order neither.
    after = re.search(r'after=([^&"]+)', html).group(1)
    assert client.get(f"/reviewer/?state=submitted&after={after}").status_code == 404
    assert client.get("/reviewer/?state=submitted&sort=age").status_code == 404


def test_admin_dashboard_states_the_city_line_first(pages_app):
    app = pages_app
    client = app.test_client()
    login(client, "admin")
    response = client.get(f"/admin/?year={YEAR}&sort=rate")
    page = text(response)
    assert response.status_code == 200
    assert "Toàn thành phố:" in page and "mục tiêu 70 % năm 2030" in page
    assert "<caption>" in page and "Phường Ba Đình" in page
    assert re.search(r"\d{1,3}\.\d{3}", page)  # populations in Vietnamese format


def test_dashboard_rows_follow_the_counters_and_the_language(pages_app, session):
    """The ward rows are rendered once per distinct figures and language: a moved counter shows at once."""
    from holders import add_adults

    client = pages_app.test_client()
    login(client, "admin")

    def ba_dinh_row(path: str) -> str:
        found = re.search(r"<tr>\s*<td>00004</td>.*?</tr>", text(client.get(path)), re.S)
        assert found
        return found.group(0)

    before = ba_dinh_row(f"/admin/?year={YEAR}")
    assert ba_dinh_row(f"/admin/?year={YEAR}") == before
    add_adults(session, "cdht", "00004", YEAR, 1234)
    session.commit()
    after = ba_dinh_row(f"/admin/?year={YEAR}")
    assert after != before and "1.234" in after
    add_adults(session, "cdht", "00004", YEAR, 80_000)  # above the target now: the row says so
    session.commit()
    assert "đã đạt" in ba_dinh_row(f"/admin/?year={YEAR}")
    assert ">met<" in ba_dinh_row(f"/admin/?year={YEAR}&lang=en")


def test_dashboard_figures_are_kept_for_their_max_age_then_read_again(pages_app, session, monkeypatch):
    """With DASHBOARD_MAX_AGE_SECONDS, a moved counter shows once the figures are that old (ADR 50): every page in
    between is the same, saying when its figures were read; the API reads afresh at once."""
    import dataclasses

    from holders import add_adults

    from webapp.pages import admin

    runtime = pages_app.extensions["cdht"]
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, dashboard_max_age_seconds=10))
    clock = [1000.0]
    monkeypatch.setattr(admin.time, "monotonic", lambda: clock[0])
    admin._FIGURES.clear()
    client = pages_app.test_client()
    login(client, "admin")
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}).json["token"]

    def ba_dinh() -> tuple[str, str]:
        page = text(client.get(f"/admin/?year={YEAR}"))
        row = re.search(r"<tr>\s*<td>00004</td>.*?</tr>", page, re.S)
        caption = re.search(r'id="wards-caption">(.*?)</span>', page, re.S)
        assert row and caption
        return row.group(0), caption.group(1)

    def api_holders() -> int:
        answer = client.get(f"/api/v1/rollup?year={YEAR}", headers={"Authorization": f"Bearer {token}"}).json
        return int(next(w for w in answer["wards"] if w["code"] == "00004")["cdht"])

    before, caption = ba_dinh()
    counted = api_holders()
    add_adults(session, "cdht", "00004", YEAR, 4321)
    session.commit()
    clock[0] += 9.9
    assert ba_dinh() == (before, caption)  # kept: the same figures, read at the same time
    assert api_holders() == counted + 4321  # the API reads the counters for every call
    clock[0] += 0.2
    after, _ = ba_dinh()
    assert after != before and "4.321" in after
    admin._FIGURES.clear()


def test_dashboard_shows_digital_skills_beside_the_title_with_the_gap_in_people(pages_app, session):
    """Holders of basic digital skills: the city line with its own target and the people still needed, and a
    column per ward, moved by the counters."""
    from holders import add_adults

    from workflows.models import Population

    client = pages_app.test_client()
    login(client, "admin")
    population = session.get(Population, ("00004", YEAR, "residents_15_plus")).population
    add_adults(session, "digital", "00004", YEAR, 4321)
    session.commit()
    page = text(client.get(f"/admin/?year={YEAR}"))
    line = re.search(r'<p class="headline" id="digital-line">(.*?)</p>', page, re.S)
    assert line and "mục tiêu 70 % năm 2030" in line.group(1)
    assert "4.321 người có kỹ năng số cơ bản" in page and "Cần thêm" in page
    row = re.search(r"<tr>\s*<td>00004</td>.*?</tr>", page, re.S)
    assert row and "4.321" in row.group(0)
    rate = 4321 / population
    assert f"{rate * 100:.1f}".replace(".", ",") in row.group(0)


def test_people_short_of_a_share() -> None:
    from workflows.rollup import people_short

    assert people_short(10, 100, 0.5) == 40 and people_short(60, 100, 0.5) == 0
    assert people_short(0, 3, 0.54) == 2  # 1.62 people: two more are needed, never a fraction of one
    assert people_short(5, None, 0.5) is None and people_short(5, 100, None) is None


def test_chair_sees_the_year_a_decision_number_is_already_used_in(pages_app, session) -> None:
    from factories import make_citizen, make_staff, scores, submitted_application
    from sqlmodel import select

    from certificates import new_code
    from workflows import decisions, review
    from workflows.actors import Actor
    from workflows.inputs import DecisionInput, ReviewInput, parse
    from workflows.models import User
    from workflows.registration import actor_for
    from workflows.vocabulary import Role

    reviewer = make_staff(session, "ward_reviewer")
    chair_user = session.exec(select(User).where(User.username == "chair00004")).one()
    chair: Actor = actor_for(session, chair_user)
    assert chair.role == Role.WARD_CHAIR
    ids = []
    for _ in range(2):
        citizen, _ = make_citizen(session)
        aid = submitted_application(session, citizen, year=YEAR)
        review.review(session, reviewer, aid, parse(ReviewInput, {"action": "approve", "version": 2,
                                                                  "scores": scores(9)}))
        ids.append(aid)
    signed = today().isoformat()
    decisions.record_decision(session, chair, parse(DecisionInput, {
        "year": YEAR, "number": "9/QĐ-UBND", "signed_on": signed, "signer_name": "A", "application_ids": ids[:1]}),
        new_code=new_code, verify_url=str)
    session.commit()

    client = pages_app.test_client()
    login(client, "chair00004")
    home = text(client.get(f"/chair/?year={YEAR}"))
    form = {"csrf_token": token(home), "year": str(YEAR), "number": "9/QĐ-UBND", "signed_on-day": str(today().day),
            "signed_on-month": str(today().month), "signed_on-year": str(today().year), "signer_name": "A",
            "application_ids": [ids[1]]}
    checked = client.post("/chair/decisions/check", data=form)
    assert checked.status_code == 422
    assert f"Số quyết định này đã được dùng trong năm {today().year} ở phường/xã." in text(checked)


def test_the_fonts_are_fetched_with_the_page_and_never_swapped_in(pages_app):
    """Every page asks for the four font files beside its stylesheet, and the stylesheet lets a late font wait for
    the next page rather than redraw the text in another face."""
    client = pages_app.test_client()
    html = text(client.get("/"))
    fonts = re.findall(r'<link rel="preload" href="([^"]+)" as="font" type="font/woff2" crossorigin>', html)
    assert len(fonts) == 4
    for href in fonts:
        response = client.get(href)
        assert response.status_code == 200 and response.data[:4] == b"wOF2"
        response.close()  # a static file is sent from an open file
    sheet = client.get("/static/site.css")
    css = sheet.get_data(as_text=True)
    sheet.close()
    declared = re.findall(r'url\("(fonts/[^"]+)"\)', css)
    assert sorted(f"/static/{d}" for d in declared) == sorted(fonts)  # the same URLs: one download each
    assert "font-display: swap" not in css and css.count("font-display: optional") == 4
