"""The whole year of one citizen, and the staff around them, in a real browser (Debian's Chromium driven by
Playwright) with a real worker process issuing the certificate, at a phone's width and at a desktop's:

sign up by reading the QR code of the identity card (the phone through its camera, the desktop from a photo) →
log an activity, change it, replace its evidence → self-assess one criterion a page → submit → the reviewer finds it
by its reference and returns it with a comment → the citizen reads the comment, fixes and resubmits → the reviewer
proposes → the chair checks and records the decision, and the page's progress reaches 100 % by itself → the citizen
downloads the certificate and follows its QR code to the verification page → a forgotten password is reset by a link
from the local mail catcher → the city admin reads the dashboard and downloads an export.

axe-core checks every page on the way (no serious or critical violation); with CDHT_SCREENSHOTS=<folder> every page is
photographed there as well."""

import gc
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM, axe_blocking, axe_source, playwright
from cards import card_photo, card_text, png_bytes_of, write_y4m
from factories import PASSWORD, cccd_for, make_staff
from flask import Flask
from mailcatcher import MailCatcher
from processes import start_worker, stop_worker
from werkzeug.serving import make_server

from certificates.offline import read_qr_codes
from webapp import create_app
from workflows.clock import today

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")]

SHOTS = os.environ.get("CDHT_SCREENSHOTS")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
WAIT_MS = 90_000  # the longest a step waits for the worker (its first render loads the fonts)


@dataclass
class Deployment:
    """The web app served over HTTP, a worker process, and an SMTP catcher both send to."""

    url: str
    mail: MailCatcher
    camera: Path  # the fake camera's video: the back of a card
    card: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def deployment(app: Flask, settings: Any, runtime_env: dict[str, str],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The web app on a free port whose public address is that port (the certificate's QR code leads back to it),
    a real worker with the same environment, and a mail catcher both send to."""
    serving: dict[str, Flask] = {}
    httpd = make_server("127.0.0.1", 0, lambda env, start: serving["app"](env, start), threaded=True)
    url = f"http://127.0.0.1:{httpd.server_port}"
    folder = tmp_path_factory.mktemp("journeys")
    card = {"cccd": cccd_for(1991, female=True), "full_name": "Trịnh Thị Thu Hà", "born": date(1991, 3, 8),
            "female": True}
    camera = write_y4m(card_photo(card_text(**card)), folder / "camera.y4m")
    with MailCatcher() as mail:
        serving["app"] = create_app(replace(settings, public_base_url=url, mail_url=mail.url,
                                            login_rate_limit="1000 per minute"))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        worker = start_worker({**runtime_env, "PUBLIC_BASE_URL": url, "MAIL_URL": mail.url},
                              folder / "worker.log", "journeys")
        try:
            yield Deployment(url, mail, camera, card)
        finally:
            stop_worker(worker)
            httpd.shutdown()
            httpd.server_close()
            time.sleep(0.5)  # a request the browser left in flight ends and gives its connection back
            serving["app"].extensions["cdht"].engine.dispose()
            gc.collect()  # what the server's threads held is closed here, not in some later test


class Visit:
    """One browser page at one width: every page it reaches is checked by axe-core (and photographed on request)."""

    def __init__(self, page: Any, size: str, base: str, axe: str) -> None:
        self.page, self.size, self.base, self._axe = page, size, base, axe
        self.problems: list[str] = []
        self.seen: list[str] = []

    def check(self, name: str) -> None:
        """axe-core on the page as it stands now; its serious and critical findings are kept for the end."""
        self.page.wait_for_load_state()
        self.problems += [f"{self.size} {name}: {found}" for found in axe_blocking(self.page, self._axe)]
        self.seen.append(name)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"journey-{name}-{self.size}.png"), full_page=True)

    def go(self, path: str, name: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        self.check(name)

    def submit(self, name: str | None = None, button: str = "main button[type=submit]") -> None:
        """Press the form's button and wait for the next page (checked when it is named)."""
        with self.page.expect_navigation():
            self.page.click(button)
        if name:
            self.check(name)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.context.clear_cookies()
        self.go("/login", "login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.submit()
        assert "/login" not in self.page.url, f"{username} could not sign in: {self.page.url}"

    def text(self, selector: str = "main") -> str:
        return self.page.inner_text(selector)


@pytest.fixture(scope="module")
def browser(deployment: Deployment) -> Iterator[Any]:
    """Chromium whose camera is a fake device playing the card's video (permission granted without asking)."""
    sync_api = playwright()
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={deployment.camera}"])
        yield chromium
        chromium.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_citizens_year_end_to_end(size: str, deployment: Deployment, browser: Any, session) -> None:
    make_staff(session, "ward_reviewer", username=f"reviewer-{size}")
    make_staff(session, "ward_chair", username=f"chair-{size}")
    make_staff(session, "city_admin", ward=None, username=f"admin-{size}")
    context = browser.new_context(viewport=SIZES[size], locale="vi-VN", accept_downloads=True,
                                  permissions=["camera"])
    visit = Visit(context.new_page(), size, deployment.url, axe_source())
    try:
        reference = _sign_up_and_submit(visit, deployment.card, by_camera=size == "phone")
        _reviewer_returns(visit, size, reference)
        _citizen_fixes_and_resubmits(visit, deployment.card["cccd"])
        _reviewer_proposes(visit, size, reference)
        _chair_decides(visit, size)
        _citizen_downloads_and_verifies(visit, deployment.card["cccd"])
        _password_reset(visit, deployment)
        _admin_dashboard_and_export(visit, size)
    finally:
        context.close()
    assert not visit.problems, "axe-core found:\n" + "\n".join(visit.problems)


def _sign_up_and_submit(visit: Visit, card: dict[str, Any], *, by_camera: bool) -> str:
    page = visit.page
    visit.go("/citizen/register", "register")
    scan = page.locator("[data-card-scan]")
    assert scan.is_visible(), "the card's QR reader is offered when a script runs"
    if by_camera:
        page.click("[data-scan-camera]")
    else:
        # A QR code that is not a card's fills nothing and says so; the card's own fills the fields.
        page.set_input_files("#card-photo", files=[{"name": "a-poster.png", "mimeType": "image/png",
                                                    "buffer": png_bytes_of(card_photo("https://hanoi.gov.vn"))}])
        _wait(lambda: page.inner_text("[data-scan-status]") or None, "the reader's answer", seconds=20)
        assert "không phải mã trên thẻ căn cước" in page.inner_text("[data-scan-status]")
        assert page.input_value("#cccd") == ""
        page.set_input_files("#card-photo", files=[{"name": "the-card.png", "mimeType": "image/png",
                                                    "buffer": png_bytes_of(card_photo(card_text(**card)))}])
    _wait(lambda: page.input_value("#cccd") or None, "the card's number", seconds=20)
    assert "Đã điền từ thẻ" in page.inner_text("[data-scan-status]")
    assert page.input_value("#full_name") == card["full_name"]
    born: date = card["born"]
    assert [page.input_value(f"#date_of_birth-{p}") for p in ("day", "month", "year")] == [
        str(born.day), str(born.month), str(born.year)]
    assert page.is_checked("#sex-female")
    if by_camera:
        assert page.locator("[data-scan-view]").is_hidden(), "the camera stops once the card is read"
    visit.check("register-filled-from-card")
    page.select_option("#ward_code", "00004")
    page.check("#target_group-resident")
    page.fill("#password", PASSWORD)
    page.fill("#email", f"thuha.{card['cccd'][-4:]}@example.vn")
    page.check("#consent")
    visit.submit("registered-sign-in")  # the same answer whether or not the number was registered (ADR 43)
    assert page.url.endswith("/login") and "Đã nhận đăng ký" in visit.text(), page.url
    visit.sign_in(card["cccd"])
    visit.check("citizen-home-new")
    assert page.url.endswith("/citizen/"), page.url

    # Open the year and log an activity with evidence; then change it and replace the evidence.
    visit.submit("citizen-home-opened", button="main form[action$='/citizen/applications'] button")
    page.click("main a[href$='/activities']")
    visit.check("citizen-activities-empty")
    page.click("main a[href$='/activities/new']")
    visit.check("citizen-activity-new")
    page.fill("#title", "Lớp tiếng Anh giao tiếp")
    page.check("#kind-course")
    page.fill("#hours", "24")
    page.fill("#started_on-month", "3")
    page.fill("#started_on-year", str(today().year))
    page.set_input_files("#evidence", files=[{"name": "giay-xac-nhan.png", "mimeType": "image/png",
                                              "buffer": png_bytes_of(card_photo("giấy xác nhận"))}])
    visit.submit("citizen-activities")
    assert "Lớp tiếng Anh giao tiếp" in visit.text() and "giay-xac-nhan.png" in visit.text()
    page.click("main a[href$='/edit']")
    visit.check("citizen-activity-edit")
    page.fill("#hours", "30")
    page.set_input_files("#evidence", files=[{"name": "chung-chi.png", "mimeType": "image/png",
                                              "buffer": png_bytes_of(card_photo("chứng chỉ"))}])
    visit.submit("citizen-activities-changed")
    listing = visit.text()
    assert "30" in listing and "chung-chi.png" in listing and "giay-xac-nhan.png" not in listing

    # The self-assessment, one criterion a page, the running total following what is typed.
    app_path = re.search(r"/citizen/applications/[\w-]+", page.url).group(0)
    visit.go(f"{app_path}/self-assessment", "citizen-self-assessment-1")
    step = 1
    while "/self-assessment" in page.url:
        for score in page.locator("input[data-score]").all():
            score.fill("9")
        assert page.inner_text("[data-live-sum]").strip() != ""
        step += 1
        visit.submit(f"citizen-self-assessment-{step}" if step < 4 else None)
    visit.go(f"{app_path}/check", "citizen-check")
    assert "90/100" in visit.text()
    visit.submit("citizen-receipt")
    reference = page.inner_text(".reference").strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", reference), reference
    return reference


def _reviewer_opens(visit: Visit, size: str, reference: str) -> None:
    visit.sign_in(f"reviewer-{size}")
    visit.check("reviewer-queue")
    visit.page.fill("#find-number", reference)
    visit.submit(None, button="main form.find-form button[type=submit]")
    visit.check("reviewer-application")
    assert "Trịnh Thị Thu Hà" in visit.text()


def _reviewer_returns(visit: Visit, size: str, reference: str) -> None:
    _reviewer_opens(visit, size, reference)
    visit.page.check("#action-return")
    visit.page.fill("#comment", "Xin bổ sung giấy xác nhận có dấu của trung tâm.")
    visit.submit("reviewer-returned")
    assert "Đã lưu:" in visit.text()


def _citizen_fixes_and_resubmits(visit: Visit, cccd: str) -> None:
    page = visit.page
    visit.sign_in(cccd)
    visit.check("citizen-home-returned")
    assert "Xin bổ sung giấy xác nhận có dấu của trung tâm." in visit.text()
    page.click("main a[href$='/activities']")
    visit.check("citizen-activities-returned")
    page.click("main a[href$='/edit']")
    page.set_input_files("#evidence", files=[{"name": "giay-xac-nhan-co-dau.png", "mimeType": "image/png",
                                              "buffer": png_bytes_of(card_photo("có dấu"))}])
    visit.submit()
    assert "giay-xac-nhan-co-dau.png" in visit.text()
    app_path = re.search(r"/citizen/applications/[\w-]+", page.url).group(0)
    visit.go(f"{app_path}/check", "citizen-check-again")
    visit.submit("citizen-receipt-again")
    assert page.url.endswith("/submitted")


def _reviewer_proposes(visit: Visit, size: str, reference: str) -> None:
    _reviewer_opens(visit, size, reference)
    # The running total beside the two columns: the citizen's 9s, then the reviewer's 5 in place of one of them.
    page = visit.page
    assert page.inner_text("#review-total [data-live-sum]") == "90"
    first = page.locator("input[data-score]").first
    first.fill("5")
    assert page.inner_text("#review-total [data-live-sum]") == "86"
    first.fill("")
    assert page.inner_text("#review-total [data-live-sum]") == "90"
    visit.page.check("#confirm_self_scores")
    visit.page.check("#action-approve")
    visit.submit("reviewer-proposed")
    assert "Đã lưu:" in visit.text()


def _chair_decides(visit: Visit, size: str) -> None:
    page = visit.page
    visit.sign_in(f"chair-{size}")
    visit.go(f"/chair/?year={today().year}", "chair-home")
    assert page.is_checked("main input[name=application_ids]")
    page.fill("#number", f"{ {'phone': 31, 'desktop': 32}[size] }/QĐ-UBND")
    day = today()
    page.fill("#signed_on-day", str(day.day))
    page.fill("#signed_on-month", str(day.month))
    page.fill("#signed_on-year", str(day.year))
    page.fill("#signer_name", "Nguyễn Văn Thắng")
    visit.submit("chair-check", button="main form:has(#number) button[type=submit]")
    visit.submit()
    assert "/chair/decisions/" in page.url
    # The page follows the worker by itself: no reload from here, the bar fills and the page says so.
    page.wait_for_selector("text=Đã cấp xong tất cả Giấy công nhận", timeout=WAIT_MS)
    bar = page.locator("#issue-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "1"
    visit.check("chair-decision-issued")
    visit.go(f"/chair/decisions?year={day.year}", "chair-decisions")


def _citizen_downloads_and_verifies(visit: Visit, cccd: str) -> None:
    page = visit.page
    visit.sign_in(cccd)
    visit.check("citizen-home-recognised")
    with page.expect_download() as got:
        page.click("main a[href$='.pdf']")
    pdf = Path(got.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and got.value.suggested_filename.endswith(".pdf")
    links = [t for t in read_qr_codes(pdf) if t.startswith(visit.base)]
    assert links, "the certificate's QR code leads to this deployment"
    visit.page.goto(links[0])
    visit.check("verify-certificate")
    assert "Hợp lệ" in visit.text() and "Trịnh Thị Thu Hà" in visit.text()


def _password_reset(visit: Visit, deployment: Deployment) -> None:
    page = visit.page
    page.context.clear_cookies()
    address = f"thuha.{deployment.card['cccd'][-4:]}@example.vn"
    before = len(deployment.mail.to(address))
    visit.go("/password/forgot", "forgot-password")
    page.fill("#who", address)
    visit.submit("password-sent")
    # The reset e-mail, not a notification of the year's steps that a worker may still be sending.
    message = _wait(lambda: next((m for m in deployment.mail.to(address)[before:] if "mật khẩu" in m["Subject"]),
                                 None), "the reset e-mail")
    link = MailCatcher.link(message)
    assert link.startswith(visit.base)
    page.goto(link)
    visit.check("password-reset")
    page.fill("#password", "sen-hong-ho-tay-2026")
    page.fill("#password_again", "sen-hong-ho-tay-2026")
    visit.submit()
    visit.sign_in(deployment.card["cccd"], "sen-hong-ho-tay-2026")
    assert page.url.endswith("/citizen/")


def _admin_dashboard_and_export(visit: Visit, size: str) -> None:
    page = visit.page
    visit.sign_in(f"admin-{size}")
    visit.go(f"/admin/?year={today().year}", "admin-dashboard")
    assert page.locator("main svg").count() >= 1
    with page.expect_download() as got:
        page.click("main a[href*='export.csv']")
    assert got.value.suggested_filename.endswith(".csv")
    lines = Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) > 126 and any("Ba Đình" in line for line in lines)  # every ward, and the city


def _wait(probe: Callable[[], Any], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"{what} did not come"
        time.sleep(0.2)
    return found
