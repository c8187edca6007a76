"""Events that cannot be are refused with a message an editor understands, whichever event is edited;
where the sources are vague, the editor's order decides and the admin says which order it used."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases.models import KIND_STATUSES, Case, Event, EventKind, Person, Status, Visibility, status_problem
from tests.conftest import make_case, make_event

pytestmark = pytest.mark.django_db


def refusal(event):
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    return " ".join(message for messages in error.value.message_dict.values() for message in messages)


def test_every_event_kind_has_a_row_in_the_table_of_statuses_it_may_set():
    assert set(KIND_STATUSES) == set(EventKind.values)
    assert KIND_STATUSES[EventKind.DEATH] == {Status.DECEASED}
    assert KIND_STATUSES[EventKind.DEPORTATION] == {Status.DEPORTED}


def test_readme_shows_the_same_table_as_the_code():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for kind, statuses in KIND_STATUSES.items():
        cell = ", ".join(f"`{status}`" for status in Status.values if status in statuses) or "none"
        assert f"| `{kind}` | {cell} |" in readme, kind


def test_a_death_that_sets_released_is_refused_with_what_it_can_set():
    event = Event(case=make_case(), kind=EventKind.DEATH, date="2023", sets_status=Status.RELEASED)
    assert refusal(event) == "“Death” cannot put the case in status “released”. It can set: deceased."


def test_an_event_that_changes_no_status_is_told_to_leave_the_status_empty():
    assert status_problem(EventKind.ADVOCACY, Status.RELEASED) == (
        "“Advocacy (call for release)” does not change where the person is: leave “puts the case in status” empty."
    )
    assert status_problem(EventKind.ADVOCACY, "") == ""


def test_a_death_before_the_arrest_is_refused():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2021-05", sets_status=Status.DETAINED)
    death = Event(case=case, kind=EventKind.DEATH, date="2020", sets_status=Status.DECEASED, visibility=Visibility.PUBLIC)
    assert "The death (2020) is dated before the arrest (May 2021) that began the custody it ends." in refusal(death)


def test_moving_an_arrest_after_the_only_release_is_refused():
    case = make_case()
    arrest = make_event(case, kind=EventKind.ARREST, date="2019", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="2020", sets_status=Status.RELEASED)
    arrest.date = "2021"
    assert "The release (2020) is dated before the arrest (2021)" in refusal(arrest)


def test_a_second_arrest_after_a_release_is_allowed():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2019", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="2020", sets_status=Status.RELEASED)
    again = Event(case=case, kind=EventKind.ARREST, date="2021", sets_status=Status.DETAINED, visibility=Visibility.PUBLIC)
    again.full_clean()


def test_a_status_change_after_a_death_is_refused_whichever_is_edited():
    case = make_case()
    make_event(case, kind=EventKind.DEATH, date="2022-04", sets_status=Status.DECEASED)
    release = Event(case=case, kind=EventKind.RELEASE, date="2023", sets_status=Status.RELEASED, visibility=Visibility.PUBLIC)
    assert "The release (2023) is dated after the person's death (April 2022)" in refusal(release)
    # The other way: a death moved before a stored transfer.
    other = make_case()
    make_event(other, kind=EventKind.TRANSFER, date="2023", sets_status=Status.DETAINED)
    death = make_event(other, kind=EventKind.DEATH, date="2024", sets_status=Status.DECEASED)
    death.date = "2022"
    assert "The transfer to another authority or place (2023) is dated after the person's death (2022)" in refusal(death)


def test_overlapping_dates_are_not_refused():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2020/2022", sets_status=Status.DETAINED)
    release = Event(case=case, kind=EventKind.RELEASE, date="2021", sets_status=Status.RELEASED, visibility=Visibility.PUBLIC)
    release.full_clean()


def test_an_existing_problem_elsewhere_does_not_block_an_unrelated_edit():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2021", sets_status=Status.DETAINED)
    Event.objects.create(case=case, kind=EventKind.RELEASE, date="2019", sets_status=Status.RELEASED)  # saved before the rule
    advocacy = make_event(case, kind=EventKind.ADVOCACY, date="2022")
    advocacy.description = "A call for release."
    advocacy.full_clean()


def test_the_event_admin_refuses_a_kind_and_status_that_do_not_fit(admin_client):
    case = make_case()
    data = {
        "case": case.pk, "kind": EventKind.DEATH, "date": "2023", "position": 0, "sets_status": Status.RELEASED,
        "visibility": Visibility.INTERNAL,
        "citations-TOTAL_FORMS": 0, "citations-INITIAL_FORMS": 0, "citations-MIN_NUM_FORMS": 0, "citations-MAX_NUM_FORMS": 1000,
    }
    response = admin_client.post(reverse("admin:cases_event_add"), data)
    assert "“Death” cannot put the case in status “released”. It can set: deceased." in response.content.decode()
    assert not Event.objects.exists()


def case_page_data(case, *rows):
    data = {
        "person": case.person.pk, "title_en": case.title, "slug": case.slug, "visibility": Visibility.PUBLIC,
        "events-TOTAL_FORMS": len(rows), "events-INITIAL_FORMS": sum(1 for row in rows if row.get("id")),
        "events-MIN_NUM_FORMS": 0, "events-MAX_NUM_FORMS": 1000,
        "citations-TOTAL_FORMS": 0, "citations-INITIAL_FORMS": 0, "citations-MIN_NUM_FORMS": 0, "citations-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        row = {"position": 0, "visibility": Visibility.PUBLIC, "case": case.pk, **row}
        data.update({f"events-{index}-{name}": value for name, value in row.items()})
    return data


def test_moving_arrest_and_release_together_on_the_case_page_is_judged_as_the_page_leaves_them(admin_client):
    case = make_case()
    arrest = make_event(case, kind=EventKind.ARREST, date="2019", sets_status=Status.DETAINED)
    release = make_event(case, kind=EventKind.RELEASE, date="2020", sets_status=Status.RELEASED)
    data = case_page_data(
        case,
        {"id": arrest.pk, "kind": EventKind.ARREST, "date": "2021", "sets_status": Status.DETAINED},
        {"id": release.pk, "kind": EventKind.RELEASE, "date": "2022", "sets_status": Status.RELEASED},
    )
    response = admin_client.post(reverse("admin:cases_case_change", args=[case.pk]), data)
    assert response.status_code == 302
    assert sorted(Event.objects.values_list("date", flat=True)) == ["2021", "2022"]


def test_a_death_typed_before_a_stored_arrest_on_the_case_page_saves_nothing(admin_client):
    case = make_case()
    arrest = make_event(case, kind=EventKind.ARREST, date="2021", sets_status=Status.DETAINED)
    data = case_page_data(
        case,
        {"id": arrest.pk, "kind": EventKind.ARREST, "date": "2021", "sets_status": Status.DETAINED},
        {"kind": EventKind.DEATH, "date": "2020", "sets_status": Status.DECEASED},
    )
    response = admin_client.post(reverse("admin:cases_case_change", args=[case.pk]), data)
    assert response.status_code == 200
    assert "The death (2020) is dated before the arrest (2021)" in response.content.decode()
    assert Event.objects.count() == 1


# Ordering where the sources are vague ----------------------------------------


def status_of(case):
    return Case.objects.get(pk=case.pk).current_status


def test_where_status_dates_overlap_the_editors_order_decides():
    case = make_case()
    detention = make_event(case, kind=EventKind.DETENTION, date="2021-06", sets_status=Status.DETAINED, position=0)
    sentence = make_event(case, kind=EventKind.SENTENCE, date="2020-03-05/2023-03-21", sets_status=Status.SENTENCED,
                          sentence_kind="life", position=1)
    assert status_of(case) == Status.SENTENCED
    assert case.status_history() == [detention, sentence]
    Event.objects.filter(pk=detention.pk).update(position=2)
    case.refresh_status()
    assert status_of(case) == Status.DETAINED


def test_dates_that_do_not_overlap_are_not_reordered_by_position():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2019", sets_status=Status.DETAINED, position=5)
    make_event(case, kind=EventKind.RELEASE, date="2020", sets_status=Status.RELEASED, position=0)
    assert status_of(case) == Status.RELEASED


def test_the_admin_says_which_order_it_used_for_overlapping_dates_and_why(admin_client):
    case = make_case()
    make_event(case, kind=EventKind.DETENTION, date="2021-06", sets_status=Status.DETAINED, position=0)
    sentence = make_event(case, kind=EventKind.SENTENCE, date="2020-03-05/2023-03-21", sets_status=Status.SENTENCED,
                          sentence_kind="life", position=1)
    data = {
        "case": case.pk, "kind": EventKind.SENTENCE, "date": sentence.date, "position": 1, "sets_status": Status.SENTENCED,
        "sentence_kind": "life", "visibility": Visibility.PUBLIC,
        "citations-TOTAL_FORMS": 0, "citations-INITIAL_FORMS": 0, "citations-MIN_NUM_FORMS": 0, "citations-MAX_NUM_FORMS": 1000,
    }
    response = admin_client.post(reverse("admin:cases_event_change", args=[sentence.pk]), data, follow=True)
    page = " ".join(response.content.decode().split())
    assert (
        "The dates of the Detention (June 2021) and the Sentence (between 5 March 2020 and 21 March 2023) overlap, "
        "so either may have come first. Their order fields (0, then 1) put the Sentence (between 5 March 2020 and 21 March 2023) last."
    ) in page


def test_the_admin_says_when_equal_order_fields_leave_the_dates_to_decide(admin_client):
    case = make_case()
    make_event(case, kind=EventKind.DETENTION, date="2021-06", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.SENTENCE, date="2020-03-05/2023-03-21", sets_status=Status.SENTENCED, sentence_kind="life")
    notes = case.overlap_notes()
    assert len(notes) == 1
    assert "Both have order 0, so the one that may have begun earlier is put first and the Detention (June 2021) last." in notes[0]
    assert "give the one that came last the higher order" in notes[0]


# The import checks the same rules -----------------------------------------------

HEADER = "id,name,case_title,event_type,event_date,status\n"


def import_file(tmp_path, text):
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + text)
    errors = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_spreadsheet", str(path), "--no-progress", stdout=io.StringIO(), stderr=errors)
    return errors.getvalue()


def test_import_refuses_a_status_the_event_kind_cannot_set(tmp_path):
    errors = import_file(tmp_path, "P-1,Someone,Case,death,2023,released\n")
    assert "row 2, status" in errors and "“Death” cannot put the case in status “released”" in errors
    assert not Event.objects.exists()


def test_import_refuses_a_death_before_the_arrest_in_the_same_case(tmp_path):
    Case.objects.create(person=Person.objects.create(name="Someone"), title="Case")
    errors = import_file(tmp_path, ",Someone,Case,arrest,2021,detained\n,Someone,Case,death,2020,deceased\n")
    assert "row 3, event_date" in errors and "The death (2020) is dated before the arrest (2021)" in errors
    assert not Event.objects.exists() and Case.objects.count() == 1


def test_import_refuses_an_arrest_after_a_stored_death(tmp_path):
    person = Person.objects.create(name="Someone", external_id="P-1")
    case = Case.objects.create(person=person, title="Case")
    make_event(case, kind=EventKind.DEATH, date="2020", sets_status=Status.DECEASED)
    errors = import_file(tmp_path, "P-1,Someone,Case,arrest,2021,detained\n")
    assert "The arrest (2021) is dated after the person's death (2020)" in errors
    assert Event.objects.count() == 1


def test_an_open_beginning_may_reach_back_before_a_release():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="../2023", sets_status=Status.DETAINED)
    release = Event(case=case, kind=EventKind.RELEASE, date="2020", sets_status=Status.RELEASED, visibility=Visibility.PUBLIC)
    release.full_clean()


def test_saving_the_case_page_says_which_order_it_used_for_overlapping_dates(admin_client):
    case = make_case()
    detention = make_event(case, kind=EventKind.DETENTION, date="2021-06", sets_status=Status.DETAINED, position=0)
    sentence = make_event(case, kind=EventKind.SENTENCE, date="2020-03-05/2023-03-21", sets_status=Status.SENTENCED,
                          sentence_kind="life", position=1)
    data = case_page_data(
        case,
        {"id": detention.pk, "kind": EventKind.DETENTION, "date": "2021-06", "sets_status": Status.DETAINED},
        {"id": sentence.pk, "kind": EventKind.SENTENCE, "date": sentence.date, "sets_status": Status.SENTENCED,
         "sentence_kind": "life", "position": 1},
    )
    response = admin_client.post(reverse("admin:cases_case_change", args=[case.pk]), data, follow=True)
    page = " ".join(response.content.decode().split())
    assert "Their order fields (0, then 1) put the Sentence (between 5 March 2020 and 21 March 2023) last." in page
    assert status_of(case) == Status.SENTENCED
