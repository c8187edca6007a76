import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from cases.models import (
    Affiliation,
    Case,
    Citation,
    Event,
    EventKind,
    NameVariant,
    Organization,
    Person,
    Relationship,
    RelationshipKind,
    SentenceKind,
    Source,
    StatisticClaim,
    Visibility,
    publishing,
)

from .conftest import SET_UP, make_case, make_citation, make_event, make_organization, make_pdf, make_person, make_source

pytestmark = pytest.mark.django_db


def test_every_new_record_is_internal_by_default():
    person = Person.objects.create(name="New Person")
    org = Organization.objects.create(name="New Org", kind="court")
    case = Case.objects.create(person=person, title="t")
    event = Event.objects.create(case=case, kind=EventKind.ARREST, date="2023")
    source = Source.objects.create(title="s", kind="report")
    records = [
        person,
        org,
        case,
        event,
        source,
        NameVariant.objects.create(person=person, name="Other"),
        Affiliation.objects.create(person=person, organization=org, role="member"),
        Relationship.objects.create(person=person, relative=make_person(), kind=RelationshipKind.SIBLING),
        StatisticClaim.objects.create(statement="c", subject="s", quantifier="about"),
        Citation.objects.create(source=source, event=event, excerpt="x", confidence="likely"),
    ]
    assert {record.visibility for record in records} == {Visibility.INTERNAL}


def test_public_querysets_hide_children_of_internal_parents():
    hidden_person = make_person(visibility=Visibility.INTERNAL)
    case = make_case(person=hidden_person)
    event = make_event(case)
    make_citation(event=event)
    assert not Case.objects.public().exists()
    assert not Event.objects.public().exists()
    assert not Citation.objects.public().exists()


def test_citation_is_not_public_when_its_source_is_internal():
    event = make_event(make_case(), cited=False)
    make_citation(event=event, source=make_source(visibility=Visibility.INTERNAL))
    assert not Citation.objects.public().exists()


def test_slug_is_made_in_latin_letters_and_kept_unique():
    first = make_person(name="Ҳизбулло Шовализода")
    second = make_person(name="Hizbullo Shovalizoda")
    assert first.slug.isascii() and first.slug.startswith("h")
    assert second.slug != first.slug


def test_person_search_key_is_folded_from_the_name():
    person = make_person(name="ABDULLOKHI  Shamsiddin")
    assert person.search_key == person.search_key.lower()
    assert "  " not in person.search_key


def test_invalid_event_date_is_a_form_error_on_the_date_field():
    event = Event(case=make_case(), kind=EventKind.ARREST, date="2023-13-45")
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "date" in error.value.message_dict
    assert "2020-03-05/2023-03" in error.value.message_dict["date"][0]


def test_prison_term_needs_its_length():
    event = Event(case=make_case(), kind=EventKind.SENTENCE, date="2021", sentence_kind=SentenceKind.PRISON_TERM)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "sentence_years" in error.value.message_dict


def test_only_a_sentence_has_a_term():
    event = Event(case=make_case(), kind=EventKind.ARREST, date="2021", sentence_years=3)
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "sentence_years" in error.value.message_dict


def test_release_dated_before_the_arrest_is_refused():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2022-05-01")
    release = Event(case=case, kind=EventKind.RELEASE, date="2021-12")
    with pytest.raises(ValidationError) as error:
        release.full_clean()
    assert "before the arrest" in error.value.message_dict["date"][0]


def test_release_that_may_overlap_the_arrest_is_accepted():
    case = make_case()
    make_event(case, kind=EventKind.ARREST, date="2022-05-01")
    Event(case=case, kind=EventKind.RELEASE, date="2022").full_clean()


def test_citation_must_support_exactly_one_fact():
    event = make_event(make_case())
    citation = Citation(source=make_source(), excerpt="words", confidence="likely", event=event, person=event.case.person)
    with pytest.raises(ValidationError):
        citation.full_clean()
    with pytest.raises(IntegrityError):
        Citation.objects.create(source=make_source(), excerpt="words", confidence="likely")


def test_excerpt_must_be_verbatim_when_the_source_text_is_known():
    source = make_source(text="He was transferred to the hands of the Tajikistan KGB.")
    event = make_event(make_case())
    good = Citation(source=source, event=event, excerpt="transferred to the hands of the  Tajikistan KGB", confidence="likely")
    good.full_clean()
    bad = Citation(source=source, event=event, excerpt="transferred to the security service", confidence="likely")
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert "excerpt" in error.value.message_dict


def test_uploaded_source_file_gets_its_sha256_and_a_generated_name(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    source = make_source(file=SimpleUploadedFile("Witness Name - letter.pdf", make_pdf(author="Witness Name")))
    stored = source.file.open("rb").read()
    assert source.sha256 == hashlib.sha256(stored).hexdigest(), "the checksum is the stored (cleaned) file's"
    assert "Witness" not in source.file.name and source.file.name.endswith(".pdf")
    source.title = "Renamed"
    source.save()
    assert Source.objects.get(pk=source.pk).sha256 == hashlib.sha256(stored).hexdigest()


def test_person_cannot_be_their_own_relative():
    person = make_person()
    with pytest.raises(ValidationError):
        Relationship(person=person, relative=person, kind=RelationshipKind.PARENT).full_clean()


def test_affiliation_period_is_validated():
    affiliation = Affiliation(person=make_person(), organization=make_organization(), role="member", period="last spring")
    with pytest.raises(ValidationError) as error:
        affiliation.full_clean()
    assert "period" in error.value.message_dict


def test_citation_is_not_public_when_the_fact_it_supports_is_internal():
    claim = StatisticClaim.objects.create(statement="c", subject="s", quantifier="about")  # internal by default
    make_citation(claim=claim)
    event = make_event(make_case(), visibility=Visibility.INTERNAL)
    make_citation(event=event)
    assert not Citation.objects.public().exists()
    claim.visibility = Visibility.PUBLIC
    with publishing(SET_UP):
        claim.save()
    assert list(Citation.objects.public().values_list("claim", flat=True)) == [claim.pk]
