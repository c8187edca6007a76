"""The read-only JSON API at /api/, and the canary for every data-out channel.

The canary: internal records and notes carry a unique string (the `world`
of tests/test_public_visibility.py, plus a few citations of the case itself);
no export, API response, feed or sitemap may contain it.
"""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openapi_spec_validator import validate

from cases.models import Case, Event, EventKind, Organization, Person, Source, Status, Visibility
from tests.conftest import body, make_case, make_citation, make_event, make_organization, make_person, make_source, make_variant
from tests.test_public_visibility import CANARY, INTERNAL, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

LISTS = ["/api/cases/", "/api/people/", "/api/organizations/", "/api/sources/", "/api/events/"]


@pytest.fixture
def canary_world(world):  # noqa: F811
    """The visibility canary, with citations of the case itself from internal sources and notes."""
    case = world["case"]
    secret_org = Organization.objects.get(slug="secret-agency")
    hidden_source = make_source(title="Leaked", url=f"https://example.org/{CANARY}", visibility=INTERNAL)
    make_citation(case=case, source=hidden_source, excerpt="Public words from an internal source.")
    make_citation(case=case, source=world["source"], excerpt=f"{CANARY} internal case citation", visibility=INTERNAL)
    published = make_source(title="Published by a secret agency", publisher=secret_org, url="https://example.org/ok")
    make_citation(case=case, source=published, excerpt="Cited on the case.")
    make_citation(case=case, source=world["source"], excerpt="The case is public.")
    return world


def canary_urls(world):
    case = world["case"]
    urls = [
        "/export/cases.csv",
        "/export/cases.json",
        "/export/cases.json?q=public",
        "/export/cases.csv?status=detained",
        "/api/",
        *LISTS,
        "/api/cases/?q=public",
        "/api/events/?case=public-case",
        "/api/schema/",
        "/feed/",
        f"/cases/{case.slug}/feed/",
        "/sitemap.xml",
        "/robots.txt",
    ]
    return urls


def all_detail_urls(client):
    """The API detail address of every record the lists show."""
    urls = []
    for list_url in LISTS:
        for item in client.get(list_url, {"page_size": 200}).json()["results"]:
            key = item.get("slug") or item["id"]
            urls.append(f"{list_url}{key}/")
    return urls


def test_no_export_api_feed_or_sitemap_shows_anything_internal(client, canary_world):
    details = all_detail_urls(client)
    assert len(details) == 7  # a case, two people, an organization, two sources, an event
    for url in canary_urls(canary_world) + details:
        response = client.get(url)
        assert response.status_code == 200, url
        assert CANARY.lower() not in body(response).decode().lower(), url


def test_the_canary_outputs_are_not_empty(client, canary_world):
    # The canary test would pass on empty answers; these show the public facts.
    case = client.get("/api/cases/public-case/").json()
    assert case["person"]["name"] == "Public Person"
    assert case["current_status"] == "detained"
    assert [event["kind"] for event in case["events"]] == ["arrest"]
    assert [c["excerpt"] for c in case["events"][0]["citations"]] == ["Arrested in May 2022."]
    assert {c["excerpt"] for c in case["citations"]} == {"Cited on the case.", "The case is public."}
    assert case["events"][0]["authority"] is None, "the acting organization is internal"
    source = client.get(f"/api/sources/{Source.objects.get(title='Published by a secret agency').pk}/").json()
    assert source["publisher"] is None
    assert "text" not in source and "internal_notes" not in source
    person = client.get("/api/people/public-person/").json()
    assert person["other_spellings"] == []
    assert "contact_details" not in person and "internal_notes" not in person
    export = json.loads(body(client.get("/export/cases.json")))
    assert "Public Person" in [row["person"] for row in export["results"]]
    assert "Public Person" in client.get("/feed/").content.decode()
    assert "/cases/public-case/" in client.get("/sitemap.xml").content.decode()


def test_internal_records_have_no_api_detail(client, canary_world):
    secret_source = Source.objects.get(title__startswith=CANARY)
    hidden_event = Event.objects.get(visibility=INTERNAL, kind=EventKind.SENTENCE)
    for url in [
        "/api/cases/secret-case/",
        "/api/cases/hidden-person-case/",
        "/api/people/hidden-relative/",
        "/api/organizations/secret-agency/",
        f"/api/sources/{secret_source.pk}/",
        f"/api/events/{hidden_event.pk}/",
        "/cases/secret-case/feed/",
        "/cases/hidden-person-case/feed/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert CANARY.lower() not in body(response).decode().lower(), url


# --- Reading --------------------------------------------------------------


def status_case(name, status, **kwargs):
    case = make_case(person=make_person(name=name), **kwargs)
    make_event(case, kind=EventKind.ARREST, date="2022-03", sets_status=status, country="TJ")
    return case


def test_case_list_uses_the_list_page_filters(client):
    status_case("Alisher Detained", Status.DETAINED)
    status_case("Bobur Released", Status.RELEASED)
    other = status_case("Davron Detained", Status.DETAINED)
    make_variant(other.person, "Даврон")

    def names(query):
        response = client.get("/api/cases/", query)
        assert response.status_code == 200
        return [case["person"]["name"] for case in response.json()["results"]]

    assert names({}) == ["Alisher Detained", "Bobur Released", "Davron Detained"]
    assert names({"status": "detained"}) == ["Alisher Detained", "Davron Detained"]
    assert names({"status": ["detained", "released"], "sort": "-name"}) == [
        "Davron Detained",
        "Bobur Released",
        "Alisher Detained",
    ]
    assert names({"q": "Даврон"}) == ["Davron Detained"]
    assert names({"q": "bobur", "status": "detained"}) == []


def test_invalid_filters_are_a_400_with_the_errors(client):
    response = client.get("/api/cases/", {"status": "nonsense"})
    assert response.status_code == 400
    assert "status" in response.json()
    assert client.get("/api/cases/", {"updated_after": "yesterday"}).status_code == 400


def test_case_detail_has_events_and_citations_by_slug(client):
    case = status_case("Farrukh", Status.DETAINED, slug="farrukh")
    event = case.events.get()
    make_citation(event=event, source=make_source(title="A statement", url="https://example.org/s"), excerpt="He was arrested.")
    data = client.get("/api/cases/farrukh/").json()
    assert data["id"] == case.pk and data["slug"] == "farrukh"
    assert data["page_url"] == "http://testserver/cases/farrukh/"
    assert data["status_label"] == "Detained"
    assert data["status_since"] == "2022-03" and data["status_since_lower"] == "2022-03-01"
    [shown] = data["events"]
    assert shown["kind"] == "arrest" and shown["country"] == "TJ"
    assert shown["citations"][0]["source"]["url"] == "https://example.org/s"
    assert shown["citations"][0]["excerpt"] == "He was arrested."
    assert "updated" in data and "updated" in shown


def test_writing_is_not_allowed(client):
    case = status_case("Gulnora", Status.DETAINED, slug="gulnora")
    for url in LISTS:
        assert client.post(url, {}, content_type="application/json").status_code == 405, url
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)("/api/cases/gulnora/", {}, content_type="application/json")
        assert response.status_code == 405, method
    assert Case.objects.filter(pk=case.pk).exists()


def test_lists_are_paginated(client):
    for i in range(55):
        make_organization(name=f"Org {i:02d}")
    first = client.get("/api/organizations/").json()
    assert first["count"] == 55
    assert len(first["results"]) == 50
    assert first["next"].endswith("/api/organizations/?page=2")
    assert len(client.get(first["next"]).json()["results"]) == 5
    assert len(client.get("/api/organizations/", {"page_size": 10}).json()["results"]) == 10
    assert len(client.get("/api/organizations/", {"page_size": 1000}).json()["results"]) == 55  # at most 200
    assert client.get("/api/organizations/", {"page": 9}).status_code == 404


def test_page_size_is_capped_at_200(client):
    Organization.objects.bulk_create(
        Organization(name=f"Org {i:03d}", slug=f"org-{i:03d}", kind="ngo", visibility=Visibility.PUBLIC)
        for i in range(205)
    )
    assert len(client.get("/api/organizations/", {"page_size": 1000}).json()["results"]) == 200


def test_updated_after_gives_the_changes_oldest_first(client):
    a, b, c = (make_person(name=name) for name in ("A", "B", "C"))
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    Person.objects.filter(pk=a.pk).update(updated=base + datetime.timedelta(days=3))
    Person.objects.filter(pk=b.pk).update(updated=base + datetime.timedelta(days=1))
    Person.objects.filter(pk=c.pk).update(updated=base - datetime.timedelta(days=1))
    response = client.get("/api/people/", {"updated_after": "2026-01-01T00:00:00Z"})
    assert [p["name"] for p in response.json()["results"]] == ["B", "A"]
    assert [p["name"] for p in client.get("/api/people/", {"updated_after": "2026-01-02T12:00:00+02:00"}).json()["results"]] == ["A"]
    assert [p["name"] for p in client.get("/api/people/", {"updated_after": "2025-12-01"}).json()["results"]] == ["C", "B", "A"]
    for url in LISTS:
        assert client.get(url, {"updated_after": "2026-01-01T00:00:00Z"}).status_code == 200, url
        assert client.get(url, {"updated_after": "not a date"}).status_code == 400, url


def test_case_list_queries_do_not_grow_with_rows(client):
    def add(n):
        for i in range(n):
            case = status_case(f"Person {i}", Status.DETAINED)
            make_variant(case.person, f"Variant {case.pk}")
            make_citation(event=case.events.get(), excerpt="Words.")
            make_citation(case=case, excerpt="Words.")

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add(3)
    few = {url: count(url) for url in LISTS + ["/api/cases/?status=detained&q=person"]}
    add(27)
    many = {url: count(url) for url in few}
    assert few == many


# --- Schema and docs --------------------------------------------------------


def test_openapi_schema_is_valid(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    assert {"/api/cases/", "/api/cases/{slug}/", "/api/people/", "/api/organizations/", "/api/sources/", "/api/events/"} <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/cases/"]["get"]["parameters"]}
    assert {"q", "status", "country", "updated_after", "page", "page_size"} <= parameters
    assert all(set(operations) == {"get"} for operations in schema["paths"].values())


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "openapi" in (tmp_path / "schema.yaml").read_text()


def test_docs_page_loads_its_scripts_from_our_own_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page and "<style" not in page, "the CSP forbids inline scripts and styles"
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode(), "no badge from validator.swagger.io"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_page_works_in_a_browser_under_the_csp(live_server, seeded, chromium):
    page = chromium.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + "/api/docs/")
    page.locator(".opblock-summary-path", has_text="/api/cases/{slug}/").first.wait_for(timeout=15000)
    assert page.locator(".opblock").count() >= 10
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Case tracker API")
    assert problems == [], problems  # a CSP violation is reported as a console error
