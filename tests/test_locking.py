"""Two editors on one record: the second save is refused and nothing typed is lost."""

import pytest

from cases.models import Case, Event, Source
from cases.roles import EDITOR
from tests.conftest import admin_form_data, make_case, make_event, make_person, make_source, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return staff_client("alice", EDITOR)


@pytest.fixture
def bob():
    return staff_client("bob", EDITOR)


def test_second_save_of_a_case_is_refused_with_what_changed_and_keeps_the_input(alice, bob):
    case = make_case(title="Deportation")
    url = f"/admin/cases/case/{case.pk}/change/"
    alice_data = admin_form_data(alice.get(url))
    bob_data = admin_form_data(bob.get(url))

    alice_data["title_en"] = "Deportation from Germany"
    assert alice.post(url, alice_data).status_code == 302

    bob_data["title_en"] = "Deportation and detention"
    bob_data["summary_en"] = "Bob's long summary."
    response = bob.post(url, bob_data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone else saved" in page
    assert "Changed by alice" in page
    assert "“Deportation” → “Deportation from Germany”" in page
    # Bob's input comes back in the form.
    assert 'value="Deportation and detention"' in page and "Bob&#x27;s long summary." in page
    case.refresh_from_db()
    assert case.title == "Deportation from Germany"

    # Having seen the change, Bob saves again, knowingly.
    assert bob.post(url, admin_form_data(response)).status_code == 302
    case.refresh_from_db()
    assert case.title == "Deportation and detention"


def test_a_changed_event_refuses_the_inline_save_on_the_case_page(alice, bob):
    case = make_case()
    event = make_event(case, date="2023")
    case_url = f"/admin/cases/case/{case.pk}/change/"
    bob_data = admin_form_data(bob.get(case_url))

    event_url = f"/admin/cases/event/{event.pk}/change/"
    alice_data = admin_form_data(alice.get(event_url))
    alice_data["date"] = "2023-01"
    assert alice.post(event_url, alice_data).status_code == 302

    prefix = next(key for key in bob_data if key.endswith("-0-date")).removesuffix("date")
    bob_data[f"{prefix}date"] = "2023-02"
    response = bob.post(case_url, bob_data)
    assert response.status_code == 200
    assert "Someone else saved" in response.content.decode()
    assert Event.objects.get(pk=event.pk).date == "2023-01"


def test_people_and_sources_are_locked_too(alice, bob):
    for record, field in ((make_person(name="A Person"), "name"), (make_source(title="A Source"), "title")):
        url = f"/admin/cases/{record._meta.model_name}/{record.pk}/change/"
        first, second = admin_form_data(alice.get(url)), admin_form_data(bob.get(url))
        first[field] = "Alice's"
        second[field] = "Bob's"
        assert alice.post(url, first).status_code == 302
        assert "Someone else saved" in bob.post(url, second).content.decode()
        record.refresh_from_db()
        assert getattr(record, field) == "Alice's"


def test_a_record_deleted_meanwhile_is_reported(alice):
    source = make_source()
    url = f"/admin/cases/source/{source.pk}/change/"
    data = admin_form_data(alice.get(url))
    Source.objects.filter(pk=source.pk).delete()
    response = alice.post(url, data, follow=True)
    assert not Source.objects.exists()
    assert response.status_code == 200
    assert Case.objects.count() == 0
