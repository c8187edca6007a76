"""A status is only as current as its latest evidence, and the "where now" box shows that evidence."""

import datetime
import re

import pytest

from cases.models import Case, Citation, EventKind, Source, Status, Visibility
from tests.conftest import make_case, make_citation, make_event, make_source, publisher

pytestmark = pytest.mark.django_db


def text_of(response):
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def now_box(page):
    return page.split("Where the person is now", 1)[1].split("Status over time", 1)[0]


def held_case(slug="held", published="2023-03"):
    case = make_case(slug=slug)
    arrest = make_event(case, kind=EventKind.ARREST, date="2019-05-10", sets_status=Status.DETAINED)
    source = make_source(title="A statement", published=published)
    make_citation(event=arrest, source=source, excerpt="He was arrested and is held.")
    return Case.objects.get(pk=case.pk), arrest, source


def test_status_is_attested_until_the_latest_publication_date_of_the_status_events_sources():
    case, arrest, _source = held_case()
    make_citation(event=arrest, source=make_source(published="2021"), excerpt="Older words.")
    case.refresh_from_db()
    assert (case.attested_until, case.attested_lower) == ("2023-03", datetime.date(2023, 3, 1))
    assert case.attested_display == "March 2023"


def test_internal_sources_and_citations_do_not_attest_the_status():
    case, arrest, source = held_case()
    make_citation(event=arrest, source=make_source(published="2025", visibility=Visibility.INTERNAL))
    make_citation(event=arrest, source=make_source(published="2024"), visibility=Visibility.INTERNAL)
    case.refresh_from_db()
    assert case.attested_until == "2023-03"


def test_a_later_verification_attests_the_status_beyond_the_sources():
    case, _arrest, _source = held_case()
    case.last_verified = datetime.date(2024, 6, 15)
    case.save()
    case.refresh_from_db()
    assert (case.attested_until, case.attested_lower) == ("2024-06-15", datetime.date(2024, 6, 15))


def test_changing_a_sources_date_or_removing_a_citation_updates_the_attested_date():
    case, arrest, source = held_case()
    source.published = "2024-02"
    source.save()
    case.refresh_from_db()
    assert case.attested_until == "2024-02"
    Citation.objects.filter(event=arrest).delete()
    case.refresh_from_db()
    assert case.attested_until == ""


def test_durations_are_counted_to_the_latest_evidence_and_said_so(client):
    held_case(slug="counted", published="2023-03")
    box = now_box(text_of(client.get("/cases/counted/")))
    # 10 May 2019 to 1 March 2023, not to today.
    assert "Held 3 years and 9 months by the latest evidence (March 2023); since the arrest (10 May 2019)" in box
    assert "The latest source or check for this status is dated March 2023. Nothing newer is known." in box


def test_without_contact_is_counted_to_the_latest_evidence_too(client):
    case = make_case(slug="silent")
    event = make_event(case, kind=EventKind.INCOMMUNICADO, date="2023-01-18/2023-03-21", sets_status=Status.INCOMMUNICADO)
    make_citation(event=event, source=make_source(published="2024-03-21"))
    box = now_box(text_of(client.get("/cases/silent/")))
    assert "Without contact at least 1 year by the latest evidence (21 March 2024)" in box


def test_a_status_without_dated_evidence_says_nothing_is_known_of_when_it_was_true(client):
    case = make_case(slug="undated")
    make_event(case, kind=EventKind.ARREST, date="2020", sets_status=Status.DETAINED)
    box = now_box(text_of(client.get("/cases/undated/")))
    assert "No public source for this status gives a date, and nobody has recorded checking it. Nothing newer is known." in box
    assert "Held" not in box


def test_a_deportation_alone_does_not_start_custody(client):
    case = make_case(slug="deported")
    deportation = make_event(case, kind=EventKind.DEPORTATION, date="2020-03-05", sets_status=Status.DEPORTED, sending_country="AT")
    make_citation(event=deportation, source=make_source(published="2023"))
    make_event(case, kind=EventKind.SENTENCE, date="2020-03-05/2023-03-21", sets_status=Status.SENTENCED,
               sentence_kind="life")
    case.refresh_from_db()
    assert case.custody_event() is None and case.held_for() == ""
    assert "since the deportation" not in text_of(client.get("/cases/deported/"))


def test_where_now_box_quotes_the_status_events_own_citations_not_the_cases(client):
    case = make_case(slug="evidence")
    make_citation(case=case, excerpt="He was deported from Germany.")
    event = make_event(case, kind=EventKind.INCOMMUNICADO, date="2023-02", sets_status=Status.INCOMMUNICADO)
    make_citation(event=event, excerpt="kept in complete isolation as hostage")
    box = now_box(text_of(client.get("/cases/evidence/")))
    assert "kept in complete isolation as hostage" in box
    assert "He was deported from Germany." not in box


def test_an_event_that_cites_nothing_public_sets_no_status_and_its_words_stay_hidden(client):
    # Every public fact cites a source: an event whose only citation is internal is not shown
    # and sets no status, so the "where now" box never rests on an unsupported event.
    case = make_case(slug="uncited")
    event = make_event(case, kind=EventKind.ARREST, date="2023-02", sets_status=Status.DETAINED, cited=False)
    make_citation(event=event, excerpt="Internal words.", visibility=Visibility.INTERNAL)
    page = text_of(client.get("/cases/uncited/"))
    assert Case.objects.get(pk=case.pk).current_status == Status.UNKNOWN
    assert "Internal words." not in page


def test_a_later_status_event_keeps_the_sentences_term_and_end_on_the_page(client):
    case = make_case(slug="colony")
    make_event(case, kind=EventKind.SENTENCE, date="2021-06-10", sets_status=Status.SENTENCED,
               sentence_kind="prison_term", sentence_years=7)
    make_event(case, kind=EventKind.TRANSFER, date="2022-01", sets_status=Status.SENTENCED, place="A prison colony")
    box = now_box(text_of(client.get("/cases/colony/")))
    assert "Sentence 7 years; the term would end 10 June 2028" in box


def test_case_page_queries_do_not_grow_with_the_status_events_citations(client, django_assert_max_num_queries):
    case, arrest, _source = held_case(slug="many")
    for number in range(10):
        make_citation(event=arrest, source=make_source(published=f"20{10 + number}"))
    with django_assert_max_num_queries(12):
        client.get("/cases/many/")


def test_timeline_draws_the_stretch_after_the_latest_evidence_as_unattested(client):
    held_case(slug="drawn", published="2023-03")
    html = client.get("/cases/drawn/").content.decode()
    assert 'class="unattested"' in html
    text = " ".join(html.split())
    assert "Detained: from 10 May 2019; the latest evidence for it is dated March 2023, and nothing newer is known" in text
    assert "outline only: after the latest evidence, nothing is known" in text


def test_seeded_incommunicado_case_counts_nothing_beyond_the_statement(client, seeded):
    page = text_of(client.get("/cases/abdullokhi-shamsiddin/"))
    box = now_box(page)
    assert "kept in complete isolation in the basements of the KGB building as hostage" in box
    assert "On January 18, 2023, Abdullokhi Shamsiddin was deported" not in box
    assert "The latest source or check for this status is dated between 18 January and 21 March 2023. Nothing newer is known." in box
    # No duration: the statement may be as old as the transfer, so not even a month is sure.
    assert "Held " not in box.replace("Held incommunicado", "") and "Without contact" not in box


def test_the_list_and_the_api_give_the_date_of_the_latest_evidence(client):
    held_case(slug="listed", published="2023-03")
    assert "Detained since 10 May 2019 (latest evidence: March 2023)" in text_of(client.get("/cases/"))
    (row,) = client.get("/api/cases/").json()["results"]
    assert (row["attested_until"], row["attested_lower"]) == ("2023-03", "2023-03-01")


def test_the_admin_shows_the_latest_evidence_for_the_status(admin_client):
    case, _arrest, _source = held_case(slug="admin-evidence")
    page = text_of(admin_client.get(f"/admin/cases/case/{case.pk}/change/"))
    assert page.split("Latest evidence for the status", 1)[1].lstrip(": ").startswith("March 2023")


def test_publishing_or_unpublishing_sources_and_citations_in_bulk_updates_the_latest_evidence():
    case, arrest, source = held_case(slug="bulk")
    newer = make_citation(event=arrest, source=make_source(published="2024-05"), visibility=Visibility.INTERNAL)
    Citation.objects.filter(pk=newer.pk).set_visibility(Visibility.PUBLIC, by=publisher())
    case.refresh_from_db()
    assert case.attested_until == "2024-05"
    Source.objects.filter(pk=newer.source_id).set_visibility(Visibility.INTERNAL, by=publisher())
    case.refresh_from_db()
    assert case.attested_until == "2023-03"


def test_a_deported_status_says_the_fate_after_it_is_not_known(client):
    case = make_case(slug="handed-over")
    make_event(case, kind=EventKind.DEPORTATION, date="2023-01-18", sets_status=Status.DEPORTED, sending_country="DE")
    box = now_box(text_of(client.get("/cases/handed-over/")))
    assert "What happened after the handover is not known from the sources" in box
    assert "Held " not in box


def test_where_now_box_names_the_event_the_status_comes_from(client, seeded):
    box = now_box(text_of(client.get("/cases/abdullokhi-shamsiddin/")))
    assert "This status comes from the event “ Held incommunicado ” below. What its sources say:" in box
