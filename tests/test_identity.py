"""The site says who keeps the record, how, and how to correct it; the list works on a phone and by keyboard."""

import pytest

from .conftest import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def identity(settings):
    settings.ORGANIZATION_NAME = "Tajik Rights Watch"
    settings.ORGANIZATION_CONTACT = "corrections@example.org"


@pytest.mark.parametrize("path", ["/", "/cases/", "/about/"])
def test_every_page_names_the_organization_and_links_the_about_page(client, identity, path):
    html = client.get(path).content.decode()
    assert "Kept by Tajik Rights Watch." in html
    assert '<a href="/about/">About and method</a>' in html
    assert '<a href="mailto:corrections@example.org">corrections@example.org</a>' in html


def test_about_page_says_who_what_how_and_where_to_write(client, identity):
    html = client.get("/about/").content.decode()
    for heading in ["Who keeps the record", "Who is included", "How facts are checked", "Confidence levels", "How to send a correction"]:
        assert heading in html
    assert "This record is kept by Tajik Rights Watch" in html
    assert "marked as possibly out of date" in html


def test_without_a_name_the_footer_still_links_the_method(client, settings):
    settings.ORGANIZATION_NAME = ""
    settings.ORGANIZATION_CONTACT = ""
    html = client.get("/").content.decode()
    assert "Kept by" not in html
    assert "About and method" in html


def test_case_list_offers_a_skip_link_to_the_results_and_folds_the_filters(client):
    make_case()
    html = client.get("/cases/").content.decode()
    assert html.index('href="#results"') < html.index('href="#main"')
    assert '<section class="results" id="results"' in html
    assert '<details class="filter-fold">' in html
    assert html.index("<summary>") < html.index('<form class="filters"') < html.index('id="results"')


def test_filters_with_a_mistake_are_shown_unfolded(client):
    html = client.get("/cases/?status=nonsense").content.decode()
    assert '<details class="filter-fold" open>' in html
