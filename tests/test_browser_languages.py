"""A Russian and a Tajik reader's journey in a real browser, each page checked with axe-core.

axe-core comes as a file inside the axe-playwright-python package and is
injected from it: the pages load nothing from anywhere else.
"""

import pytest

from .conftest import accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOURNEYS = {
    "ru": {
        "browser_locale": "ru-RU",
        "search_label": "Найти человека по имени — в любом написании и любой графике",
        "search_button": "Найти",
        "found": "1 дело",
        "name": "Абдуллохи Шамсиддин",
        "status": "Содержится в изоляции (инкоммуникадо)",
        "since": "с момента: между 18 января и 21 марта 2023 года",
        "other": ("tg", "Тоҷикӣ"),
    },
    "tg": {
        "browser_locale": "tg-TJ",
        "search_label": "Шахсро аз рӯи ном ёбед — бо ҳар навишт ва ҳар хат",
        "search_button": "Ҷустуҷӯ",
        "found": "1 парванда",
        "name": "Абдуллоҳи Шамсиддин",
        "status": "Дар ҳабси бе иртибот (инкоммуникадо)",
        "since": "аз вақти: байни 18 январ ва 21 марти 2023",
        "other": ("ru", "Русский"),
    },
}


@pytest.mark.parametrize("language", JOURNEYS)
def test_a_reader_follows_a_case_in_their_language(live_server, seeded, chromium, language):
    words = JOURNEYS[language]
    context = chromium.new_context(locale=words["browser_locale"])
    page = context.new_page()

    # The browser's language decides the first visit.
    page.goto(live_server.url + "/")
    assert page.url == f"{live_server.url}/{language}/"
    assert page.locator("html").get_attribute("lang") == language
    assert accessibility_problems(page) == []

    page.get_by_label(words["search_label"]).fill("Abdullohi")
    page.get_by_role("button", name=words["search_button"]).last.click()
    page.wait_for_url(f"**/{language}/cases/?q=*")
    assert page.get_by_role("heading", name=words["found"]).is_visible()
    assert accessibility_problems(page) == []

    page.get_by_role("link", name=words["name"]).click()
    page.wait_for_url(f"**/{language}/cases/abdullokhi-shamsiddin/")
    assert page.get_by_role("heading", level=1).get_attribute("lang") == language
    now = page.locator("section.now").inner_text()
    assert words["status"] in now and words["since"] in now
    assert accessibility_problems(page) == []

    # The switch leads to the same page in the other language, and is remembered.
    other, other_name = words["other"]
    page.get_by_role("navigation", name={"ru": "Язык", "tg": "Забон"}[language]).get_by_role("link", name=other_name).click()
    page.wait_for_url(f"**/{other}/cases/abdullokhi-shamsiddin/")
    assert page.locator("html").get_attribute("lang") == other
    page.goto(live_server.url + "/")
    assert page.url == f"{live_server.url}/{other}/"
    context.close()
