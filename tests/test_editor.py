"""The editor's day: one form for a case, its events and their citations; dates as people write them."""

import pytest
from django.urls import reverse

from cases import date_input
from cases.models import Case, Citation, Event, EventKind, Person, Status

from .conftest import make_person, make_source

pytestmark = pytest.mark.django_db


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def case_add_data(person, source, date="2024-05-12"):
    """A new case with one event and the event's citation, as the add page would post them."""
    return {
        "person": person.pk,
        "title_en": "Detention in Istanbul and handover to Tajikistan",
        "visibility": "internal",
        **management("events", 1),
        "events-0-kind": EventKind.ARREST,
        "events-0-date": date,
        "events-0-position": 0,
        "events-0-sets_status": Status.DETAINED,
        "events-0-visibility": "internal",
        "events-0-place": "Istanbul",
        "events-0-country": "TR",
        **management("events-0-citations", 1),
        "events-0-citations-0-source": source.pk,
        "events-0-citations-0-confidence": "likely",
        "events-0-citations-0-visibility": "internal",
        "events-0-citations-0-excerpt": "A. B. was detained in Istanbul by Turkish police",
        **management("citations", 1),
        "citations-0-source": source.pk,
        "citations-0-confidence": "likely",
        "citations-0-visibility": "internal",
        "citations-0-excerpt": "a Tajik activist, A. B.",
    }


def test_a_case_with_its_event_and_the_events_citation_is_saved_in_one_add_form(admin_client):
    person, source = make_person(name="A. B."), make_source()
    response = admin_client.post(reverse("admin:cases_case_add"), case_add_data(person, source))
    assert response.status_code == 302, response.context["errors"] if response.context else response
    case = Case.objects.get(person=person)
    event = case.events.get()
    assert event.place == "Istanbul"
    assert [c.excerpt for c in event.citations.all()] == ["A. B. was detained in Istanbul by Turkish police"]
    assert [c.excerpt for c in case.citations.all()] == ["a Tajik activist, A. B."]


def test_a_citation_added_on_the_add_person_form_is_accepted(admin_client):
    source = make_source()
    data = {
        "name": "A. B.",
        "visibility": "internal",
        **management("name_variants", 0),
        **management("affiliations", 0),
        **management("relationships", 0),
        **management("citations", 1),
        "citations-0-source": source.pk,
        "citations-0-confidence": "likely",
        "citations-0-visibility": "internal",
        "citations-0-excerpt": "a Tajik activist, A. B.",
    }
    response = admin_client.post(reverse("admin:cases_person_add"), data)
    assert response.status_code == 302
    assert Citation.objects.get().person == Person.objects.get(name="A. B.")


def test_a_date_typed_as_people_write_it_is_refused_with_the_edtf_to_accept(admin_client):
    person, source = make_person(), make_source()
    response = admin_client.post(reverse("admin:cases_case_add"), case_add_data(person, source, date="20 May 2024"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Did you mean 2024-05-20, 20 May 2024?" in html
    assert 'class="accept-date" data-field="id_events-0-date" data-value="2024-05-20"' in html
    # Nothing half-written: not the case, not the event, not the citations.
    assert not Case.objects.exists() and not Event.objects.exists() and not Citation.objects.exists()


@pytest.mark.parametrize(
    "typed, edtf, words",
    [
        ("20 May 2024", "2024-05-20", "20 May 2024"),
        ("12.05.2024", "2024-05-12", "12 May 2024"),
        ("May 2024", "2024-05", "May 2024"),
        ("18 января 2023", "2023-01-18", "18 January 2023"),
        ("20 мая 2024 г.", "2024-05-20", "20 May 2024"),
        ("between March 2020 and May 2021", "2020-03/2021-05", "between March 2020 and May 2021"),
        ("about 2019", "2019~", "about 2019"),
        ("since 5 March 2020", "2020-03-05/..", None),
    ],
)
def test_dates_as_people_write_them_get_the_edtf_the_tracker_would_store(typed, edtf, words):
    suggestion = date_input.suggest(typed)
    assert suggestion.edtf == edtf
    if words:
        assert suggestion.words == words


def test_before_a_month_means_by_the_end_of_the_month_before():
    # "Before March 2023" excludes March: no day is added that the source does not give.
    assert date_input.suggest("before March 2023").edtf == "../2023-02"
    assert date_input.suggest("by March 2023").edtf == "../2023-03"


def test_a_season_becomes_the_edtf_season():
    assert date_input.suggest("spring 2020").edtf == "2020-21"
    assert date_input.suggest("осенью 2021").edtf == "2021-23"


@pytest.mark.parametrize("typed", ["yesterday", "two days ago", "1 June", "next week", "garbage", ""])
def test_no_suggestion_where_the_text_gives_no_year_or_no_date(typed):
    assert date_input.suggest(typed) is None


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def published(data):
    """The add page's data with the case, its event and both citations public: an event is public only when cited."""
    return data | {
        "visibility": "public",
        "events-0-visibility": "public",
        "events-0-citations-0-visibility": "public",
        "citations-0-visibility": "public",
    }


def test_saving_a_public_case_without_a_status_event_warns_but_saves(admin_client):
    person, source = make_person(), make_source()
    data = published(case_add_data(person, source)) | {"events-0-sets_status": ""}
    response = admin_client.post(reverse("admin:cases_case_add"), data, follow=True)
    assert Case.objects.filter(person=person).exists()
    assert any("no public event sets its status" in message for message in messages_of(response))


def test_saving_an_event_without_a_citation_warns(admin_client):
    person, source = make_person(), make_source()
    data = case_add_data(person, source)
    data.update(management("events-0-citations", 0))
    response = admin_client.post(reverse("admin:cases_case_add"), data, follow=True)
    assert Event.objects.count() == 1
    assert any("This event cites no source yet: Arrest, 12 May 2024." in message for message in messages_of(response))


def test_saving_a_public_case_with_a_stale_status_warns(admin_client):
    person, source = make_person(), make_source()
    data = published(case_add_data(person, source))
    response = admin_client.post(reverse("admin:cases_case_add"), data, follow=True)
    assert Case.objects.get(person=person).current_status == Status.DETAINED
    assert any("Nobody has verified this status" in message for message in messages_of(response))


def test_a_careful_save_gives_no_warning(admin_client):
    import datetime

    person, source = make_person(), make_source()
    data = published(case_add_data(person, source)) | {"last_verified": datetime.date.today().isoformat()}
    response = admin_client.post(reverse("admin:cases_case_add"), data, follow=True)
    assert Case.objects.public().get(person=person).status_event.is_public
    assert [m for m in response.context["messages"] if m.level_tag == "warning"] == []
