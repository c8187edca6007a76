"""A reader's journey in a real browser: Playwright driving Debian's Chromium, headless."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_finds_a_case_by_a_cyrillic_spelling_and_follows_a_citation(live_server, seeded, chromium):
    page = chromium.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Find a person by name, in any spelling or script").fill("Абдуллоҳи")
    page.get_by_role("button", name="Search").last.click()

    page.wait_for_url("**/cases/?q=*")
    assert page.get_by_role("heading", name="1 case").is_visible()
    page.get_by_role("link", name="Abdullokhi Shamsiddin").click()

    page.wait_for_url("**/cases/abdullokhi-shamsiddin/")
    now = page.locator("section.now")
    assert "Held incommunicado" in now.inner_text()
    assert "since between 18 January and 21 March 2023" in now.inner_text()
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


def test_case_page_fits_a_phone_screen(live_server, seeded, chromium):
    page = chromium.new_page(viewport={"width": 360, "height": 740})
    for path in ["/", "/cases/", "/cases/hizbullo-shovalizoda/"]:
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
