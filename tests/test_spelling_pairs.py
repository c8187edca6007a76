"""Real spelling pairs: every "should match" pair is found, no "must not match" pair is."""

import io

import pytest
from django.core.management import call_command

from cases.names import matches
from cases.spelling_pairs import MUST_NOT_MATCH, SHOULD_MATCH
from cases.models import Person
from tests.conftest import make_person


def test_the_table_is_large_and_covers_every_source_language():
    assert len(SHOULD_MATCH) + len(MUST_NOT_MATCH) >= 100
    notes = " ".join(note for _typed, _stored, note in SHOULD_MATCH)
    for convention in ["German", "French", "Russian", "Tajik", "Uzbek", "Persian", "Arabic"]:
        assert convention in notes, convention


@pytest.mark.parametrize("typed, stored, note", SHOULD_MATCH)
def test_a_spelling_from_another_source_finds_the_name(typed, stored, note):
    assert matches(typed, stored), note


@pytest.mark.parametrize("typed, stored, note", MUST_NOT_MATCH)
def test_a_different_name_is_not_found(typed, stored, note):
    assert not matches(typed, stored), note


@pytest.mark.django_db
def test_the_database_index_agrees_with_the_rules_on_every_pair():
    people = {stored: make_person(name=stored).pk for _typed, stored, _note in SHOULD_MATCH + MUST_NOT_MATCH}
    for typed, stored, note in SHOULD_MATCH:
        assert Person.objects.search(typed).filter(pk=people[stored]).exists(), (typed, stored, note)
    for typed, stored, note in MUST_NOT_MATCH:
        # Rank 0 is the near-miss fallback, shown apart when no name matches.
        assert not Person.objects.search(typed).filter(pk=people[stored], name_rank__gt=0).exists(), (typed, stored, note)


@pytest.mark.django_db
def test_the_report_command_prints_the_hit_rate_and_no_false_match():
    out = io.StringIO()
    call_command("name_search_report", "--through-index", stdout=out)
    report = out.getvalue()
    assert f"should match:   {len(SHOULD_MATCH)} of {len(SHOULD_MATCH)} found (100.0 %)" in report
    assert f"must not match: 0 false matches of {len(MUST_NOT_MATCH)}" in report
    assert Person.objects.count() == 0, "the report leaves nothing behind"
