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
