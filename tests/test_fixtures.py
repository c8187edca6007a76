"""The seed data: loads twice without duplicates and holds only what the documents say."""

import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from cases.models import (
    Case,
    Citation,
    Confidence,
    Event,
    EventKind,
    Organization,
    Person,
    Source,
    StatisticClaim,
    Status,
    Visibility,
)

ROOT = Path(__file__).resolve().parent.parent
SEED_FILE = ROOT / "fixtures" / "seed.json"
# The two source documents, kept in the repository beside the data taken from them.
SEED_DOCUMENTS = ROOT / "fixtures" / "documents"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"

pytestmark = pytest.mark.django_db


def normalize(text):
    return re.sub(r"\s+", " ", text).strip()


def counts():
    return {model.__name__: model.objects.count() for model in apps.get_app_config("cases").get_models()}


def test_fixtures_load_twice_without_duplicates():
    call_command("loaddata", str(SEED_FILE), verbosity=0)
    first = counts()
    call_command("loaddata", str(SEED_FILE), verbosity=0)
    assert counts() == first
    assert first["Case"] == 2 and first["Source"] == 2


def test_seeded_cases_have_the_status_their_events_give(seeded):
    shovalizoda = Case.objects.get(slug="hizbullo-shovalizoda")
    assert shovalizoda.current_status == Status.SENTENCED
    assert shovalizoda.status_since_display == "between 5 March 2020 and 21 March 2023"
    assert shovalizoda.sentence_event.sentence_years == 20
    shamsiddin = Case.objects.get(slug="abdullokhi-shamsiddin")
    assert shamsiddin.current_status == Status.INCOMMUNICADO
    assert shamsiddin.status_since_display == "between 18 January and 21 March 2023"


def test_seeded_deportations_have_the_exact_days_the_statement_gives(seeded):
    deportations = {e.case.person.name: e for e in Event.objects.filter(kind="deportation").select_related("case__person")}
    assert deportations["Hizbullo Shovalizoda"].date == "2020-03-05"
    assert deportations["Hizbullo Shovalizoda"].sending_country.code == "AT"
    assert deportations["Abdullokhi Shamsiddin"].date == "2023-01-18"
    assert deportations["Abdullokhi Shamsiddin"].sending_country.code == "DE"


def test_no_seeded_date_is_more_precise_than_a_day_the_documents_give(seeded):
    # The only exact days in the documents are the two deportations.
    exact_days = {e.date for e in Event.objects.all() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", e.date)}
    assert exact_days == {"2020-03-05", "2023-01-18"}


def test_every_citation_has_a_verbatim_excerpt_from_its_document(seeded):
    documents = {path.read_text() for path in SEED_DOCUMENTS.glob("*.txt")}
    assert Citation.objects.count() > 20
    for citation in Citation.objects.select_related("source"):
        assert citation.excerpt.strip(), citation.pk
        assert citation.excerpt in citation.source.text, citation.pk
        assert any(citation.excerpt in document for document in documents), citation.pk


def test_repository_copies_of_the_documents_match_the_originals():
    copies = sorted(SEED_DOCUMENTS.glob("*.txt"))
    assert len(copies) == 2
    if SHARED_SEEDS.is_dir():  # beside the checkout in development; CI has only the copies
        assert {path.name: path.read_bytes() for path in copies} == {
            path.name: path.read_bytes() for path in SHARED_SEEDS.glob("*.txt")
        }


def test_source_texts_are_the_seed_documents_word_for_word(seeded):
    documents = {normalize(path.read_text()) for path in SEED_DOCUMENTS.glob("*.txt")}
    assert {normalize(source.text) for source in Source.objects.all()} == documents


def test_every_seeded_event_person_and_claim_is_cited(seeded):
    for event in Event.objects.all():
        assert event.citations.exists(), event
    for person in Person.objects.all():
        assert person.citations.exists() or person.affiliations.filter(citations__isnull=False).exists(), person
    for claim in StatisticClaim.objects.all():
        assert claim.citations.exists(), claim


def test_name_variant_from_the_statement_is_recorded(seeded):
    person = Person.objects.get(slug="abdullokhi-shamsiddin")
    assert list(person.name_variants.filter(transliteration=False).values_list("name", flat=True)) == ["Abdullohi Shamsiddin"]


def test_the_number_of_political_prisoners_is_a_claim_not_a_person(seeded):
    claim = StatisticClaim.objects.get(count=8500)
    assert claim.quantifier == "more_than"
    assert not Person.objects.filter(name__icontains="prisoner").exists()


def test_fixture_records_are_all_published_and_hold_no_derived_values():
    # Derived values (status, search keys, date bounds) are computed on load, never typed.
    data = json.loads(SEED_FILE.read_text())
    derived = {"current_status", "status_since", "search_key", "date_lower", "date_upper", "sha256", "status_event"}
    for item in data:
        assert item["fields"].get("visibility") == Visibility.PUBLIC, item
        assert not derived & set(item["fields"]), item


def cited_documents(record):
    return [citation.source.text for citation in record.citations.select_related("source")]


def test_the_hostage_taking_is_its_own_event_cited_in_the_statements_words(seeded):
    hostage = Event.objects.get(case__slug="abdullokhi-shamsiddin", kind=EventKind.HELD_HOSTAGE)
    assert hostage.get_kind_display() == "Held as a hostage for a relative"
    assert hostage.date == "2023-01-18/2023-03-21"
    assert any("as hostage" in citation.excerpt for citation in hostage.citations.all())


def test_the_closed_trial_is_a_trial_event(seeded):
    trial = Event.objects.get(case__slug="hizbullo-shovalizoda", kind=EventKind.TRIAL)
    assert "closed session" in trial.description
    assert any("in a closed session" in citation.excerpt for citation in trial.citations.all())
    assert trial.date == "2020-03-05/2023-03-21"


def test_every_figure_carries_the_date_it_refers_to(seeded):
    claims = {claim.subject: claim for claim in StatisticClaim.objects.all()}
    assert all(claim.date for claim in claims.values())
    assert claims["political prisoners"].date == "XXXX"  # the report gives no year
    assert claims["dissidents tortured in prison"].date == "2023-03-21/2023-03-29"  # the visits' days


def test_the_badakhshan_figure_is_worded_as_the_statement_words_it(seeded):
    claim = StatisticClaim.objects.get(statement__contains="Badakhshan")
    assert "shot and tortured in the massacres in Badakhshan" in claim.statement
    assert "graves were still fresh in Vamar and Khorog" in claim.statement
    assert not claim.country  # the statement does not name the country
    (citation,) = claim.citations.all()
    assert "crimes against humanity in Badakhshan" in citation.excerpt
    assert "still fresh in Vamar and Khorog" in citation.excerpt


def test_one_confidence_rule_applies_to_every_citation(seeded):
    by_excerpt = {}
    for citation in Citation.objects.all():
        by_excerpt.setdefault(normalize(citation.excerpt), set()).add(citation.confidence)
    assert all(len(confidences) == 1 for confidences in by_excerpt.values()), by_excerpt
    # Confirmed only for the source's own act or its words about itself (README, "Confidence").
    for citation in Citation.objects.filter(confidence=Confidence.CONFIRMED).select_related("source", "event"):
        publisher = citation.source.publisher_id
        assert publisher and (citation.organization_id == publisher or (citation.event and citation.event.authority_id == publisher)), citation.pk


def test_no_place_or_country_is_recorded_that_the_text_does_not_give(seeded):
    records = [*Event.objects.all(), *Organization.objects.all(), *StatisticClaim.objects.all()]
    for record in records:
        documents = cited_documents(record)
        if getattr(record, "country", None):
            assert any(record.country.name in document for document in documents), record
        for place in (getattr(record, "place", ""), getattr(record, "city", "")):
            if place:
                assert any(place.lower() in document.lower() for document in documents), record


def test_the_migration_renames_stored_relative_hostage_events(seeded):
    import importlib

    migration = importlib.import_module("cases.migrations.0007_i10_attested_hostage")
    Event.objects.filter(kind=EventKind.HELD_HOSTAGE).update(kind="relative_hostage")
    migration.rename_hostage_kind(apps, "relative_hostage", "held_hostage")
    assert not Event.objects.filter(kind="relative_hostage").exists()
    assert Event.objects.filter(kind=EventKind.HELD_HOSTAGE).count() == 1


def test_the_home_page_gives_each_figure_the_date_it_refers_to(client, seeded):
    page = " ".join(re.sub(r"<[^>]+>", " ", client.get("/").content.decode()).split())
    assert "graves were still fresh in Vamar and Khorog, according to the National Alliance of Tajikistan. (refers to: on or before 21 March 2023)" in page
