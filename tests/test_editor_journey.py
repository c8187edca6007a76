"""The editor's day in a real browser: one case from a three-line news item, counted in page loads and saves."""

import pytest
from django.contrib.auth import get_user_model

from cases.models import Case, Citation, EventKind, Source

from .conftest import accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEWS = (
    "On 12 May 2024, a Tajik activist, A. B., was detained in Istanbul by Turkish police and handed over to "
    "Tajikistan two days later, according to a statement by a human-rights group published on 20 May 2024."
)
PASSWORD = "a long enough password for the test"


@pytest.fixture
def editor_page(live_server, chromium, settings):
    settings.REQUIRE_2FA = False
    get_user_model().objects.create_superuser(username="editor", email="", password=PASSWORD)
    page = chromium.new_page()
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    return page


def test_a_case_from_a_news_item_in_eight_page_loads_and_three_saves(live_server, editor_page):
    page = editor_page
    loads, saves, problems = [], [], []
    page.on("framenavigated", lambda frame: frame == page.main_frame and loads.append(frame.url))
    page.on(
        "request",
        lambda request: request.is_navigation_request()
        and request.method == "POST"
        and "step=propose" not in (request.post_data or "")
        and saves.append(request.url),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    inaccessible = {}

    def check(name):
        found = accessibility_problems(page)
        if found:
            inaccessible[name] = found

    page.goto(live_server.url + "/admin/")
    page.locator('a.addlink[href$="/cases/source/add/"]').click()
    page.wait_for_url("**/source/add/")
    check("add source")
    page.get_by_label("Kind").select_option("statement")
    page.get_by_label("Title").fill("Statement on the handover of A. B.")
    page.get_by_label("Publication date").fill("20 May 2024")
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/source/add/")
    # Refused, with the date the tracker would store and one click to accept it.
    assert "Did you mean 2024-05-20, 20 May 2024?" in page.content()
    check("add source, refused date")
    page.get_by_role("button", name="Use 2024-05-20").click()
    assert page.get_by_label("Publication date").input_value() == "2024-05-20"
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/source/*/change/")

    page.get_by_role("link", name="Start from this source").click()
    page.wait_for_url("**/draft/")
    check("draft, empty")
    page.get_by_label("The source's text").fill(NEWS)
    page.get_by_role("button", name="Propose a draft").click()
    page.wait_for_selector("text=New name:")
    check("draft, proposals")
    for box in page.get_by_label("Save this").all():
        box.check()
    page.get_by_role("button", name="Save the ticked proposals").click()
    page.wait_for_url("**/source/*/change/")
    assert "All are internal until published." in page.content()

    page.get_by_role("link", name="A. B.: Detention").click()
    page.wait_for_url("**/case/*/change/")
    check("case change")

    case = Case.objects.get(person__name="A. B.")
    assert sorted(case.events.values_list("kind", "date")) == [
        (EventKind.DETENTION, "2024-05-12"),
        (EventKind.EXTRADITION, "2024-05-14"),
    ]
    assert Citation.objects.filter(event__case=case, source=Source.objects.get(), excerpt=NEWS).count() == 2
    assert problems == []
    assert len(loads) <= 8, loads
    assert len(saves) <= 3, saves
    assert inaccessible == {}
