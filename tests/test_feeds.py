"""Atom feeds, the sitemap and robots.txt."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from cases.models import Case, EventKind, Status, Visibility
from tests.conftest import make_case, make_event, make_organization, make_person, make_source

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return feed.findall(f"{ATOM}entry")


def test_site_feed_lists_the_latest_50_public_cases_by_update(client):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for i in range(52):
        case = make_case(person=make_person(name=f"Person {i:02d}"), slug=f"case-{i:02d}")
        Case.objects.filter(pk=case.pk).update(updated=base + datetime.timedelta(hours=i))
    make_case(person=make_person(name="Internal"), slug="internal", visibility=Visibility.INTERNAL)
    found = entries(client.get("/feed/"))
    assert len(found) == 50
    first = found[0]
    assert first.find(f"{ATOM}title").text == "Person 51: Unknown"
    assert first.find(f"{ATOM}link").get("href") == "http://testserver/cases/case-51/"
    assert first.find(f"{ATOM}updated").text.startswith("2026-01-03T03:00:00")
    assert "Person 00" not in client.get("/feed/").content.decode()


def test_case_feed_lists_its_public_events_newest_first(client):
    case = make_case(person=make_person(name="Farrukh"), slug="farrukh")
    make_event(case, kind=EventKind.ARREST, date="2022-05", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.SENTENCE, date="2023", sentence_kind="", description="<b>Closed</b> trial")
    make_event(case, kind=EventKind.TORTURE_REPORTED, date="2024", visibility=Visibility.INTERNAL, description="hidden")
    response = client.get("/cases/farrukh/feed/")
    titles = [entry.find(f"{ATOM}title").text for entry in entries(response)]
    assert titles == ["Sentence, 2023", "Arrest, May 2022"]
    body = response.content.decode()
    assert "hidden" not in body
    summary = ET.fromstring(response.content).find(f"{ATOM}entry/{ATOM}summary").text
    assert summary == "&lt;b&gt;Closed&lt;/b&gt; trial", "a description is text, never markup in a feed reader"
    assert client.get("/cases/nobody/feed/").status_code == 404


def test_case_page_announces_its_feeds(client):
    make_case(person=make_person(name="Farrukh"), slug="farrukh")
    page = client.get("/cases/farrukh/").content.decode()
    head = page.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head
    assert 'href="/cases/farrukh/feed/"' in head and 'href="/feed/"' in head


def test_sitemap_lists_the_public_pages(client):
    case = make_case(person=make_person(name="Farrukh", slug="farrukh"), slug="farrukh-case")
    make_case(person=make_person(name="Hidden", slug="hidden", visibility=Visibility.INTERNAL), slug="hidden-case")
    make_case(person=case.person, slug="internal-case", visibility=Visibility.INTERNAL)
    organization = make_organization(name="Court", slug="court")
    make_organization(name="Agency", slug="agency", visibility=Visibility.INTERNAL)
    source = make_source(title="Statement")
    hidden_source = make_source(title="Secret", visibility=Visibility.INTERNAL)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    locations = {loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    english = {
        "http://testserver/",
        "http://testserver/cases/",
        "http://testserver/cases/farrukh-case/",
        "http://testserver/people/farrukh/",
        "http://testserver/organizations/court/",
        f"http://testserver/sources/{source.pk}/",
    }
    # Each page once per language: English at the root, then /ru/ and /tg/.
    assert locations == {
        url.replace("testserver/", f"testserver/{prefix}") for url in english for prefix in ("", "ru/", "tg/")
    }
    assert f"/sources/{hidden_source.pk}/" not in response.content.decode()
    assert case.updated.date().isoformat() in response.content.decode()
    assert organization.slug == "court"


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    assert "Disallow: /admin/" in lines and "Disallow: /api/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
