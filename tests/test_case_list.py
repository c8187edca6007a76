"""The public case list: each filter through a real query string, alone and combined."""

import re

import pytest

from cases.models import EventKind, SentenceKind, Status, Visibility
from tests.conftest import make_affiliation, make_case, make_event, make_organization, make_person

pytestmark = pytest.mark.django_db


def names_listed(response):
    assert response.status_code == 200
    return re.findall(r'class="case-name" href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def cases():
    """Three cases that differ in every filtered respect."""
    kgb = make_organization(name="State Committee for National Security", abbreviation="KGB", slug="kgb")
    party = make_organization(name="Opposition Party", slug="party")
    alpha = make_case(person=make_person(name="Alpha Aliev"))
    make_event(alpha, kind=EventKind.DEPORTATION, date="2020-03-05", country="TJ", sending_country="AT", sets_status=Status.DEPORTED)
    make_event(
        alpha,
        kind=EventKind.SENTENCE,
        date="2021-06",
        country="TJ",
        authority=kgb,
        sets_status=Status.SENTENCED,
        sentence_kind=SentenceKind.PRISON_TERM,
        sentence_years=20,
    )
    beta = make_case(person=make_person(name="Beta Boboev"))
    make_event(beta, kind=EventKind.ARREST, date="2023-01-18/2023-03-21", country="RU", sets_status=Status.DETAINED)
    make_affiliation(beta.person, party, role="member")
    gamma = make_case(person=make_person(name="Gamma Gadoev"))
    make_event(gamma, kind=EventKind.RELEASE, date="2024", country="TR", sets_status=Status.RELEASED)
    return alpha, beta, gamma


def test_unfiltered_list_shows_every_public_case_by_name(client, cases):
    make_case(person=make_person(name="Delta Hidden"), visibility=Visibility.INTERNAL)
    response = client.get("/cases/")
    assert names_listed(response) == ["Alpha Aliev", "Beta Boboev", "Gamma Gadoev"]
    assert "3 cases" in response.content.decode()


def test_status_filter_takes_several_statuses(client, cases):
    assert names_listed(client.get("/cases/?status=detained")) == ["Beta Boboev"]
    assert names_listed(client.get("/cases/?status=detained&status=released")) == ["Beta Boboev", "Gamma Gadoev"]


def test_country_filter_matches_where_events_happened_and_the_sending_country(client, cases):
    assert names_listed(client.get("/cases/?country=RU")) == ["Beta Boboev"]
    assert names_listed(client.get("/cases/?country=AT")) == ["Alpha Aliev"]


def test_country_choices_are_the_countries_of_public_events(client, cases):
    alpha = cases[0]
    make_event(alpha, kind=EventKind.ARREST, date="2019", country="KZ", visibility=Visibility.INTERNAL)
    page = client.get("/cases/").content.decode()
    assert ">Austria<" in page and ">Russia<" in page
    assert "Kazakhstan" not in page
    # An internal event does not count either when its country is asked for directly.
    assert client.get("/cases/?country=KZ").context["filter"].errors


def test_event_filter(client, cases):
    assert names_listed(client.get("/cases/?event=release")) == ["Gamma Gadoev"]
    assert names_listed(client.get("/cases/?event=deportation")) == ["Alpha Aliev"]


def test_internal_event_does_not_match_a_filter(client, cases):
    make_event(cases[2], kind=EventKind.DEPORTATION, date="2022", visibility=Visibility.INTERNAL)
    assert names_listed(client.get("/cases/?event=deportation")) == ["Alpha Aliev"]


def test_date_range_includes_events_whose_uncertain_dates_overlap_it(client, cases):
    # Beta's arrest is "some time between 18 January and 21 March 2023".
    assert names_listed(client.get("/cases/?happened_after=2023-03-01&happened_before=2023-03-31")) == ["Beta Boboev"]
    assert names_listed(client.get("/cases/?happened_after=2023-04-01&happened_before=2023-12-31")) == []
    assert names_listed(client.get("/cases/?happened_before=2020-12-31")) == ["Alpha Aliev"]
    assert names_listed(client.get("/cases/?happened_after=2024-01-01")) == ["Gamma Gadoev"]


def test_organization_filter_matches_authorities_and_affiliations(client, cases):
    assert names_listed(client.get("/cases/?organization=kgb")) == ["Alpha Aliev"]
    assert names_listed(client.get("/cases/?organization=party")) == ["Beta Boboev"]


def test_sentence_filter(client, cases):
    assert names_listed(client.get("/cases/?sentence=prison_term")) == ["Alpha Aliev"]
    assert names_listed(client.get("/cases/?sentence=life")) == []


def test_filters_combine(client, cases):
    assert names_listed(client.get("/cases/?country=TJ&status=sentenced&sentence=prison_term")) == ["Alpha Aliev"]
    assert names_listed(client.get("/cases/?country=TJ&status=detained")) == []
    assert names_listed(client.get("/cases/?q=boboev&status=detained&happened_after=2023-01-01")) == ["Beta Boboev"]


def test_sorting_by_status_date_and_last_update(client, cases):
    alpha, beta, gamma = cases
    assert names_listed(client.get("/cases/?sort=-status_date")) == ["Gamma Gadoev", "Beta Boboev", "Alpha Aliev"]
    alpha.title = "Sentence upheld"  # a change readers see moves the case up; an internal note would not
    alpha.save()
    assert names_listed(client.get("/cases/?sort=-updated"))[0] == "Alpha Aliev"
    assert names_listed(client.get("/cases/?sort=-name")) == ["Gamma Gadoev", "Beta Boboev", "Alpha Aliev"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("status=bogus", "Select a valid choice"),
        ("country=XX", "Select a valid choice"),
        ("event=picnic", "Select a valid choice"),
        ("organization=no-such-group", "Select a valid choice"),
        ("happened_after=yesterday", "Enter a valid date"),
        ("happened_after=2024-01-01&happened_before=2020-01-01", "The first date is after the second"),
        ("sort=password", "Select a valid choice"),
    ],
)
def test_invalid_filter_value_shows_the_form_message_not_an_error(client, cases, query, message):
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert names_listed(response) == []


def test_empty_result_says_so_and_offers_a_way_back(client, cases):
    page = client.get("/cases/?q=nobody+by+this+name").content.decode()
    assert "0 cases" in page
    assert "No public case matches these filters." in page
    assert 'href="/cases/"' in page


def test_pagination_keeps_the_filters_in_the_links(client):
    for n in range(30):
        make_case(person=make_person(name=f"Person {n:02d}"))
    response = client.get("/cases/?status=unknown")
    page = response.content.decode()
    assert len(names_listed(response)) == 25
    assert "30 cases" in page
    assert 'href="?status=unknown&amp;page=2"' in page
    second = client.get("/cases/?status=unknown&page=2")
    assert names_listed(second) == ["Person 25", "Person 26", "Person 27", "Person 28", "Person 29"]
    # A page beyond the last, or not a number, shows a real page instead of failing.
    assert names_listed(client.get("/cases/?status=unknown&page=99")) == names_listed(second)
    assert len(names_listed(client.get("/cases/?page=first"))) == 25


def test_the_filtered_form_shows_the_chosen_values(client, cases):
    page = client.get("/cases/?status=detained&country=RU&happened_after=2023-01-01").content.decode()
    assert re.search(r'<input[^>]+value="detained"[^>]+checked', page)
    assert re.search(r'<option value="RU" selected>', page)
    assert 'value="2023-01-01"' in page


def test_the_organization_choice_keeps_the_readers_choice_and_escapes_names(client):
    make_organization(name='Court "No. 1" <Dushanbe> & Co', slug="court-1")
    make_organization(name="Second court", slug="court-2")
    page = client.get("/cases/?organization=court-2").content.decode()
    assert '<option value="court-1">Court &quot;No. 1&quot; &lt;Dushanbe&gt; &amp; Co</option>' in page
    assert '<option value="court-2" selected>Second court</option>' in page
    assert 'value="court-1" selected' not in page


@pytest.mark.parametrize("quick, django_widget", [("QuickSelect", "Select"), ("QuickCheckboxes", "CheckboxSelectMultiple")])
def test_the_python_written_widgets_give_djangos_markup(quick, django_widget):
    from django import forms
    from django.test.html import parse_html

    from cases import filters

    choices = [("", "Any"), ("a&b", "Tom & <Jerry>"), ("tj", "Таджикистан")]
    for value in ([], ["tj"], ["a&b", "tj"]):
        for attrs in ({"id": "id_field"}, {}):
            ours = getattr(filters, quick)(choices=choices).render("field", value if quick != "QuickSelect" else value[:1], attrs)
            theirs = getattr(forms, django_widget)(choices=choices).render("field", value if quick != "QuickSelect" else value[:1], attrs)
            assert parse_html(ours) == parse_html(theirs), (value, attrs)
