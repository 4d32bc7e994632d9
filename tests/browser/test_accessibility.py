"""Every actor's pages in a real browser (Debian's Chromium, driven by Playwright) at a phone's width and a desktop's,
JavaScript on, on the living demo ward: axe-core checks each page and finds no violation of serious or critical
impact. With CDHT_SCREENSHOTS=<folder> each page is also photographed there (docs/screenshots holds a set).

axe-core comes from the npm registry into .cache/ (`make test` fetches it); under CI=true it is required."""

import os
from pathlib import Path

import pytest
from browsing import axe_blocking, axe_source, launch, playwright, sign_in
from factories import PASSWORD, make_staff
from sqlmodel import Session, select

from workflows import privacy
from workflows.demo_ward import PEOPLE
from workflows.models import Activity, Application, Citizen, Decision, PrivacyRequest, User
from workflows.registration import actor_for

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")

SHOTS = os.environ.get("CDHT_SCREENSHOTS")
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def _pages(session: Session) -> list[tuple[str, str | None, str]]:
    """(name, who signs in (None: nobody), path) of the pages the journeys pass through."""
    def app_of(cccd: str) -> Application:
        return session.exec(select(Application).join(Citizen, Citizen.id == Application.citizen_id)
                            .where(Citizen.cccd == cccd)).one()

    returned, submitted = app_of(PEOPLE[8].cccd), app_of(PEOPLE[4].cccd)
    decision = session.exec(select(Decision)).one()
    logged = session.exec(select(Activity.id).where(Activity.application_id == returned.id)).first()
    asked = session.exec(select(PrivacyRequest)).one()  # a deletion PEOPLE[8] asked for (ADR 41)
    return [
        ("start", None, "/"), ("login", None, "/login"), ("register", None, "/citizen/register"),
        ("forgot-password", None, "/password/forgot"), ("help", None, "/help"), ("privacy", None, "/privacy"),
        ("accessibility", None, "/accessibility"), ("contact", None, "/contact"), ("verify", None, "/verify"),
        ("citizen-home-returned", PEOPLE[8].cccd, "/citizen/"),
        ("citizen-activities", PEOPLE[8].cccd, f"/citizen/applications/{returned.id}/activities"),
        ("citizen-activity-edit", PEOPLE[8].cccd, f"/citizen/applications/{returned.id}/activities/{logged}/edit"),
        ("citizen-activity-delete", PEOPLE[8].cccd,
         f"/citizen/applications/{returned.id}/activities/{logged}/delete"),
        ("citizen-self-assessment", PEOPLE[8].cccd, f"/citizen/applications/{returned.id}/self-assessment"),
        ("citizen-my-data", PEOPLE[8].cccd, "/citizen/account"),
        ("citizen-receipt", PEOPLE[4].cccd, f"/citizen/applications/{submitted.id}/submitted"),
        ("reviewer-queue", "reviewer00004", "/reviewer/?state=submitted"),
        ("reviewer-application", "reviewer00004", f"/reviewer/applications/{submitted.id}"),
        ("reviewer-desk-code", "reviewer00004", "/reviewer/citizens/code"),
        ("reviewer-desk-new", "reviewer00004", "/reviewer/citizens/new"),
        ("reviewer-privacy", "reviewer00004", "/reviewer/privacy"),
        ("reviewer-privacy-request", "reviewer00004", f"/reviewer/privacy/{asked.id}"),
        ("chair-home", "chair00004", "/chair/"),
        ("chair-decisions", "chair00004", f"/chair/decisions?year={decision.year}"),
        ("chair-decision", "chair00004", f"/chair/decisions/{decision.id}"),
        ("admin-dashboard", "admin-a11y", "/admin/"),
        ("admin-privacy", "admin-a11y", "/admin/privacy"),
    ]


def test_every_page_of_the_journeys_passes_axe_at_both_widths(app, server: str, session: Session, sent) -> None:
    source = axe_source()
    sync_api = playwright()
    assert app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    make_staff(session, "city_admin", ward=None, username="admin-a11y")
    asking = session.exec(select(User).where(User.username == PEOPLE[8].cccd)).one()
    privacy.file_request(session, actor_for(session, asking), {"kind": "deletion", "text": "Xin xóa dữ liệu"})
    session.commit()
    pages = _pages(session)
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        for size, viewport in SIZES.items():
            # bypass_csp lets the test inject axe-core; the pages themselves keep their policy.
            context = browser.new_context(viewport=viewport, locale="vi-VN", bypass_csp=True)
            page = context.new_page()
            who: str | None = "nobody"
            for name, user, path in pages:
                if user != who:
                    page.context.clear_cookies()
                    if user is not None:
                        sign_in(page, server, user)
                        assert "/login" not in page.url, f"{user} could not sign in"
                    who = user
                response = page.goto(f"{server}{path}")
                assert response is not None and response.status < 400, f"{name}: {response and response.status}"
                problems += [f"{size} {name}: {found}" for found in axe_blocking(page, source)]
                if SHOTS:
                    Path(SHOTS).mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(Path(SHOTS) / f"{name}-{size}.png"), full_page=True)
            context.close()
        # The checker itself finds what it must: an image without a text alternative is a critical violation.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.set_content('<html lang="vi"><head><title>x</title></head>'
                         '<body><main><img src="x.png"></main></body></html>')
        page.evaluate(source)
        assert "image-alt" in page.evaluate("async () => (await axe.run()).violations.map(v => v.id)")
        context.close()
        browser.close()
    assert not problems, "axe-core found:\n" + "\n".join(problems)
