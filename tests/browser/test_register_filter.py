"""Choosing one's ward among 126 by typing part of its name (site.js), diacritics optional, on a phone; without a
script the list is whole."""

import pytest
from browsing import launch, playwright

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")


def test_typing_part_of_a_name_shortens_the_list(server: str) -> None:
    with playwright().sync_playwright() as p:
        browser = launch(p)
        page = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
        page.goto(f"{server}/citizen/register")
        assert page.locator("#ward_code option[value]:not([value=''])").count() == 126
        page.fill("#ward_code-filter", "ba dinh")
        names = page.locator("#ward_code option[value]:not([value=''])").all_text_contents()
        assert names and all("Ba Đình" in n for n in names)
        page.fill("#ward_code-filter", "hoan kiem")
        assert page.locator("#ward_code").input_value() == "00070"  # the one match is chosen
        page.fill("#ward_code-filter", "")
        assert page.locator("#ward_code option[value]:not([value=''])").count() == 126
        names = page.locator("#ward_code option[value]:not([value=''])").all_text_contents()
        plain = browser.new_context(java_script_enabled=False).new_page()
        plain.goto(f"{server}/citizen/register")
        assert plain.locator("#ward_code-filter").count() == 0
        assert plain.locator("#ward_code option[value]:not([value=''])").all_text_contents() == names  # same order
        browser.close()
