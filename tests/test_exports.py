"""The case list as CSV and JSON: one row per public case, with the list page's filters."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from psycopg import pq

from cases.bulk import among, read_ahead
from cases.exports import COLUMNS, make_spreadsheet_safe
from cases.models import Case, EventKind, NameVariant, Status, Visibility
from tests.conftest import body, make_case, make_citation, make_event, make_person, make_source, make_variant, publisher

pytestmark = pytest.mark.django_db


def read_csv(response):
    content = body(response)
    assert content.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def read_json(response):
    return json.loads(body(response))


@pytest.fixture
def two_cases():
    person = make_person(name="Shamsiddin Abdullokhi", slug="shamsiddin")
    make_variant(person, "Абдуллоҳи Шамсиддин")
    make_variant(person, "Abdullohi Shamsiddin")
    make_variant(person, "Hidden spelling", visibility=Visibility.INTERNAL)
    case = make_case(person=person, slug="shamsiddin")
    deported = make_event(case, kind=EventKind.DEPORTATION, date="2023-01-18", country="TJ", sending_country="DE",
                          sets_status=Status.DEPORTED, cited=False)
    held = make_event(case, kind=EventKind.INCOMMUNICADO, date="2023-01-18/2023-03-21", sets_status=Status.INCOMMUNICADO,
                      cited=False)
    statement = make_source(title="Statement", url="https://example.org/statement")
    make_citation(event=deported, source=statement)
    make_citation(event=held, source=statement)
    make_citation(case=case, source=make_source(title="Letter"))
    make_citation(case=case, source=make_source(title="Secret", url="https://example.org/secret", visibility=Visibility.INTERNAL))
    other = make_case(person=make_person(name="Bobur Released"), slug="bobur")
    release = make_event(other, kind=EventKind.RELEASE, date="2021", sets_status=Status.RELEASED, country="RU", cited=False)
    make_citation(event=release, source=make_source(title="Report", url="https://example.org/report"))
    make_case(person=make_person(name="Internal Person"), slug="internal", visibility=Visibility.INTERNAL)
    return case, statement


def test_csv_has_one_row_per_public_case_with_every_column(client, two_cases):
    case, statement = two_cases
    response = client.get("/export/cases.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == "attachment; filename=cases.csv"
    rows = read_csv(response)
    assert [row["person"] for row in rows] == ["Bobur Released", "Shamsiddin Abdullokhi"]
    row = rows[1]
    assert row["id"] == str(case.pk)
    assert row["slug"] == "shamsiddin"
    assert row["url"] == "http://testserver/cases/shamsiddin/"
    assert row["other_spellings"] == "Abdullohi Shamsiddin | Абдуллоҳи Шамсиддин"
    assert row["status"] == "incommunicado" and row["status_label"] == "Held incommunicado"
    assert row["status_since"] == "2023-01-18/2023-03-21"
    assert (row["status_since_lower"], row["status_since_upper"]) == ("2023-01-18", "2023-03-21")
    assert row["country"] == "TJ", "the latest public event with a country"
    assert (row["latest_event_kind"], row["latest_event_date"]) == ("incommunicado", "2023-01-18/2023-03-21")
    links = row["source_links"].split(" | ")
    assert "https://example.org/statement" in links
    assert f"http://testserver/sources/{statement.pk}/" in links
    assert len(links) == 3, "each source once: the statement's page and address, the letter's page"
    assert "secret" not in row["source_links"]
    assert row["updated"].startswith(str(case.updated.year))
    assert rows[0]["other_spellings"] == "" and rows[0]["country"] == "RU"


def test_the_status_event_columns_and_the_updated_time(client):
    from datetime import datetime, timezone

    from cases.models import Case, Source

    case = make_case(person=make_person(name="Alpha Person"))
    arrest = make_event(case, kind=EventKind.ARREST, date="2022-03", sets_status=Status.DETAINED, cited=False)
    source = make_source(url="https://example.org/arrest")
    make_citation(event=arrest, source=source)
    make_event(case, kind=EventKind.TRANSFER, date="2023")
    other = make_case(person=make_person(name="Beta Person"))
    make_event(other, kind=EventKind.RELEASE, date="2021", sets_status=Status.RELEASED)
    # Microseconds with trailing zeros (PostgreSQL writes them trimmed), and none at all.
    Case.objects.filter(pk=case.pk).update(updated=datetime(2024, 5, 6, 7, 8, 9, 120000, tzinfo=timezone.utc))
    Case.objects.filter(pk=other.pk).update(updated=datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
    first, second = read_csv(client.get("/export/cases.csv"))
    assert (first["status"], first["status_event_type"], first["status_event_date"]) == ("detained", "arrest", "2022-03")
    assert (first["latest_event_kind"], first["latest_event_date"]) == ("transfer", "2023")
    assert (second["status_event_type"], second["status_event_date"]) == ("release", "2021")
    assert (first["updated"], second["updated"]) == ("2024-05-06T07:08:09.120000+00:00", "2024-05-06T07:08:09+00:00")
    assert first["updated"] == Case.objects.get(pk=case.pk).updated.isoformat()
    # The only source of the status event taken down, by a path that skips the status refresh:
    # the file no longer names the event, which nothing public supports.
    Source.objects.filter(pk=source.pk).update(visibility=Visibility.INTERNAL)
    first, _second = read_csv(client.get("/export/cases.csv?x=1"))
    assert (first["status_event_type"], first["status_event_date"]) == ("", "")


def test_json_has_the_same_rows_with_lists(client, two_cases):
    response = client.get("/export/cases.json")
    assert response.status_code == 200
    data = read_json(response)
    assert data["count"] == 2
    row = data["results"][1]
    assert row["other_spellings"] == ["Abdullohi Shamsiddin", "Абдуллоҳи Шамсиддин"]
    assert row["status_since_lower"] == "2023-01-18"
    assert "Абдуллоҳи" in body(client.get("/export/cases.json")).decode("utf-8"), "names are written as they are, not \\u-escaped"
    csv_row = read_csv(client.get("/export/cases.csv"))[1]
    assert set(row) == set(csv_row)


def test_exports_use_the_list_filters(client, two_cases):
    def people(url, query):
        response = client.get(url, query)
        assert response.status_code == 200
        if url.endswith(".csv"):
            return [row["person"] for row in read_csv(response)]
        return [row["person"] for row in read_json(response)["results"]]

    for url in ("/export/cases.csv", "/export/cases.json"):
        assert people(url, {"status": "released"}) == ["Bobur Released"]
        assert people(url, {"status": ["released", "incommunicado"], "sort": "-name"}) == [
            "Shamsiddin Abdullokhi",
            "Bobur Released",
        ]
        assert people(url, {"q": "Абдуллоҳи"}) == ["Shamsiddin Abdullokhi"]
        assert people(url, {"country": "RU"}) == ["Bobur Released"]
        assert people(url, {"q": "Hidden spelling"}) == []
        assert people(url, {"page": "2"}) == ["Bobur Released", "Shamsiddin Abdullokhi"], "an export is never paginated"


def test_invalid_filters_are_a_400_with_the_errors(client):
    response = client.get("/export/cases.json", {"status": "nonsense", "happened_after": "2024-01-01", "happened_before": "2023-01-01"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "happened"}
    response = client.get("/export/cases.csv", {"status": "nonsense"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("status: ")


def test_a_cell_is_never_a_spreadsheet_formula(client):
    make_case(person=make_person(name="=HYPERLINK(\"http://evil\")"), slug="formula")
    [row] = read_csv(client.get("/export/cases.csv"))
    assert row["person"] == "'=HYPERLINK(\"http://evil\")"
    assert read_json(client.get("/export/cases.json"))["results"][0]["person"].startswith("=")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_no_column_of_the_csv_starts_with_a_formula_character(client, start):
    person = make_person(name=f"{start}2+3+cmd|' /C calc'!A0")
    make_variant(person, f"{start}HYPERLINK(\"http://evil\")")
    make_case(person=person, title=f"{start}SUM(1)", slug="formula")
    [row] = read_csv(client.get("/export/cases.csv"))
    assert row["person"] == f"'{start}2+3+cmd|' /C calc'!A0"
    assert row["other_spellings"] == f"'{start}HYPERLINK(\"http://evil\")"
    assert row["case_title"] == f"'{start}SUM(1)"
    assert not [value for value in row.values() if value.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_spreadsheet_safe_leaves_ordinary_cells_alone():
    row = ["Abdullokhi Shamsiddin", ["a", "b"], None, 12, ["-a", "b"], "", "-1"]
    assert make_spreadsheet_safe(row, [0, 1, 2, 4, 5]) == ["Abdullokhi Shamsiddin", "a | b", None, 12, "'-a | b", "", "-1"]


def test_export_queries_do_not_grow_with_rows(client):
    def add(n):
        for i in range(n):
            case = make_case(person=make_person(name=f"Person {i}"))
            make_variant(case.person, f"Variant {case.pk}")
            event = make_event(case, kind=EventKind.ARREST, date="2022", sets_status=Status.DETAINED, country="TJ")
            make_event(case, kind=EventKind.TRANSFER, date="2023")
            make_citation(event=event)
            make_citation(case=case)

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            assert response.status_code == 200
            body(response)  # a streamed export reads the database while it is sent
        return len(captured)

    urls = ["/export/cases.csv", "/export/cases.json", "/export/cases.csv?status=detained&q=person&country=TJ"]
    add(3)
    few = {url: count(url) for url in urls}
    add(27)
    assert {url: count(url) for url in urls} == few
    assert few["/export/cases.csv"] <= 7


def test_latest_event_is_the_last_in_time_and_uncited_or_internal_events_are_left_out(client):
    case = make_case(slug="open-beginning")
    # Began before mid-2022 (an open beginning sorts by its end): after the arrest of 2021.
    make_event(case, kind=EventKind.TRANSFER, date="../2022-06", cited=False)
    make_event(case, kind=EventKind.ARREST, date="2021", country="TJ", cited=False)
    first, second = make_source(url="https://example.org/first"), make_source(url="https://example.org/second")
    transfer, arrest = case.events.order_by("pk")
    make_citation(event=arrest, source=second)
    make_citation(event=transfer, source=first)
    make_event(case, kind=EventKind.RELEASE, date="2024", country="RU", cited=False)
    make_event(case, kind=EventKind.DEATH, date="2025", country="KZ", visibility=Visibility.INTERNAL)
    hidden = make_event(case, kind=EventKind.TRIAL, date="2026", country="UZ", cited=False)
    make_citation(event=hidden, source=make_source(visibility=Visibility.INTERNAL))
    (row,) = read_csv(client.get("/export/cases.csv"))
    assert (row["latest_event_kind"], row["latest_event_date"], row["country"]) == ("transfer", "../2022-06", "TJ")
    # Source links follow the events in the same order: the arrest's, then the transfer's.
    assert row["source_urls"] == "https://example.org/second | https://example.org/first"


def test_list_page_links_to_the_exports_of_the_same_filters(client, two_cases):
    page = client.get("/cases/", {"status": "released", "page": "1"}).content.decode()
    assert 'href="/export/cases.csv?status=released"' in page
    assert 'href="/export/cases.json?status=released"' in page
    assert 'href="/export/cases.csv"' in client.get("/cases/").content.decode()


def test_the_csv_export_imports_into_an_empty_database_and_gives_the_same_public_data(client, two_cases, tmp_path):
    from django.core.management import call_command

    from cases.models import (
        Affiliation, Case, Citation, Event, NameVariant, Organization, Person, Relationship, Source, StatisticClaim,
    )

    compared = ["person", "other_spellings", "case_title", "status", "status_since", "status_since_lower",
                "status_since_upper", "status_event_type", "status_event_date", "country", "source_urls"]
    before = [{column: row[column] for column in compared} for row in read_csv(client.get("/export/cases.csv"))]
    assert len(before) == 2 and before[1]["source_urls"] == "https://example.org/statement"
    assert before[0]["source_urls"] == "https://example.org/report"
    path = tmp_path / "cases.csv"
    path.write_bytes(body(client.get("/export/cases.csv")))

    for model in (Citation, Event, Case, NameVariant, Affiliation, Relationship, Person, Source, StatisticClaim, Organization):
        model.objects.all().delete()
    call_command("import_spreadsheet", str(path), "--no-progress", stdout=io.StringIO())
    # Imported records are internal; publishing them all gives the public data back. The
    # events' sources cite them without words, which is enough to publish them.
    for model in (Person, NameVariant, Case, Source, Citation, Event):
        model.objects.all().set_visibility(Visibility.PUBLIC, by=publisher())
    after = [{column: row[column] for column in compared} for row in read_csv(client.get("/export/cases.csv"))]
    # Source addresses come back as sources; the excerpts that cite them are not in the export.
    assert {url for row in before for url in row["source_urls"].split(" | ") if url} == set(Source.objects.values_list("url", flat=True))
    for row in before + after:
        row.pop("source_urls")
    assert after == before


def test_a_short_export_is_kept_like_a_page_and_never_served_after_an_unpublish(client, two_cases):
    from cases.models import Case

    url = "/export/cases.csv?q=shamsiddin"
    first = client.get(url)
    assert not first.streaming and first["Content-Disposition"] == "attachment; filename=cases.csv"
    with CaptureQueriesContext(connection) as captured:
        again = client.get(url)
    # Only the public version is read: the file comes from the page cache.
    assert len(captured) == 1 and again.content == first.content
    assert [row["person"] for row in read_csv(again)] == ["Shamsiddin Abdullokhi"]
    Case.objects.filter(slug="shamsiddin").set_visibility(Visibility.INTERNAL, by=publisher())
    assert read_csv(client.get(url)) == []
    assert read_json(client.get("/export/cases.json?q=shamsiddin"))["results"] == []


def test_an_export_longer_than_a_page_can_hold_is_streamed(client, two_cases, monkeypatch):
    whole = body(client.get("/export/cases.csv"))
    monkeypatch.setattr("cases.exports.WHOLE_EXPORT_MAX_ROWS", 1)
    response = client.get("/export/cases.csv?sort=name")
    assert response.streaming and body(response) == whole
    response = client.get("/export/cases.json?q=shamsiddin")
    assert not response.streaming and len(read_json(response)["results"]) == 1


def test_a_source_taken_down_while_a_long_export_runs_is_left_out_of_later_rows(client, monkeypatch):
    from cases.models import Source

    monkeypatch.setattr("cases.exports.WHOLE_EXPORT_MAX_ROWS", 0)
    monkeypatch.setattr("cases.exports.CHUNK_SIZE", 1)
    monkeypatch.setattr("cases.exports.ROWS_PER_WRITE", 1)
    source = make_source(url="https://example.org/report")
    for name in ("Alpha Person", "Beta Person"):
        case = make_case(person=make_person(name=name))
        make_citation(event=make_event(case, kind=EventKind.ARREST, date="2022", cited=False), source=source)
        make_citation(case=case, source=source)
    parts = iter(client.get("/export/cases.csv").streaming_content)
    header, first_row = next(parts), next(parts)  # the first chunk has been read
    Source.objects.filter(pk=source.pk).update(visibility=Visibility.INTERNAL)
    rows = list(csv.DictReader(io.StringIO(b"".join([header, first_row, *parts]).decode("utf-8-sig"))))
    assert [row["person"] for row in rows] == ["Alpha Person", "Beta Person"]
    assert rows[0]["source_urls"] == "https://example.org/report"
    # The second chunk, read after, neither links the source nor counts the event it alone supports.
    assert (rows[1]["source_urls"], rows[1]["source_links"], rows[1]["latest_event_kind"]) == ("", "", "")


def test_the_next_rounds_records_are_asked_for_before_this_rounds_rows_are_written(client, monkeypatch):
    monkeypatch.setattr("cases.exports.WHOLE_EXPORT_MAX_ROWS", 0)
    monkeypatch.setattr("cases.exports.CHUNK_SIZE", 1)
    monkeypatch.setattr("cases.exports.ROWS_PER_WRITE", 1)
    for name in ("Alpha Person", "Beta Person"):
        make_event(make_case(person=make_person(name=name)), kind=EventKind.ARREST, date="2022")
    with CaptureQueriesContext(connection) as captured:
        parts = iter(client.get("/export/cases.csv?sort=name").streaming_content)
        next(parts), next(parts)  # the header and Alpha's row
        asked = [query["sql"] for query in captured]
    # Beta's events and citations were asked for before Alpha's row went out; Beta's sources were not.
    assert sum('"cases_event"."case_id" IN' in sql for sql in asked) == 2
    assert sum('FROM "cases_source"' in sql for sql in asked) == 1
    rows = list(csv.DictReader(io.StringIO(b"".join(parts).decode("utf-8-sig")), fieldnames=COLUMNS))
    assert [(row["person"], row["latest_event_kind"]) for row in rows] == [("Beta Person", EventKind.ARREST)]


def test_queries_read_ahead_give_the_rows_django_gives():
    case = make_case(person=make_person(name="Alpha Person"))
    make_variant(case.person, "Alfa Person")
    querysets = [
        Case.objects.filter(pk__in=among([case.pk])).rewrite(False).values_list("pk", "slug", "person__name"),
        NameVariant.objects.order_by("name").values_list("person_id", "name"),
        Case.objects.filter(pk__in=among([])).rewrite(False).values_list("pk"),  # no query at all
        Case.objects.filter(pk=-1).rewrite(False).values_list("pk"),
    ]
    with read_ahead(querysets) as read:
        if connection.vendor == "postgresql":  # sent, not yet read
            assert connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
        rows = read()
    assert rows == [list(queryset) for queryset in querysets]
    assert rows[0] == [(case.pk, case.slug, "Alpha Person")] and rows[1] == [(case.person_id, "Alfa Person")]
    assert rows[2:] == [[], []]
    with read_ahead([]) as read:
        assert read() == []
    # modeltranslation's rewriting reorders the columns in Python: not read ahead.
    with pytest.raises(TypeError), read_ahead([Case.objects.values_list("pk", "slug")]):
        pass
