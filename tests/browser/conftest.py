"""What the browser tests share: the app served over HTTP in a thread, and a page of Debian's Chromium (driven by
Playwright) the size of a phone, JavaScript off (the pages must work without it). Under CI=true a missing browser or
Playwright fails the run instead of skipping it."""

import threading
from collections.abc import Iterator

import pytest
from browsing import launch, playwright
from flask import Flask
from werkzeug.serving import make_server

PHONE = {"width": 360, "height": 740}


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
    """A browser page the size of a phone (its `viewport_size` says which), JavaScript off."""
    with playwright().sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="vi-VN")
        yield context.new_page()
        browser.close()
