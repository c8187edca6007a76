"""A canary: internal records and notes carry a unique string that no public page may show."""

import pytest

from cases.models import ClaimQuantifier, EventKind, Status, Visibility
from tests.conftest import (
    make_affiliation,
    make_case,
    make_citation,
    make_event,
    make_organization,
    make_claim,
    make_person,
    make_relationship,
    make_source,
    make_variant,
    publisher,
)

pytestmark = pytest.mark.django_db

CANARY = "Canary-5b1e9"
INTERNAL = Visibility.INTERNAL


@pytest.fixture
def world():
    """Public records with internal ones and internal notes hung on every kind of link."""
    public_org = make_organization(name="Public Court", slug="public-court", internal_notes=CANARY)
    secret_org = make_organization(name=f"{CANARY} agency", slug="secret-agency", visibility=INTERNAL)
    person = make_person(
        name="Public Person", slug="public-person", internal_notes=CANARY, contact_details=f"{CANARY} +992 000"
    )
    make_variant(person, f"{CANARY} alias", visibility=INTERNAL)
    relative = make_person(name="Public Relative", slug="public-relative")
    hidden_relative = make_person(name=f"{CANARY} relative", slug="hidden-relative", visibility=INTERNAL)
    make_relationship(person, relative, kind="sibling", description=CANARY, visibility=INTERNAL)
    hidden_link = make_relationship(person, hidden_relative, kind="parent", cited=False)
    secret_membership = make_affiliation(person, secret_org, role="member", cited=False)
    make_affiliation(person, public_org, role=CANARY, visibility=INTERNAL)

    case = make_case(person=person, slug="public-case", internal_notes=CANARY)
    make_case(person=person, title=f"{CANARY} second case", slug="secret-case", visibility=INTERNAL)
    make_case(person=hidden_relative, title="Case of an internal person", slug="hidden-person-case")

    public_source = make_source(title="Public statement", internal_notes=CANARY, text=f"Full text {CANARY}", reliability_note="Reliable.")
    secret_source = make_source(title=f"{CANARY} informant report", visibility=INTERNAL)
    make_citation(relationship=hidden_link, source=public_source, excerpt=f"{CANARY} on a link to an internal person")
    make_citation(affiliation=secret_membership, source=public_source, excerpt=f"{CANARY} on an internal organization")
    event = make_event(
        case, kind=EventKind.ARREST, date="2022-05", authority=secret_org, sets_status=Status.DETAINED, internal_notes=CANARY, cited=False
    )
    make_citation(event=event, source=public_source, excerpt="Arrested in May 2022.")
    make_citation(event=event, source=public_source, excerpt=f"{CANARY} unpublished excerpt", visibility=INTERNAL)
    make_citation(event=event, source=secret_source, excerpt=f"{CANARY} excerpt of an internal source")
    make_event(case, kind=EventKind.TORTURE_REPORTED, date="2023", description=CANARY, place=CANARY, visibility=INTERNAL)
    hidden_sentence = make_event(case, kind=EventKind.SENTENCE, date="2024", sets_status=Status.SENTENCED, visibility=INTERNAL)
    make_citation(event=hidden_sentence, source=public_source, excerpt=f"{CANARY} citation of an internal event")
    make_citation(person=hidden_relative, source=public_source, excerpt=f"{CANARY} citation of an internal person")
    make_citation(organization=secret_org, source=public_source, excerpt=f"{CANARY} citation of an internal organization")

    make_claim(statement=f"{CANARY} unpublished number", quantifier=ClaimQuantifier.ABOUT, count=5, visibility=INTERNAL)
    # A public claim whose only citation is internal: no public source supports it, so it is not shown.
    claim = make_claim(statement=f"{CANARY} uncited claim", quantifier=ClaimQuantifier.ORDER, cited=False)
    make_citation(claim=claim, source=public_source, excerpt=f"{CANARY} on a public claim", visibility=INTERNAL)
    many = make_claim(statement="Many prisoners", quantifier=ClaimQuantifier.ORDER, cited=False)
    make_citation(claim=many, source=public_source, excerpt="Many prisoners are held.")
    return {"case": case, "person": person, "relative": relative, "source": public_source, "organization": public_org}


def public_urls(world):
    return [
        "/",
        "/cases/",
        "/cases/?q=public",
        "/cases/?status=detained",
        "/cases/?status=sentenced",
        "/cases/?sort=-updated",
        world["case"].get_absolute_url(),
        world["person"].get_absolute_url(),
        world["relative"].get_absolute_url(),
        world["organization"].get_absolute_url(),
        world["source"].get_absolute_url(),
    ]


def test_no_public_page_shows_anything_internal(client, world):
    for url in public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert CANARY.lower() not in response.content.decode().lower(), url


def test_public_citations_of_one_kind_of_fact_are_exactly_those_public_gives(world):
    from cases.models import CITATION_TARGETS, Citation

    make_citation(case=world["case"], source=world["source"], excerpt="A public case citation.")
    make_citation(case=world["case"], source=world["source"], visibility=INTERNAL)
    for target in CITATION_TARGETS:
        expected = set(Citation.objects.public().filter(**{f"{target}__isnull": False}))
        assert set(Citation.objects.public_of(target)) == expected, target
    assert Citation.objects.public_of("event").exists() and Citation.objects.public_of("case").exists()


def test_searching_for_internal_names_finds_nothing(client, world):
    for query in (CANARY, f"{CANARY} alias", f"{CANARY} relative"):
        assert client.get("/cases/", {"q": query}).context["paginator"].count == 0


def test_the_public_pages_do_show_the_public_facts(client, world):
    # The canary test would pass on empty pages; these are not empty.
    page = client.get(world["case"].get_absolute_url()).content.decode()
    assert "Public Person" in page and "Arrested in May 2022." in page and "Public statement" in page
    assert "Detained" in page, "the public arrest sets the status; the internal sentence does not"
    assert "Sentenced" not in page
    assert "Many prisoners" in client.get("/").content.decode()


def test_internal_records_have_no_public_page(client, world):
    from cases.models import Source

    secret_source = Source.objects.get(visibility=INTERNAL)
    for url in [
        "/cases/secret-case/",
        "/cases/hidden-person-case/",
        "/people/hidden-relative/",
        "/organizations/secret-agency/",
        secret_source.get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert CANARY.lower() not in response.content.decode().lower(), url


def test_the_shared_queries_of_case_pages_and_lists_are_only_narrowed_never_a_store_of_rows(client, world):
    # The queries of the case page and of the lists are built once per
    # process (`public_cases_with_events`, `public_cases_for_list`): what one
    # request read must not be what the next is shown.
    from cases.models import Case, Event
    from cases.views import public_cases_for_list, public_cases_with_events

    case = world["case"]
    assert "Arrested in May 2022." in client.get(case.get_absolute_url()).content.decode()
    assert case.get_absolute_url() in client.get("/cases/").content.decode()
    assert case.get_absolute_url() in client.get("/cases/", {"q": "Public Person"}).content.decode()
    Event.objects.filter(case=case, date="2022-05").set_visibility(INTERNAL, by=publisher())
    assert "Arrested in May 2022." not in client.get(case.get_absolute_url()).content.decode()
    Case.objects.filter(pk=case.pk).set_visibility(INTERNAL, by=publisher())
    assert client.get(case.get_absolute_url()).status_code == 404
    for page in (client.get("/cases/"), client.get("/cases/", {"q": "Public Person"}), client.get("/")):
        assert case.get_absolute_url() not in page.content.decode()
    for language in ("en", "ru", "tg"):
        assert public_cases_with_events(language)._result_cache is None
        assert public_cases_for_list(language)._result_cache is None
