"""The self-assessment's running total and the pass rule follow what is typed (site.js), one criterion a page; the
page states the saved figures without a script."""

import pytest
from browsing import follow, launch, playwright, sign_in
from factories import PASSWORD
from sqlmodel import Session, select

from workflows.demo_ward import PEOPLE
from workflows.models import Application, Citizen

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")


def test_the_total_follows_the_typing(app, server: str, session: Session, sent) -> None:
    sync_api = playwright()
    assert app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0
    draft = PEOPLE[10]  # half-way through: the first four indicators scored
    app_id = session.exec(select(Application.id).join(Citizen, Citizen.id == Application.citizen_id)
                          .where(Citizen.cccd == draft.cccd)).one()
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
        sign_in(page, server, draft.cccd)
        page.goto(f"{server}/citizen/applications/{app_id}/self-assessment?step=3")
        inputs = page.locator("input[data-score]")
        assert "còn chỉ số chưa tự chấm điểm" in page.inner_text("[data-live-verdict]")
        before = int(page.inner_text("[data-live-sum]"))
        for n in range(inputs.count()):
            inputs.nth(n).fill("9")
        typed = int(page.inner_text("[data-live-sum]"))
        assert typed == before + 9 * inputs.count()
        inputs.nth(0).fill("2")  # below the minimum of an indicator
        assert int(page.inner_text("[data-live-sum]")) == typed - 7
        follow(page, "main button[type=submit]")  # the page's own form, not the header's sign-out
        assert page.url.endswith("/citizen/")  # the last criterion saves and leads home
        browser.close()
