"""A reader's journey in a real browser: Playwright driving Debian's Chromium, headless."""

import os
import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"No Chromium at {CHROMIUM}: install Debian's chromium package.")
        pytest.skip(f"No Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def test_reader_finds_a_case_by_a_cyrillic_spelling_and_follows_a_citation(live_server, seeded, browser):
    page = browser.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Find a person by name, in any spelling or script").fill("Абдуллоҳи")
    page.get_by_role("button", name="Search").last.click()

    page.wait_for_url("**/cases/?q=*")
    assert page.get_by_role("heading", name="1 case").is_visible()
    page.get_by_role("link", name="Abdullokhi Shamsiddin").click()

    page.wait_for_url("**/cases/abdullokhi-shamsiddin/")
    now = page.locator("section.now")
    assert "Held incommunicado" in now.inner_text()
    assert "since between 18 January 2023 and 21 March 2023" in now.inner_text()
    timeline = page.locator("figure.timeline svg")
    assert timeline.is_visible()
    assert timeline.bounding_box()["width"] > 300
    assert page.locator("figure.timeline g.period").count() == 3

    transfer = page.locator("li.event", has_text="Transfer to another authority or place")
    source_title = transfer.locator(".cite a").first.inner_text()
    transfer.locator(".cite a").first.click()

    page.wait_for_url("**/sources/*/")
    assert page.get_by_role("heading", level=1).inner_text() == source_title
    assert "He was transferred to the hands of the Tajikistan KGB." in page.locator("ol.supported").inner_text()


def test_case_page_fits_a_phone_screen(live_server, seeded, browser):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    for path in ["/", "/cases/", "/cases/hizbullo-shovalizoda/"]:
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
