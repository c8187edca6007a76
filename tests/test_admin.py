import pytest
from django.contrib import admin
from django.urls import reverse

from cases.models import (
    Case,
    Event,
    EventKind,
    ImportMapping,
    Person,
    Relationship,
    RelationshipKind,
    Status,
    TakeDown,
    Visibility,
    VisibilityJob,
)
from cases.publishing import take_down

from .conftest import make_case, make_citation, make_event, publisher

pytestmark = pytest.mark.django_db


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label == "cases"]


def test_every_cases_model_is_in_the_admin():
    from django.apps import apps

    # History tables are seen through each record's own History page; the import's
    # bookkeeping through the import pages, merges through the possible-duplicates page;
    # the public version is the HTTP caches' own; the name index and its words are derived from names.
    bookkeeping = {"ImportJob", "ImportedRow", "PersonMerge", "PublicVersion", "NameToken", "NameWord"}
    records = {
        model
        for model in apps.get_app_config("cases").get_models()
        if not model.__name__.startswith("Historical") and model.__name__ not in bookkeeping
    }
    assert set(registered_models()) == records


# Written only by what they record (a take-down, a bulk publish): nobody adds them by hand.
RECORDS_OF_WHAT_WAS_DONE = {TakeDown, VisibilityJob}


@pytest.mark.parametrize("page", ["changelist", "add"])
def test_every_changelist_and_add_page_renders(admin_client, seeded, page):
    for model in registered_models():
        if page == "add" and model in RECORDS_OF_WHAT_WAS_DONE:
            continue
        url = reverse(f"admin:cases_{model._meta.model_name}_{page}")
        response = admin_client.get(url)
        assert response.status_code == 200, url
        if page == "changelist":
            assert str(model._meta.verbose_name_plural) in response.content.decode().lower() or model.objects.exists()


def test_every_change_page_renders_its_record(admin_client, seeded):
    # The seed documents name no relatives, so add one relationship to show its page too.
    Relationship.objects.create(
        person=Person.objects.get(slug="abdullokhi-shamsiddin"),
        relative=Person.objects.get(slug="hizbullo-shovalizoda"),
        kind=RelationshipKind.RELATIVE,
    )
    ImportMapping.objects.create(name="Our list", columns={"Full name": "name"})
    user = publisher()
    take_down(Case.objects.first(), user, "The family asked")
    VisibilityJob.objects.create(model="cases.Event", visibility=Visibility.PUBLIC, requested_by=user)
    for model in registered_models():
        obj = model.objects.first()
        assert obj is not None, model
        url = reverse(f"admin:cases_{model._meta.model_name}_change", args=[obj.pk])
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert response.context["original"] == obj


def test_case_page_shows_status_history_and_event_citations(admin_client, seeded):
    case = Case.objects.get(slug="abdullokhi-shamsiddin")
    html = admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Held incommunicado" in html
    assert "between 18 January and 21 March 2023" in html
    event = case.events.get(kind=EventKind.TRANSFER)
    html = admin_client.get(reverse("admin:cases_event_change", args=[event.pk])).content.decode()
    assert "He was transferred to the hands of the Tajikistan KGB." in html


def test_admin_search_finds_a_person_by_another_script(admin_client, seeded):
    response = admin_client.get(reverse("admin:cases_person_changelist"), {"q": "Абдуллоҳи"})
    names = [person.name for person in response.context["cl"].result_list]
    assert names == ["Abdullokhi Shamsiddin"]


def test_changelist_filters_by_status(admin_client, seeded):
    response = admin_client.get(reverse("admin:cases_case_changelist"), {"current_status__exact": Status.SENTENCED})
    assert [c.slug for c in response.context["cl"].result_list] == ["hizbullo-shovalizoda"]


def event_form_data(case, **overrides):
    data = {
        "case": case.pk,
        "kind": EventKind.ARREST,
        "date": "2023-01-18",
        "position": 0,
        "visibility": Visibility.INTERNAL,
        "citations-TOTAL_FORMS": 0,
        "citations-INITIAL_FORMS": 0,
        "citations-MIN_NUM_FORMS": 0,
        "citations-MAX_NUM_FORMS": 1000,
    }
    data.update(overrides)
    return data


def test_adding_an_event_with_a_bad_date_shows_the_error_and_saves_nothing(admin_client):
    case = make_case()
    response = admin_client.post(reverse("admin:cases_event_add"), event_form_data(case, date="2023-13-45"))
    assert response.status_code == 200
    assert "is not a date this tracker can read" in response.content.decode()
    assert not Event.objects.exists()


def test_release_before_arrest_typed_on_one_case_page_saves_nothing(admin_client):
    case = make_case()
    data = {
        "person": case.person.pk,
        "title_en": "Changed title",
        "slug": case.slug,
        "visibility": Visibility.PUBLIC,
        "events-TOTAL_FORMS": 2,
        "events-INITIAL_FORMS": 0,
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
        "events-0-kind": EventKind.ARREST,
        "events-0-date": "2022-05",
        "events-0-position": 0,
        "events-0-visibility": Visibility.PUBLIC,
        "events-1-kind": EventKind.RELEASE,
        "events-1-date": "2021",
        "events-1-position": 0,
        "events-1-visibility": Visibility.PUBLIC,
        "events-1-sets_status": Status.RELEASED,
        "citations-TOTAL_FORMS": 0,
        "citations-INITIAL_FORMS": 0,
        "citations-MIN_NUM_FORMS": 0,
        "citations-MAX_NUM_FORMS": 1000,
    }
    response = admin_client.post(reverse("admin:cases_case_change", args=[case.pk]), data)
    assert response.status_code == 200
    assert "The release (2021) is dated before the arrest (May 2022)" in response.content.decode()
    assert Case.objects.get(pk=case.pk).title != "Changed title"
    assert not Event.objects.exists()


def test_citation_without_excerpt_is_refused(admin_client):
    event = make_event(make_case(), cited=False)
    data = event_form_data(
        event.case,
        **{
            "citations-TOTAL_FORMS": 1,
            "citations-0-source": "",
            "citations-0-excerpt": "   ",
            "citations-0-confidence": "likely",
            "citations-0-visibility": Visibility.PUBLIC,
        },
    )
    response = admin_client.post(reverse("admin:cases_event_change", args=[event.pk]), data)
    assert response.status_code == 200
    assert not event.citations.exists()


def test_publish_action_publishes_and_refreshes_status(admin_client):
    case = make_case()
    event = make_event(case, sets_status=Status.DETAINED, visibility=Visibility.INTERNAL)
    make_citation(event=event)
    assert Case.objects.get(pk=case.pk).current_status == Status.UNKNOWN
    admin_client.post(
        reverse("admin:cases_event_changelist"), {"action": "publish", "_selected_action": [event.pk]}
    )
    assert Event.objects.get(pk=event.pk).visibility == Visibility.PUBLIC
    assert Case.objects.get(pk=case.pk).current_status == Status.DETAINED


def test_admin_search_by_variant_in_case_list(admin_client, seeded):
    response = admin_client.get(reverse("admin:cases_case_changelist"), {"q": "Shamsiddin"})
    assert [c.person.name for c in response.context["cl"].result_list] == ["Abdullokhi Shamsiddin"]
    assert Person.objects.count() == 7


def test_country_filters_offer_only_countries_in_use_and_filter_by_them(admin_client, seeded):
    response = admin_client.get(reverse("admin:cases_case_changelist"))
    filter_choices = {
        str(spec.title): [str(choice["display"]) for choice in spec.choices(response.context["cl"])]
        for spec in response.context["cl"].filter_specs
    }
    assert filter_choices["sending country"][1:] == ["Austria", "Germany"]
    response = admin_client.get(reverse("admin:cases_case_changelist"), {"events__sending_country": "AT"})
    assert [c.slug for c in response.context["cl"].result_list] == ["hizbullo-shovalizoda"]
