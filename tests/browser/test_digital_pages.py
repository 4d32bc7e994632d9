"""The digital skills pages in a real browser (Debian's Chromium, driven by Playwright) at a phone's width: a
citizen takes the basic test part by part without JavaScript, loses the connection half way, resumes, and reads the
result. Under CI=true a missing browser fails the run instead of skipping it."""

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from factories import PASSWORD, make_citizen
from flask import Flask
from sqlmodel import Session, select
from werkzeug.serving import make_server

from workflows.digital import items
from workflows.models import DigitalTestAttempt

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
BANK = items.get()
SHOTS = os.environ.get("CDHT_SCREENSHOTS")  # a folder: the pages as the phone shows them, to look at

if not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true":
    pytest.skip("Chromium is not installed (`make system-deps` installs it)", allow_module_level=True)
if os.environ.get("CI") == "true":
    from playwright import sync_api  # required: an ImportError fails the run
else:
    sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(app: Flask) -> Iterator[str]:
    """The test app served over HTTP on a free local port, in a thread."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def phone() -> Iterator[object]:
    """A browser page the size of a phone, JavaScript off: the pages must work without it."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="vi-VN")
        yield context.new_page()
        browser.close()


def test_a_citizen_takes_the_test_on_a_phone_resumes_it_and_reads_the_result(
        server: str, phone: object, session: Session) -> None:
    _, cccd = make_citizen(session)
    page = phone
    page.goto(f"{server}/login")
    page.fill("#username", cccd)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server}/citizen/")
    page.click("text=Kỹ năng số của tôi")
    assert page.locator("h1").inner_text() == "Kỹ năng số của tôi"
    page.click("text=Làm bài kiểm tra kỹ năng số cơ bản")
    attempt = session.exec(select(DigitalTestAttempt)).one()
    parts = sorted({BANK.items[i].area for i in attempt.item_ids})
    for n, area in enumerate(parts, 1):
        assert f"Phần {n}/{len(parts)}" in page.locator(".caption").inner_text()
        html = page.content()
        ids = [i for i in attempt.item_ids if BANK.items[i].area == area]
        assert all(BANK.items[i].explanation not in html for i in ids)  # never the key before the end
        if n == 1 and SHOTS:
            page.screenshot(path=f"{SHOTS}/digital-test-part1.png", full_page=True)
        if n == 2:
            page.click("button[value=next]")  # nothing chosen: the page says what is missing
            assert page.locator(".error-summary").is_visible()
            assert "Chọn một câu trả lời" in page.locator(".error-summary").inner_text()
        for i in ids:
            page.check(f"#q-{i}-{BANK.items[i].answer}")  # the radio's own label is a large enough target
            box = page.locator(f"label[for=q-{i}-{BANK.items[i].answer}]").bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        page.click("button[value=submit]" if n == len(parts) else "button[value=next]")
        if n == 3:  # the connection drops; later the citizen comes back through the digital page
            page.goto(f"{server}/citizen/digital")
            page.click("text=Làm tiếp bài kiểm tra")
            assert f"Phần 1/{len(parts)}" in page.locator(".caption").inner_text()
            for _ in range(3):
                page.click("button[value=next]")  # the answers saved before are still chosen
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/digital-test-result.png", full_page=True)
    assert page.locator("h1").inner_text() == "Kết quả bài kiểm tra"
    assert "Bạn đã đạt" in page.locator(".banner").inner_text()
    assert BANK.items[attempt.item_ids[0]].explanation in page.content()
    for table in page.locator("table").all():  # the result's table fits the screen
        box = table.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
