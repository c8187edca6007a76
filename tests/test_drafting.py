"""“Start from a source”: the draft proposes, the editor confirms, nothing else is saved."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from cases import drafting
from cases.models import Case, Citation, Event, EventKind, Person, Source, Status, Visibility

from .conftest import make_source

pytestmark = pytest.mark.django_db

NEWS = (
    "On 12 May 2024, a Tajik activist, A. B., was detained in Istanbul by Turkish police and handed over to "
    "Tajikistan two days later, according to a statement by a human-rights group published on 20 May 2024."
)


def test_the_news_item_gives_a_detention_and_a_handover_two_days_later():
    draft = drafting.propose(NEWS, "2024-05-20")
    assert [p.name for p in draft.people] == ["A. B."]
    assert [(e.kind, e.date, e.person_name) for e in draft.events] == [
        (EventKind.DETENTION, "2024-05-12", "A. B."),
        (EventKind.EXTRADITION, "2024-05-14", "A. B."),
    ]
    assert all(e.sentence.text == NEWS for e in draft.events)


def test_a_deportation_gives_its_route_and_a_sentence_its_term():
    draft = drafting.propose(
        "On January 18, 2023, K. M. was deported from Germany to Tajikistan. "
        "He was sentenced in a closed session to 20 years in prison."
    )
    assert [e.kind for e in draft.events] == [EventKind.DEPORTATION, EventKind.SENTENCE, EventKind.TRIAL]
    deportation, sentence, _trial = draft.events
    assert (deportation.kind, deportation.date, deportation.sending_country, deportation.country) == (
        EventKind.DEPORTATION, "2023-01-18", "DE", "TJ"
    )
    assert (sentence.kind, sentence.sentence_years, sentence.sets_status, sentence.person_name) == (
        EventKind.SENTENCE, 20, Status.SENTENCED, "K. M."
    )
    assert sentence.sentence.text == "He was sentenced in a closed session to 20 years in prison."


def test_an_undated_event_is_bounded_by_the_sources_date_only():
    draft = drafting.propose("He was transferred to the hands of the KGB, said K. M.'s lawyer.", "2023-03")
    assert [e.date for e in draft.events] == ["../2023-03"]


def test_known_people_are_found_by_another_spelling(seeded):
    draft = drafting.propose("The release of the kidnapped Abdullohi Shamsiddin was demanded.")
    assert [(p.name, p.person_id) for p in draft.people] == [
        ("Abdullokhi Shamsiddin", Person.objects.get(slug="abdullokhi-shamsiddin").pk)
    ]


def test_seed_documents_give_every_seed_event(seeded, capsys):
    call_command("measure_drafts")
    out = capsys.readouterr().out
    assert "events 10/10" in out


def draft_post(client, source, step, **extra):
    return client.post(reverse("admin:cases_source_draft", args=[source.pk]), {"step": step, "text": NEWS, "keep_text": "on", **extra})


def test_proposing_saves_nothing(admin_client):
    source = make_source(published="2024-05-20", text="")
    response = draft_post(admin_client, source, "propose")
    assert response.status_code == 200
    html = response.content.decode()
    assert "New name:" in html and "A. B." in html
    assert 'value="2024-05-14"' in html
    assert not Person.objects.exists() and not Event.objects.exists() and not Citation.objects.exists()
    source.refresh_from_db()
    assert source.text == ""


def test_only_ticked_proposals_are_saved_with_the_sentence_as_excerpt(admin_client):
    source = make_source(published="2024-05-20")
    response = draft_post(admin_client, source, "propose")
    data = {key: value for key, value in _form_values(response).items()}
    data.update({"step": "save", "events-1-accept": "on"})  # the handover only
    response = admin_client.post(reverse("admin:cases_source_draft", args=[source.pk]), data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.kind, event.date, event.country, event.case.person.name) == (EventKind.EXTRADITION, "2024-05-14", "TJ", "A. B.")
    assert event.visibility == Visibility.INTERNAL and event.case.visibility == Visibility.INTERNAL
    assert [c.excerpt for c in event.citations.all()] == [NEWS]
    assert Source.objects.get(pk=source.pk).text == NEWS


def test_a_bad_correction_saves_nothing(admin_client):
    source = make_source(published="2024-05-20")
    data = _form_values(draft_post(admin_client, source, "propose"))
    data.update({"step": "save", "people-0-accept": "on", "events-0-accept": "on", "events-1-accept": "on", "events-1-date": "20 May 2024"})
    response = admin_client.post(reverse("admin:cases_source_draft", args=[source.pk]), data)
    assert response.status_code == 200
    assert "Did you mean 2024-05-20, 20 May 2024?" in response.content.decode()
    assert not Person.objects.exists() and not Case.objects.exists() and not Event.objects.exists() and not Citation.objects.exists()


def test_an_excerpt_not_in_the_text_is_refused(admin_client):
    source = make_source(published="2024-05-20")
    data = _form_values(draft_post(admin_client, source, "propose"))
    data.update({"step": "save", "events-0-accept": "on", "events-0-excerpt": "A. B. was tortured"})
    response = admin_client.post(reverse("admin:cases_source_draft", args=[source.pk]), data)
    assert "These words are not in the pasted text" in response.content.decode()
    assert not Event.objects.exists()


def test_source_change_page_links_the_draft(admin_client):
    source = make_source()
    html = admin_client.get(reverse("admin:cases_source_change", args=[source.pk])).content.decode()
    assert reverse("admin:cases_source_draft", args=[source.pk]) in html


def _form_values(response):
    data = {}
    context = response.context
    for formset in (context["people"], context["events"]):
        for field in formset.management_form:
            data[field.html_name] = field.value()
        for form in formset.forms:
            for field in form:
                if field.name != "accept" and field.value() not in (None, ""):
                    data[field.html_name] = field.value()
    data["text"] = NEWS
    data["keep_text"] = "on"
    return data
