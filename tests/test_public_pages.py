"""What readers see on the public pages, from the seed data and from data built here."""

import datetime
import re

import pytest

from cases.models import Case, Citation, EventKind, SentenceKind, Source, Status, Visibility
from tests.conftest import make_affiliation, make_case, make_citation, make_event, make_organization, make_person, make_relationship, make_source

pytestmark = pytest.mark.django_db


def text_of(response):
    """The page's visible words, tags removed and spaces squeezed."""
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_home_counts_public_cases_by_status_and_lists_recent_ones(client, seeded):
    make_case(person=make_person(name="Hidden Person"), visibility=Visibility.INTERNAL)
    response = client.get("/")
    page = text_of(response)
    counts = {value: count for value, _label, count in response.context["status_counts"]}
    assert counts[Status.SENTENCED] == 1 and counts[Status.INCOMMUNICADO] == 1 and counts[Status.UNKNOWN] == 0
    assert "follows 2 cases" in page
    assert "Abdullokhi Shamsiddin" in page and "Hizbullo Shovalizoda" in page
    assert "Hidden Person" not in page
    assert 'action="/cases/"' in response.content.decode()


def test_home_shows_the_cited_claims_that_name_no_one(client, seeded):
    page = text_of(client.get("/"))
    assert "political prisoners" in page


def test_seeded_incommunicado_case_says_since_when_in_words_that_keep_the_uncertainty(client, seeded):
    page = text_of(client.get("/cases/abdullokhi-shamsiddin/"))
    assert "Held incommunicado since between 18 January and 21 March 2023" in page
    assert "Also written: Abdullohi Shamsiddin" in page
    assert "Without contact" not in page  # the statement may be as old as the isolation it reports
    # Every event with its date as the source gives it, and its excerpt.
    assert "18 January 2023 · Deportation" in page
    assert "Between 18 January and 21 March 2023 · Transfer to another authority or place" in page
    assert "He was transferred to the hands of the Tajikistan KGB." in page


def test_seeded_sentence_case_shows_the_term_and_its_expected_end(client, seeded):
    page = text_of(client.get("/cases/hizbullo-shovalizoda/"))
    assert "Sentenced since between 5 March 2020 and 21 March 2023" in page
    assert "20 years; the term would end between 5 March 2040 and 21 March 2043" in page
    # No source says he was held on arrival: the deportation starts no custody.
    assert "Held" not in page.split("Where the person is now")[1].split("Status over time")[0].replace("Held incommunicado", "")
    assert "since the deportation" not in page
    assert "The latest source or check for this status is dated between 18 January and 21 March 2023. Nothing newer is known." in page


def test_case_page_citation_links_to_its_source_page_and_the_source_lists_the_fact(client, seeded):
    case_page = client.get("/cases/abdullokhi-shamsiddin/").content.decode()
    source = Source.objects.get(citations__event__kind=EventKind.TRANSFER)
    assert f'href="{source.get_absolute_url()}"' in case_page
    source_page = text_of(client.get(source.get_absolute_url()))
    assert "Abdullokhi Shamsiddin : transfer to another authority or place" in source_page
    assert "He was transferred to the hands of the Tajikistan KGB." in source_page
    public_citations = Citation.objects.public().filter(source=source).count()
    assert f"The {public_citations} facts this source supports" in source_page


def test_people_organizations_and_cases_link_both_ways(client, seeded):
    case_page = client.get("/cases/abdullokhi-shamsiddin/").content.decode()
    assert 'href="/people/abdullokhi-shamsiddin/"' in case_page
    assert 'href="/organizations/tajikistan-kgb/"' in case_page
    person_page = client.get("/people/abdullokhi-shamsiddin/").content.decode()
    assert 'href="/cases/abdullokhi-shamsiddin/"' in person_page
    organization_page = text_of(client.get("/organizations/tajikistan-kgb/"))
    assert "Abdullokhi Shamsiddin" in organization_page
    nat_page = client.get("/organizations/national-alliance-of-tajikistan/").content.decode()
    assert re.search(r'href="/sources/\d+/"', nat_page), "the sources an organization published are linked"


def test_relatives_are_shown_both_ways(client):
    father = make_person(name="Father Person")
    son = make_person(name="Son Person")
    make_relationship(son, father, kind="parent")
    make_case(person=son, slug="son")
    assert "Parent: Father Person" in text_of(client.get("/cases/son/"))
    assert "Related: Son Person" in text_of(client.get(father.get_absolute_url()))


def test_a_case_page_shows_the_persons_public_ties_both_ways_and_other_cases(client):
    son, father, nephew = make_person(name="Son Person"), make_person(name="Father Person"), make_person(name="Nephew Person")
    make_relationship(son, father, kind="parent")
    make_relationship(nephew, son, kind="other", description="uncle")
    make_affiliation(son, make_organization(name="Group Ru"), role="member")
    make_case(person=son, slug="son", title="First case")
    make_case(person=son, slug="son-again", title="Second case")
    page = text_of(client.get("/cases/son/"))
    assert "Parent: Father Person" in page and "Related: Nephew Person (uncle)" in page
    assert "Member, Group Ru" in page
    assert "Another case: Second case" in page and "Another case: First case" not in page
    lonely = text_of(client.get(make_case(person=make_person(name="Alone Person"), slug="alone").get_absolute_url()))
    assert "Another case" not in lonely and "Related:" not in lonely


def test_stale_or_unverified_status_is_flagged(client):
    case = make_case(slug="stale", last_verified=datetime.date(2020, 1, 1))
    assert "it may be out of date" in text_of(client.get("/cases/stale/"))
    Case.objects.filter(pk=case.pk).update(last_verified=datetime.date.today())
    page = text_of(client.get("/cases/stale/"))
    assert "it may be out of date" not in page
    assert "Status last verified" in page


def test_held_duration_follows_from_the_custody_events():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2019-02-10", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="2020-01-01", sets_status=Status.RELEASED)
    make_event(case, kind=EventKind.ARREST, date="2021-05", sets_status=Status.DETAINED)
    make_event(
        case, kind=EventKind.SENTENCE, date="2022", sets_status=Status.SENTENCED,
        sentence_kind=SentenceKind.PRISON_TERM, sentence_years=7,
    )
    case.last_verified = datetime.date(2024, 6, 15)
    case.save()
    # Held since the arrest after the release, "some time in May 2021": only what is sure, up to the latest evidence.
    assert case.custody_event().date == "2021-05"
    assert case.held_for() == "at least 3 years"
    assert case.without_contact_for() == ""


def test_released_person_is_not_described_as_held():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2019-02-10", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="2020-01-01", sets_status=Status.RELEASED)
    case.refresh_from_db()
    assert case.custody_event() is None and case.held_for() == ""


def test_event_facts_are_shown_with_place_authority_and_citation(client):
    kgb = make_organization(name="State Security", slug="state-security")
    case = make_case(slug="facts")
    event = make_event(
        case, kind=EventKind.TRANSFER, date="2023-02~", place="Dushanbe", country="TJ", authority=kgb,
        description="Handed over.", sets_status=Status.DETAINED,
    )
    make_citation(event=event, excerpt="He was handed over.", locator="para. 3", source=make_source(title="A statement"))
    page = text_of(client.get("/cases/facts/"))
    assert "About February 2023 · Transfer to another authority or place" in page
    assert "Where Dushanbe, Tajikistan" in page
    assert "Authority State Security" in page
    assert "He was handed over. A statement , para. 3 · confidence: likely" in page


def test_public_pages_carry_no_inline_script_or_style_and_no_outside_assets(client, seeded):
    source = Source.objects.public().first()
    for url in ["/", "/cases/", "/cases/abdullokhi-shamsiddin/", "/people/abdullokhi-shamsiddin/",
                "/organizations/tajikistan-kgb/", source.get_absolute_url(), "/no-such-page/"]:
        html = client.get(url).content.decode()
        assert "<script" not in html, url
        assert "<style" not in html and " style=" not in html, url
        # Our own absolute addresses (the hreflang alternates) are not outside assets.
        own = html.replace(source.url, "").replace('href="http://testserver/', 'href="/')
        assert not re.search(r'(src|href)="(https?:)?//', own), url


def test_unknown_addresses_get_the_friendly_not_found_page(client):
    response = client.get("/cases/no-such-case/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page is not here" in page and 'href="/cases/"' in page


def test_server_error_page_is_self_contained(client, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert "<script" not in html


def test_case_page_prints_cleanly(client, seeded):
    html = client.get("/cases/abdullokhi-shamsiddin/").content.decode()
    assert re.search(r'<link rel="stylesheet" href="[^"]*print\.css" media="print">', html)
