import datetime

import pytest

from cases.models import Case, Event, EventKind, SentenceKind, Status, Visibility, publishing

from .conftest import SET_UP, make_case, make_event, publisher

pytestmark = pytest.mark.django_db


def status_of(case):
    case = Case.objects.get(pk=case.pk)
    return case.current_status, case.status_since


def test_case_without_status_events_is_unknown():
    case = make_case()
    make_event(case, kind=EventKind.ADVOCACY, date="2023-03")
    assert status_of(case) == (Status.UNKNOWN, "")


def test_latest_status_event_sets_the_status_whatever_order_they_were_entered_in():
    case = make_case()
    make_event(case, kind=EventKind.SENTENCE, date="2021-06", sets_status=Status.SENTENCED,
               sentence_kind=SentenceKind.PRISON_TERM, sentence_years=7)
    make_event(case, kind=EventKind.ARREST, date="2020-03-05", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.TORTURE_REPORTED, date="2022")  # sets no status
    assert status_of(case) == (Status.SENTENCED, "2021-06")


def test_uncertain_date_sorts_by_its_earliest_day_then_its_latest():
    case = make_case()
    # Both may be in 2023; the month is narrower and ends first.
    make_event(case, kind=EventKind.DETENTION, date="2023", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.DEPORTATION, date="2023-01", sets_status=Status.DEPORTED)
    assert status_of(case)[0] == Status.DETAINED


def test_open_beginning_sorts_by_its_end_so_it_can_become_the_current_status():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2021-05", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="../2023-03", sets_status=Status.RELEASED)
    assert status_of(case) == (Status.RELEASED, "../2023-03")


def test_events_with_the_same_dates_follow_the_editors_order():
    case = make_case()
    make_event(case, kind=EventKind.INCOMMUNICADO, date="2023-01-18/2023-03", sets_status=Status.INCOMMUNICADO, position=30)
    make_event(case, kind=EventKind.TRANSFER, date="2023-01-18/2023-03", sets_status=Status.DETAINED, position=20)
    assert status_of(case)[0] == Status.INCOMMUNICADO
    Event.objects.filter(kind=EventKind.TRANSFER).update(position=40)
    case.refresh_status()
    assert status_of(case)[0] == Status.DETAINED


def test_tie_on_date_and_order_goes_to_the_event_entered_last():
    case = make_case()
    make_event(case, kind=EventKind.TRANSFER, date="2023-02", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.INCOMMUNICADO, date="2023-02", sets_status=Status.INCOMMUNICADO)
    assert status_of(case)[0] == Status.INCOMMUNICADO


def test_deleting_the_latest_status_event_falls_back_to_the_one_before():
    case = make_case()
    make_event(case, kind=EventKind.DEPORTATION, date="2023-01-18", sets_status=Status.DEPORTED)
    release = make_event(case, kind=EventKind.RELEASE, date="2024-05", sets_status=Status.RELEASED)
    assert status_of(case)[0] == Status.RELEASED
    release.delete()
    assert status_of(case) == (Status.DEPORTED, "2023-01-18")


def test_unpublishing_an_event_removes_it_from_the_public_status():
    case = make_case()
    make_event(case, kind=EventKind.DEPORTATION, date="2023-01-18", sets_status=Status.DEPORTED)
    detention = make_event(case, kind=EventKind.DETENTION, date="2023-02", sets_status=Status.DETAINED)
    detention.visibility = Visibility.INTERNAL
    with publishing(SET_UP):
        detention.save()
    assert status_of(case)[0] == Status.DEPORTED


def test_bulk_unpublish_and_publish_refresh_the_status():
    case = make_case()
    make_event(case, kind=EventKind.DEPORTATION, date="2023-01-18", sets_status=Status.DEPORTED)
    make_event(case, kind=EventKind.DETENTION, date="2023-02", sets_status=Status.DETAINED)
    Event.objects.filter(kind=EventKind.DETENTION).set_visibility(Visibility.INTERNAL, by=publisher())
    assert status_of(case)[0] == Status.DEPORTED
    Event.objects.filter(kind=EventKind.DETENTION).set_visibility(Visibility.PUBLIC, by=publisher())
    assert status_of(case)[0] == Status.DETAINED


def test_editing_an_event_date_reorders_the_status():
    case = make_case()
    first = make_event(case, kind=EventKind.DETENTION, date="2020", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="2021", sets_status=Status.RELEASED)
    first.date = "2022"
    first.save()
    assert status_of(case) == (Status.DETAINED, "2022")


def test_moving_an_event_to_another_case_refreshes_both():
    old, new = make_case(), make_case()
    event = make_event(old, kind=EventKind.ARREST, sets_status=Status.DETAINED)
    event = Event.objects.get(pk=event.pk)
    event.case = new
    event.save()
    assert status_of(old)[0] == Status.UNKNOWN
    assert status_of(new)[0] == Status.DETAINED


def test_saving_a_stale_case_object_does_not_overwrite_the_derived_status():
    case = make_case()
    stale = Case.objects.get(pk=case.pk)
    make_event(case, kind=EventKind.ARREST, sets_status=Status.DETAINED)
    stale.title = "Renamed"
    stale.save()
    assert status_of(case)[0] == Status.DETAINED


def test_status_history_lists_status_events_oldest_first_and_hides_internal_ones_by_default():
    case = make_case()
    a = make_event(case, kind=EventKind.DEPORTATION, date="2023-01-18", sets_status=Status.DEPORTED)
    b = make_event(case, kind=EventKind.DETENTION, date="2023-02", sets_status=Status.DETAINED, visibility=Visibility.INTERNAL)
    make_event(case, kind=EventKind.ADVOCACY, date="2023-03")
    assert case.status_history() == [a]
    assert case.status_history(include_internal=True) == [a, b]


def test_expected_end_of_a_prison_term_keeps_the_sentence_dates_uncertainty():
    case = make_case()
    sentence = make_event(case, kind=EventKind.SENTENCE, date="2020-03-05/2023-03", sets_status=Status.SENTENCED,
                          sentence_kind=SentenceKind.PRISON_TERM, sentence_years=20)
    case = Case.objects.get(pk=case.pk)
    assert case.sentence_event == sentence
    assert sentence.expected_end == (datetime.date(2040, 3, 5), datetime.date(2043, 3, 31))
    assert sentence.expected_end_display == "between 5 March 2040 and 31 March 2043"
    assert sentence.term_display == "20 years"


def test_expected_end_counts_from_the_term_start_when_the_source_gives_one():
    case = make_case()
    sentence = make_event(case, kind=EventKind.SENTENCE, date="2021-06-10", sets_status=Status.SENTENCED,
                          sentence_kind=SentenceKind.PRISON_TERM, sentence_years=7, sentence_months=6,
                          term_start="2020-03-05")
    assert sentence.expected_end == (datetime.date(2027, 9, 5), datetime.date(2027, 9, 5))


def test_a_life_sentence_has_no_expected_end():
    case = make_case()
    sentence = make_event(case, kind=EventKind.SENTENCE, date="2021", sets_status=Status.SENTENCED,
                          sentence_kind=SentenceKind.LIFE)
    assert sentence.expected_end is None


def test_status_is_stale_when_never_verified_or_verified_long_ago(settings):
    settings.STATUS_STALE_AFTER_DAYS = 30
    case = make_case()
    assert case.is_status_stale
    case.last_verified = datetime.date.today() - datetime.timedelta(days=31)
    assert case.is_status_stale
    case.last_verified = datetime.date.today() - datetime.timedelta(days=3)
    assert not case.is_status_stale
