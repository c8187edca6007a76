"""Pages cost the same number of queries however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import EventKind, Status, Visibility
from tests.conftest import make_case, make_citation, make_event, make_organization, make_person, make_source, make_variant

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_cases(n):
    for i in range(n):
        case = make_case(person=make_person(name=f"Person {i:03d}"))
        make_event(case, kind=EventKind.ARREST, date="2022", sets_status=Status.DETAINED, country="TJ")


def add_events(case, n):
    source = make_source()
    authority = make_organization()
    for i in range(n):
        event = make_event(case, kind=EventKind.TRANSFER, date=f"2020-01-{i % 28 + 1:02d}", authority=authority,
                           sets_status=Status.DETAINED if i % 3 == 0 else "")
        make_citation(event=event, source=source, excerpt=f"Excerpt {i}.")


def test_list_page_queries_do_not_grow_with_rows(client):
    add_cases(5)
    few = queries_for(client, "/cases/?status=detained&country=TJ")
    add_cases(45)
    many = queries_for(client, "/cases/?status=detained&country=TJ")
    assert few == many
    assert many <= 8


def test_home_page_queries_do_not_grow_with_rows(client):
    add_cases(3)
    few = queries_for(client, "/")
    add_cases(20)
    assert queries_for(client, "/") == few


def test_case_page_queries_do_not_grow_with_events(client):
    case = make_case(slug="many-events")
    make_variant(case.person, "Another Spelling")
    add_events(case, 2)
    few = queries_for(client, "/cases/many-events/")
    add_events(case, 28)
    many = queries_for(client, "/cases/many-events/")
    assert few == many
    assert many <= 10


def test_case_page_reads_its_own_citations_and_other_spellings_only_where_some_exist(client):
    case = make_case(slug="plain")
    add_events(case, 2)
    bare = queries_for(client, "/cases/plain/")
    # Internal ones: looked for, never shown.
    make_variant(case.person, "Hidden Spelling", visibility=Visibility.INTERNAL)
    make_citation(case=case, excerpt="Hidden words.", visibility=Visibility.INTERNAL)
    assert queries_for(client, "/cases/plain/") == bare + 2
    page = client.get("/cases/plain/").content.decode()
    assert "Hidden Spelling" not in page and "Hidden words." not in page
    make_variant(case.person, "Shown Spelling")
    make_citation(case=case, excerpt="Shown words.")
    page = client.get("/cases/plain/").content.decode()
    assert "Shown Spelling" in page and "Shown words." in page
    assert "Shown words." in client.get("/cases/plain/dossier/").content.decode()


def test_case_page_and_api_do_not_read_their_sources_full_text(client):
    case = make_case(slug="cited")
    add_events(case, 3)
    case.events.first().citations.first().source.__class__.objects.update(text="The whole report, never shown. " * 1000)
    for url in ["/cases/cited/", f"/api/cases/{case.slug}/", "/cases/"]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, url
        read = [query["sql"] for query in captured if '"cases_source"' in query["sql"]]
        assert all('"cases_source"."text"' not in sql for sql in read), url
        assert read or url == "/cases/", url


def test_source_page_queries_do_not_grow_with_facts(client):
    source = make_source()
    case = make_case()
    make_citation(source=source, event=make_event(case), excerpt="One.")
    few = queries_for(client, source.get_absolute_url())
    for i in range(20):
        make_citation(source=source, event=make_event(make_case()), excerpt=f"Fact {i}.")
        make_citation(source=source, person=make_person(), excerpt=f"Person fact {i}.")
    assert queries_for(client, source.get_absolute_url()) == few


def test_a_source_that_supports_many_facts_shows_them_a_page_at_a_time(client, settings):
    from cases import views

    source = make_source()
    for i in range(views.CITATIONS_PER_PAGE + 3):
        make_citation(source=source, event=make_event(make_case(), cited=False), excerpt=f"Fact number {i:03}.")
    make_citation(source=source, event=make_event(make_case(visibility="internal"), cited=False), excerpt="Hidden fact.")
    first = client.get(source.get_absolute_url()).content.decode()
    second = client.get(source.get_absolute_url() + "?page=2").content.decode()
    total = views.CITATIONS_PER_PAGE + 3
    assert f"The {total} facts this source supports" in first and f"The {total} facts this source supports" in second
    assert first.count("Fact number") == views.CITATIONS_PER_PAGE and second.count("Fact number") == 3
    assert 'rel="next" href="?page=2"' in first and 'start="51"' in second
    assert "Hidden fact" not in first + second
    assert queries_for(client, source.get_absolute_url() + "?page=2") == queries_for(client, source.get_absolute_url())


@pytest.mark.parametrize(
    "url",
    [
        "/cases/?sort=-updated",
        "/cases/?sort=name&status=detained&status=released",
        "/cases/?event=arrest&happened_after=2020-01-01",
        "/api/cases/?status=detained",
        "/api/cases/?page=2&page_size=5",
    ],
)
def test_list_and_api_queries_do_not_grow_with_rows(client, url):
    add_cases(12)
    few = queries_for(client, url)
    add_cases(30)
    assert queries_for(client, url) == few


def test_export_queries_grow_by_a_constant_number_per_chunk_of_cases(client, monkeypatch):
    from cases import exports
    from tests.conftest import body

    monkeypatch.setattr(exports, "CHUNK_SIZE", 5)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            body(client.get(url))
        return len(captured)

    add_cases(5)
    one_chunk = queries("/export/cases.csv")
    add_cases(10)
    three_chunks = queries("/export/cases.csv")
    # Per chunk: spellings, the cases' citations, the events with theirs,
    # and the public ones among the sources they cite, with their addresses.
    assert three_chunks - one_chunk == 2 * 4
    # The same rows as JSON, less one: the count that decides whole or
    # streamed is cached since the CSV asked it.
    assert queries("/export/cases.json") == three_chunks - 1
