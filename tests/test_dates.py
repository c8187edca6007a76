import datetime

import pytest
from django.core.exceptions import ValidationError

from cases import dates

D = datetime.date


@pytest.mark.parametrize(
    "text, lower, upper",
    [
        ("2020-03-05", D(2020, 3, 5), D(2020, 3, 5)),
        ("2023-01", D(2023, 1, 1), D(2023, 1, 31)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("2020", D(2020, 1, 1), D(2020, 12, 31)),
        ("2020~", D(2020, 1, 1), D(2020, 12, 31)),
        ("2020-03-05/2023-03", D(2020, 3, 5), D(2023, 3, 31)),
        ("../2023-03", None, D(2023, 3, 31)),
        ("2023-03/..", D(2023, 3, 1), None),
        ("2020-03-XX", D(2020, 3, 1), D(2020, 3, 31)),
        ("XXXX", None, None),
    ],
)
def test_edtf_bounds_are_the_earliest_and_latest_possible_day(text, lower, upper):
    assert dates.parse(text) == (lower, upper)


@pytest.mark.parametrize("text", ["2023-13-45", "yesterday", "2023-02-30", "18.01.2023", "January 2023"])
def test_unreadable_or_impossible_date_is_refused_with_help(text):
    with pytest.raises(ValidationError) as error:
        dates.parse(text)
    message = error.value.messages[0]
    assert text in message
    assert "2020-03-05/2023-03" in message  # the message shows how to write it


def test_interval_that_ends_before_it_begins_is_refused():
    with pytest.raises(ValidationError) as error:
        dates.parse("2023/2020")
    assert error.value.code == "edtf_reversed"


def test_empty_date_is_refused():
    with pytest.raises(ValidationError):
        dates.parse("  ")


@pytest.mark.parametrize(
    "text, words",
    [
        ("2020-03-05", "5 March 2020"),
        ("2023-01", "January 2023"),
        ("2020", "2020"),
        ("2020~", "about 2020"),
        ("2020?", "perhaps 2020"),
        ("2020-03/2023-03", "between March 2020 and March 2023"),
        ("2020-03-05/2023-03", "between 5 March 2020 and March 2023"),
        ("../2023-03", "before the end of March 2023"),
        ("../2023-03-21", "on or before 21 March 2023"),
        ("2023-03/..", "from March 2023 on"),
        ("201X", "the 2010s"),
    ],
)
def test_uncertain_dates_are_said_in_words_that_keep_the_uncertainty(text, words):
    assert dates.humanize(text) == words


def test_a_term_ending_on_a_day_that_does_not_exist_ends_on_the_last_day_of_the_month():
    assert dates.add_term(D(2020, 2, 29), years=1) == D(2021, 2, 28)
    assert dates.add_term(D(2020, 1, 31), months=1) == D(2020, 2, 29)
    assert dates.add_term(D(2020, 11, 15), years=2, months=3) == D(2023, 2, 15)


def test_range_of_days_in_words():
    assert dates.describe_range(D(2040, 3, 5), D(2040, 3, 5)) == "5 March 2040"
    assert dates.describe_range(D(2040, 3, 1), D(2040, 3, 31)) == "March 2040"
    assert dates.describe_range(D(2040, 3, 5), D(2043, 3, 21)) == "between 5 March 2040 and 21 March 2043"
    assert dates.describe_range(None, D(2043, 3, 21)) == "on or before 21 March 2043"


@pytest.mark.parametrize(
    "text, lower, upper",
    [
        # An empty end is unknown: no bound on that side, never the ten years the edtf package invents.
        ("/2023", None, D(2023, 12, 31)),
        ("2020-03-05/", D(2020, 3, 5), None),
        ("../..", None, None),
        ("2020-21", D(2020, 3, 1), D(2020, 5, 31)),
        ("[2020,2021]", D(2020, 1, 1), D(2021, 12, 31)),
        ("{2020,2021}", D(2020, 1, 1), D(2021, 12, 31)),
    ],
)
def test_open_and_empty_ends_store_no_bound_and_other_forms_their_true_bounds(text, lower, upper):
    assert dates.parse(text) == (lower, upper)


def test_a_sentence_with_an_empty_end_gets_no_invented_expected_end():
    from cases.models import Event, SentenceKind

    event = Event(kind="sentence", date="2020-03-05/", sentence_kind=SentenceKind.PRISON_TERM, sentence_years=20)
    event.fill_derived_fields()
    assert event.expected_end == (D(2040, 3, 5), None)
    assert event.expected_end_display == "on or after 5 March 2040"


@pytest.mark.parametrize(
    "text, words",
    [
        ("2020-21", "spring 2020"),
        ("2020-24", "winter 2020"),
        ("[2020,2021]", "2020 or 2021"),
        ("[2020, 2021, 2022]", "2020, 2021 or 2022"),
        ("{2020,2021}", "2020 and 2021"),
        ("XXXX", "date unknown"),
        ("../..", "date unknown"),
        ("2023-01-18/2023-01-18", "18 January 2023"),
        ("2023-01/2023-01", "January 2023"),
        ("/2023", "before the end of 2023"),
        ("2020-03-05/", "on or after 5 March 2020"),
        ("2023-XX", "2023"),
        ("2023-03-XX", "March 2023"),
        ("2023-01-18%", "perhaps about 18 January 2023"),
        ("2020~/2021", "between about 2020 and 2021"),
    ],
)
def test_every_accepted_form_is_said_in_words(text, words):
    dates.parse(text)  # accepted
    assert dates.humanize(text) == words


@pytest.mark.parametrize("text", ["-0001", "Y20000", "2023-01-18T10:00:00", "2004-06~-11", "2020-25", "[2020..2022]", "XXXX-03"])
def test_a_form_that_cannot_be_said_in_words_is_refused_with_the_help(text):
    with pytest.raises(ValidationError) as error:
        dates.parse(text)
    message = error.value.messages[0]
    assert text in message and "cannot say in words" in message
    assert "XXXX (the date is unknown)" in message
    assert "../2023-03 (before" in message and "2023-03/.. (after" in message


def test_the_fields_help_says_how_to_write_unknown_before_and_after():
    from cases.models import Event

    help_text = str(Event._meta.get_field("date").help_text)
    assert "XXXX" in help_text and "../2023-03" in help_text and "2023-03/.." in help_text


def test_words_are_given_in_the_language_asked_for():
    from django.utils import translation

    with translation.override("en"):
        assert dates.humanize("2023-01", language="en") == "January 2023"
    assert dates.humanize("2023-01-18/2023-03", language="en") == "between 18 January 2023 and March 2023"


def test_event_form_refuses_an_unsayable_date(admin_client):
    from django.urls import reverse

    from cases.models import Event
    from tests.conftest import make_case

    case = make_case()
    data = {
        "case": case.pk, "kind": "arrest", "date": "Y20000", "position": 0, "visibility": "internal",
        "citations-TOTAL_FORMS": 0, "citations-INITIAL_FORMS": 0, "citations-MIN_NUM_FORMS": 0, "citations-MAX_NUM_FORMS": 1000,
    }
    response = admin_client.post(reverse("admin:cases_event_add"), data)
    assert "“Y20000” is a form of date this tracker cannot say in words." in response.content.decode()
    assert not Event.objects.exists()
