"""Browser tests drive Debian's chromium through Playwright; no browser is ever downloaded.

Screenshots go to var/test-output/browser/ so a person can look at what the test saw.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "var" / "test-output" / "browser"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=live_server.url)
    page = context.new_page()
    foreign_requests = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(live_server.url) else foreign_requests.append(request.url),
    )
    errors, blocked = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(  # what the Content-Security-Policy refused: an inline script, style or handler crept back
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert not foreign_requests, f"the page asked another host: {foreign_requests}"
    assert not errors, f"JavaScript errors: {errors}"
    assert not blocked, f"refused by the Content-Security-Policy: {blocked}"


@pytest.fixture
def screenshot(request):
    OUTPUT.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = OUTPUT / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


from tests.run_fixtures import accounts, funded, qcluster, simulator, studio_for_vendors  # noqa: E402, F401
