"""Markup typed into any text field an editor fills is shown as text on every public page."""

import pytest
from django.db import models

from cases.models import (
    Affiliation,
    ClaimQuantifier,
    EventKind,
    Relationship,
    Status,
    StatisticClaim,
    Visibility,
)
from tests.conftest import make_affiliation, make_case, make_citation, make_claim, make_event, make_organization, make_person, make_relationship, make_source, make_variant

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SHORT = "<b>x</b>"
# Fields whose content is not free text: addresses, EDTF dates, codes.
NOT_FREE_TEXT = {"slug", "date", "birth_date", "period", "published", "term_start", "language", "url", "archived_url"}


def free_text_fields(model):
    for field in model._meta.get_fields():
        if (
            isinstance(field, (models.CharField, models.TextField))
            and field.editable
            and not field.choices
            and field.name not in NOT_FREE_TEXT
            and not isinstance(field, models.URLField)
        ):
            yield field


def poison(record):
    for field in free_text_fields(type(record)):
        value = PAYLOAD if not field.max_length or field.max_length >= len(PAYLOAD) + 5 else SHORT
        setattr(record, field.name, f"{value} {record.pk}")
    record.save()
    return record


@pytest.fixture
def poisoned():
    organization = poison(make_organization(slug="org"))
    person = poison(make_person(slug="person"))
    relative = poison(make_person(slug="relative"))
    poison(make_variant(person, "variant"))
    poison(make_affiliation(person, organization, role="r"))
    poison(make_relationship(person, relative, kind="parent"))
    case = poison(make_case(person=person, slug="case"))
    event = poison(make_event(case, kind=EventKind.ARREST, date="2022", authority=organization, sets_status=Status.DETAINED))
    source = poison(make_source(publisher=organization))
    poison(make_citation(event=event, source=source))
    poison(make_citation(case=case, source=source))
    claim = poison(make_claim(statement="s", subject="s", quantifier=ClaimQuantifier.ABOUT, cited=False))
    poison(make_citation(claim=claim, source=source))
    return {"case": case, "person": person, "relative": relative, "organization": organization, "source": source}


def test_every_public_page_escapes_what_editors_typed(client, poisoned):
    urls = ["/", "/cases/", "/cases/?q=person", "/cases/?organization=org"] + [
        record.get_absolute_url() for record in poisoned.values()
    ]
    escaped_somewhere = 0
    for url in urls:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert SHORT not in html, url
        escaped_somewhere += html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    # The payloads were really on the pages, as text.
    assert escaped_somewhere > 10
