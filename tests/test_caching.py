"""HTTP caching from the public version: repeat visits are cheap, and nothing internal or unpublished leaks through it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import caching
from cases.models import Case, Event, EventKind, Person, Status, Visibility, publishing
from tests.conftest import make_case, make_citation, make_event, make_person, publisher, staff_client

pytestmark = pytest.mark.django_db


def etag(client, url="/cases/"):
    response = client.get(url)
    assert response.status_code == 200
    return response["ETag"]


def test_public_pages_carry_an_etag_a_last_modified_time_and_may_be_kept_by_a_proxy(client):
    make_case()
    for url in ("/", "/cases/", "/api/cases/", "/export/cases.csv"):
        response = client.get(url)
        assert response["ETag"], url
        assert response["Last-Modified"], url
        assert "public" in response["Cache-Control"] and "must-revalidate" in response["Cache-Control"], url
        assert "Cookie" in response["Vary"], url


def test_a_reader_with_the_current_copy_gets_a_304_without_the_page_being_made(client):
    make_case()
    tag = etag(client)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/cases/", HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 304
    assert response.content == b""
    assert len(captured) == 1, "only the public version is read"
    since = client.get("/cases/")["Last-Modified"]
    assert client.get("/cases/", HTTP_IF_MODIFIED_SINCE=since).status_code == 304


def test_a_page_asked_for_again_comes_from_the_cache_with_one_query(client):
    make_case(person=make_person(name="Cached Person"))
    first = client.get("/cases/")
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/cases/")
    assert len(captured) == 1
    assert again.content == first.content
    assert "Cached Person" in again.content.decode()


def test_unpublishing_a_case_takes_it_off_every_cached_page_at_once(client):
    case = make_case(person=make_person(name="Soon Hidden"), slug="soon-hidden")
    tag = etag(client, "/cases/soon-hidden/")
    assert "Soon Hidden" in client.get("/cases/").content.decode()
    Case.objects.filter(pk=case.pk).set_visibility(Visibility.INTERNAL, by=publisher())
    assert client.get("/cases/soon-hidden/", HTTP_IF_NONE_MATCH=tag).status_code == 404
    assert "Soon Hidden" not in client.get("/cases/").content.decode()
    assert "Soon Hidden" not in client.get("/api/cases/").content.decode()


def test_saving_deleting_and_bulk_changes_of_public_records_change_the_etag(client):
    case = make_case()
    event = make_event(case, kind=EventKind.ARREST, date="2022", sets_status=Status.DETAINED)
    seen = {etag(client)}

    def changed():
        tag = etag(client)
        assert tag not in seen
        seen.add(tag)

    event.description = "A new detail."
    event.save()
    changed()
    Event.objects.filter(pk=event.pk).update(place="Dushanbe")
    changed()
    Event.objects.filter(pk=event.pk).set_visibility(Visibility.INTERNAL, by=publisher())
    changed()
    assert Case.objects.get(pk=case.pk).current_status == Status.UNKNOWN
    Event.objects.filter(pk=event.pk).set_visibility(Visibility.PUBLIC, by=publisher())
    changed()
    Person.objects.bulk_create([Person(name="Bulk Person", slug="bulk-person", visibility=Visibility.PUBLIC)])
    changed()
    event.delete()
    changed()


def test_changes_to_internal_records_leave_the_etag_and_last_modified_alone(client):
    make_case()
    before = client.get("/cases/")
    hidden = make_case(visibility=Visibility.INTERNAL, person=make_person(visibility=Visibility.INTERNAL))
    make_event(hidden, visibility=Visibility.INTERNAL)
    hidden.title = "Edited"
    hidden.save()
    Case.objects.filter(pk=hidden.pk).update(title="Edited in bulk")
    after = client.get("/cases/")
    assert (after["ETag"], after["Last-Modified"]) == (before["ETag"], before["Last-Modified"])


def test_staff_pages_are_private_and_never_answered_from_the_cache(client):
    make_case(person=make_person(name="Seen By All"))
    client.get("/cases/")
    staff = staff_client("editor")
    response = staff.get("/cases/")
    assert "private" in response["Cache-Control"]
    assert not response.has_header("ETag")
    assert staff.get("/cases/", HTTP_IF_NONE_MATCH=etag(client)).status_code == 200


def test_country_choices_never_name_a_country_only_internal_events_name(client):
    public = make_case()
    make_event(public, country="TJ", sending_country="DE")
    make_citation(event=make_event(public, country="LT", visibility=Visibility.INTERNAL))
    hidden_case = make_case(visibility=Visibility.INTERNAL)
    make_event(hidden_case, country="PL")
    hidden_person = make_case(person=make_person(visibility=Visibility.INTERNAL))
    make_event(hidden_person, country="FR")
    page = client.get("/cases/").content.decode()
    assert 'value="TJ"' in page and 'value="DE"' in page
    for code in ("LT", "PL", "FR"):
        assert f'value="{code}"' not in page
    assert client.get("/cases/?country=LT").status_code == 200
    assert "Select a valid choice" in client.get("/cases/?country=LT").content.decode()
    # Published, it is a choice at once: the cached list follows the public version.
    Event.objects.filter(country="LT").set_visibility(Visibility.PUBLIC, by=publisher())
    assert 'value="LT"' in client.get("/cases/").content.decode()


def test_counts_never_count_internal_cases_and_follow_unpublishing(client):
    shown = [make_case(), make_case()]
    make_case(visibility=Visibility.INTERNAL)
    make_case(person=make_person(visibility=Visibility.INTERNAL))
    for case in shown:
        make_event(case, kind=EventKind.ARREST, date="2022", sets_status=Status.DETAINED)
    assert "2 cases" in client.get("/cases/").content.decode()
    assert client.get("/api/cases/").json()["count"] == 2
    assert "The tracker follows 2 cases" in client.get("/").content.decode()
    Case.objects.filter(pk=shown[0].pk).set_visibility(Visibility.INTERNAL, by=publisher())
    assert "1 case" in client.get("/cases/").content.decode()
    assert client.get("/api/cases/").json()["count"] == 1
    assert "The tracker follows 1 case" in client.get("/").content.decode()


def test_the_cache_keys_follow_the_public_version():
    assert caching.current_version()[0] == 0
    make_case()
    number, changed = caching.current_version()
    assert number > 0
    caching.public_changed()
    assert caching.current_version()[0] == number + 1


def test_organization_choices_list_public_organizations_only_and_follow_publishing(client):
    from tests.conftest import make_organization

    make_organization(name="Public Court", slug="public-court")
    secret = make_organization(name="Secret Unit", slug="secret-unit", visibility=Visibility.INTERNAL)
    page = client.get("/cases/").content.decode()
    assert 'value="public-court"' in page
    assert "Secret Unit" not in page and "secret-unit" not in page
    assert "Select a valid choice" in client.get("/cases/?organization=secret-unit").content.decode()
    secret.visibility = Visibility.PUBLIC
    with publishing(publisher()):
        secret.save()
    assert 'value="secret-unit"' in client.get("/cases/").content.decode()


def test_a_page_another_worker_is_rendering_is_waited_for_not_rendered_again(client, monkeypatch):
    import threading

    from django.core.cache import cache
    from django.test import RequestFactory
    from django.utils import translation

    make_case(slug="waited", title="The real page")
    # Build the cache key this request will use, and say another worker is rendering it.
    request = RequestFactory().get("/cases/waited/")
    with translation.override("en"):
        key = caching.page_key(request, caching.current_version())
    cache.add(f"{key}:making", True, 5)
    headers = [("Content-Type", "text/html; charset=utf-8")]
    threading.Timer(0.1, lambda: cache.set(key, (200, headers, b"the other worker's copy"), 60)).start()
    assert client.get("/cases/waited/").content == b"the other worker's copy"


def test_a_reader_stops_waiting_for_a_render_that_never_comes_and_renders_it(client, monkeypatch):
    from django.core.cache import cache
    from django.test import RequestFactory
    from django.utils import translation

    monkeypatch.setattr(caching, "RENDER_WAIT_SECONDS", 0.05)
    make_case(slug="abandoned", title="The real page")
    request = RequestFactory().get("/cases/abandoned/")
    with translation.override("en"):
        key = caching.page_key(request, caching.current_version())
    cache.add(f"{key}:making", True, 5)
    assert "The real page" in client.get("/cases/abandoned/").content.decode()
    assert cache.get(key) is not None and not cache.has_key(f"{key}:making")


def test_the_countries_events_name_are_found_one_index_seek_each():
    from django.db.models import Q

    from cases.filters import distinct_values

    case = make_case()
    for country, sending in [("TJ", ""), ("RU", "TJ"), ("TJ", "AT"), ("", "DE"), ("RU", "")]:
        make_event(case, country=country, sending_country=sending)
    events = Event.objects.order_by()
    assert list(distinct_values(events, "country")) == ["RU", "TJ"]
    assert list(distinct_values(events, "sending_country")) == ["AT", "DE", "TJ"]
    assert list(distinct_values(events.filter(~Q(country="TJ")), "country")) == ["RU"]
    with CaptureQueriesContext(connection) as queries:
        list(distinct_values(events, "sending_country"))
    assert len(queries) == 4  # one a value, and one to find there is none after the last
