"""/cases/ on a phone and by keyboard, in a real browser: results first, filters one tap away."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_first_result_is_on_the_first_screen(live_server, seeded, chromium):
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/cases/")
    first = page.locator(".case-row").first.bounding_box()
    assert first["y"] + first["height"] < 844, first
    # The filters are folded, and open with a tap, without any script.
    assert not page.locator("form.filters button[type=submit]").is_visible()
    page.get_by_text("Filter the list").click()
    assert page.locator("form.filters button[type=submit]").is_visible()


def test_by_keyboard_the_first_result_is_a_few_presses_away(live_server, seeded, chromium):
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/cases/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    presses = 0
    first_result = page.locator(".case-row a.case-name").first.get_attribute("href")
    while presses < 10:
        page.keyboard.press("Tab")
        presses += 1
        if page.evaluate("document.activeElement.getAttribute('href')") == first_result:
            break
    assert presses <= 3, presses  # the two download links, then the first case


def test_on_a_wide_screen_the_filters_stand_beside_the_results(live_server, seeded, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/cases/")
    form = page.locator("form.filters").bounding_box()
    results = page.locator("#results").bounding_box()
    assert form is not None and form["x"] < results["x"]
    assert page.locator("form.filters button[type=submit]").is_visible()
