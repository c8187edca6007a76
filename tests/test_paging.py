"""Deep pages: a reader can page far enough, and a crawler cannot make a page cost seconds."""

import re

import pytest

from cases.api import Pagination
from cases.views import CaseListView
from tests.conftest import make_case, make_person

pytestmark = pytest.mark.django_db


def seven_cases_in_short_pages(monkeypatch, name):
    """Two cases a page and two pages at most, so seven cases reach past the limit; `name` makes each name from a letter."""
    monkeypatch.setattr(CaseListView, "paginate_by", 2)
    monkeypatch.setattr("cases.views.MAX_PAGES", 2)
    for letter in "ABCDEFG":
        make_case(person=make_person(name=name(letter)))


@pytest.fixture
def seven_cases(monkeypatch):
    seven_cases_in_short_pages(monkeypatch, lambda letter: f"{letter} Person")


def test_pages_up_to_the_limit_list_cases(client, seven_cases):
    page = client.get("/cases/?page=2").content.decode()
    assert "C Person" in page and "D Person" in page
    assert "Page 2 of 4" in page


def test_a_page_past_the_limit_says_how_to_narrow_the_list(client, seven_cases):
    response = client.get("/cases/?page=3")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The list goes 2 pages deep" in page
    assert "narrow it with the filters" in page
    assert "E Person" not in page
    assert "7 cases" in page
    assert 'href="?page=2"' in page


def test_a_page_number_far_past_the_end_or_mistyped_is_not_an_error(client, seven_cases):
    assert "The list goes 2 pages deep" in client.get("/cases/?page=3000").content.decode()
    assert "A Person" in client.get("/cases/?page=abc").content.decode()
    assert "A Person" in client.get("/cases/?page=-4").content.decode()


def test_the_api_refuses_pages_past_its_limit_with_a_clear_message(client, monkeypatch):
    monkeypatch.setattr(Pagination, "max_rows", 4)
    for name in "ABCDEF":
        make_case(person=make_person(name=f"{name} Person"))
    assert [row["person"]["name"] for row in client.get("/api/cases/?page=2&page_size=2").json()["results"]] == [
        "C Person", "D Person",
    ]
    response = client.get("/api/cases/?page=3&page_size=2")
    assert response.status_code == 404
    assert "updated_after" in response.json()["detail"]
    assert client.get("/api/cases/?page=last&page_size=2").status_code == 404


@pytest.fixture
def seven_shams(monkeypatch):
    # A search finding all seven counts to five and says "more than 4".
    seven_cases_in_short_pages(monkeypatch, lambda letter: f"Shamsiddin {letter}ov")
    monkeypatch.setattr("cases.views.SEARCH_COUNT_LIMIT", 4)
    make_case(person=make_person(name="Karim Nazarov"))


def test_a_search_finding_more_than_a_reader_can_page_to_says_more_than(client, seven_shams):
    page = client.get("/cases/?q=sham").content.decode()
    assert "More than 4 cases" in page and "7 cases" not in page
    assert "Page 1 of more than 2" in page
    assert "Shamsiddin Aov" in page and "Shamsiddin Bov" in page
    # The last page a reader can reach still lists its cases; past it, the list says how to narrow it.
    page = client.get("/cases/?q=sham&page=2").content.decode()
    assert "Shamsiddin Cov" in page and "Shamsiddin Dov" in page
    assert "The list goes 2 pages deep" in client.get("/cases/?q=sham&page=3").content.decode()


def test_a_search_within_the_limit_is_counted_exactly(client, seven_shams, monkeypatch):
    page = client.get("/cases/?q=shamsiddin+aov").content.decode()
    assert "1 case" in page and "More than" not in page
    monkeypatch.setattr("cases.views.SEARCH_COUNT_LIMIT", 7)
    page = client.get("/people/?q=sham").content.decode()
    assert "7 people" in page


def test_the_people_search_says_more_than_past_its_limit(client, monkeypatch):
    monkeypatch.setattr("cases.views.SEARCH_COUNT_LIMIT", 25)  # one page of 25 people
    for number in range(27):
        make_person(name=f"Shamsiddin Karimov{number:02d}")
    page = client.get("/people/?q=sham").content.decode()
    assert "More than 25 people" in page and "Page 1 of more than 1" in page
    assert "Shamsiddin Karimov00" in page and "Shamsiddin Karimov24" in page and "Shamsiddin Karimov25" not in page


def test_a_searchs_pages_list_every_match_once_best_first(client, monkeypatch):
    monkeypatch.setattr(CaseListView, "paginate_by", 2)
    for name in ["Karim Zoda", "Karim Alimov", "Karimjon Boboev", "Karimov Said", "Karim Amin", "Karimzoda Ali", "Nazar Olim"]:
        make_case(person=make_person(name=name))
    shown = []
    for number in range(1, 4):
        page = client.get(f"/cases/?q=karim&page={number}").content.decode()
        shown += [name for name in re.findall(r">(Karim[^<]*)</a>", page)]
    # Whole-word matches ("Karim …") first, in name order, then word starts.
    assert shown == ["Karim Alimov", "Karim Amin", "Karim Zoda", "Karimjon Boboev", "Karimov Said", "Karimzoda Ali"]
