"""A case with hundreds of events opens and saves in the admin; its events are edited on their own pages."""

import pytest
from django.conf import settings
from django.urls import reverse

from cases import dates
from cases.admin import EVENTS_ON_CASE_PAGE
from cases.models import Case, Event, EventKind, Status, Visibility

from .conftest import admin_form_data, make_case, make_citation, make_event

pytestmark = pytest.mark.django_db


def add_events(case, count):
    """`count` public events, one a day from January 2001 (bulk-made: signals would take minutes)."""
    rows = []
    for n in range(count):
        date = f"{2001 + n // 300}-{1 + (n // 28) % 12:02d}-{1 + n % 28:02d}"
        lower, upper = dates.bounds(date)
        rows.append(
            Event(case=case, kind=EventKind.ADVOCACY, date=date, date_lower=lower, date_upper=upper,
                  description=f"Call for release number {n}", visibility=Visibility.PUBLIC)
        )
    Event.objects.bulk_create(rows)


def change_url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def test_a_case_with_500_events_opens_with_a_link_to_each_event(admin_client):
    case = make_case(title="Long case")
    make_event(case, kind=EventKind.ARREST, date="2000-05", sets_status=Status.DETAINED)
    add_events(case, 499)
    response = admin_client.get(change_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This case has 500 events, too many to edit on one page" in html
    assert html.count(reverse("admin:cases_event_change", args=[case.events.latest("pk").pk])) == 1
    assert f'href="{reverse("admin:cases_event_add")}?case={case.pk}"' in html
    assert f"?case__id__exact={case.pk}" in html
    assert "Call for release number 17" not in html, "events are not edited inline"
    assert len(html) < 300_000


def test_a_case_with_500_events_saves_and_keeps_its_events(admin_client):
    case = make_case(title="Long case")
    make_event(case, kind=EventKind.ARREST, date="2000-05", sets_status=Status.DETAINED)
    add_events(case, 499)
    data = admin_form_data(admin_client.get(change_url(case)))
    assert len(data) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS / 10
    data["title_en"] = "Long case, retitled"  # the English title (titles are kept per language)
    response = admin_client.post(change_url(case), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    case.refresh_from_db()
    assert case.title == "Long case, retitled"
    assert case.events.count() == 500
    assert case.current_status == Status.DETAINED


def test_the_case_page_query_count_does_not_grow_with_its_events(admin_client, django_assert_max_num_queries):
    case = make_case()
    add_events(case, EVENTS_ON_CASE_PAGE + 1)
    with django_assert_max_num_queries(40) as few:
        admin_client.get(change_url(case))
    add_events(case, 300)
    with django_assert_max_num_queries(len(few)):
        admin_client.get(change_url(case))


def test_the_event_list_of_one_case_is_reachable_from_its_link(admin_client):
    case = make_case()
    other = make_case()
    add_events(case, 3)
    add_events(other, 2)
    response = admin_client.get(reverse("admin:cases_event_changelist") + f"?case__id__exact={case.pk}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


def test_a_new_event_from_the_link_starts_in_its_case(admin_client):
    case = make_case()
    response = admin_client.get(reverse("admin:cases_event_add") + f"?case={case.pk}")
    assert response.context["adminform"].form.initial["case"] == str(case.pk)


def test_the_largest_case_edited_in_place_saves_under_the_field_limit(admin_client):
    """The most events a case page edits inline, with many citations of the case, still fit one form."""
    case = make_case()
    add_events(case, EVENTS_ON_CASE_PAGE)
    for n in range(40):
        make_citation(case=case, excerpt=f"Words {n}.")
    page = admin_client.get(change_url(case))
    assert "too many to edit on one page" not in page.content.decode()
    data = admin_form_data(page)
    assert sum(len(v) if isinstance(v, list) else 1 for v in data.values()) + 1 < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    first = data["events-0-id"]
    data["events-0-description_en"] = "Changed in place."
    response = admin_client.post(change_url(case), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert Event.objects.get(pk=first).description == "Changed in place."
    assert Case.objects.get(pk=case.pk).events.count() == EVENTS_ON_CASE_PAGE
