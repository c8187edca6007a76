"""Spreadsheet import: clean files, every kind of bad file, importing twice, names in three scripts."""

import io
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from cases.models import Case, Citation, Event, ImportJob, ImportMapping, NameVariant, Person, Source, Status, Visibility
from cases.roles import EDITOR
from tests.conftest import publisher, staff_client

pytestmark = pytest.mark.django_db

HEADER = "id,name,other_names,birth_date,case_title,event_type,event_date,status,country,sending_country,source_urls,excerpt,confidence\n"
CLEAN = HEADER + (
    "T-1,Abdullokhi Shamsiddin,Абдуллоҳи Шамсиддин;عبدالله شمس الدین,,Deportation from Germany,deportation,2023-01-18,"
    "deported,TJ,DE,https://example.org/a https://example.org/b,He was deported.,likely\n"
    "T-2,Hizbullo Shovalizoda,,1990~,,sentence,2020-03-05/2023-03-21,sentenced,Tajikistan,,,,\n"
    "T-3,Zarina Karimova,,,,,,,,,,,\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def write(tmp_path, text, name="people.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def run(path, *args):
    out = io.StringIO()
    call_command("import_spreadsheet", str(path), "--no-progress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot():
    """Row counts of every table the import could touch, history included."""
    return {model.__name__: model.objects.count() for model in apps.get_app_config("cases").get_models()}


def test_clean_file_creates_internal_people_cases_events_sources_and_citations(tmp_path):
    output = run(write(tmp_path, CLEAN))
    assert "3 rows: 3 new people were created" in output
    assert "rows per second" in output
    shamsiddin = Person.objects.get(external_id="T-1")
    assert shamsiddin.visibility == Visibility.INTERNAL
    assert sorted(shamsiddin.name_variants.values_list("name", flat=True)) == ["Абдуллоҳи Шамсиддин", "عبدالله شمس الدین"]
    case = shamsiddin.cases.get()
    assert case.title == "Deportation from Germany" and case.visibility == Visibility.INTERNAL
    event = case.events.get()
    assert (event.kind, event.date, str(event.country), str(event.sending_country)) == ("deportation", "2023-01-18", "TJ", "DE")
    # Two addresses in one cell are two sources, each cited with the excerpt.
    assert sorted(Source.objects.values_list("url", flat=True)) == ["https://example.org/a", "https://example.org/b"]
    assert Citation.objects.filter(event=event, excerpt="He was deported.").count() == 2
    sentence = Event.objects.get(case__person__external_id="T-2")
    assert sentence.date_lower.isoformat() == "2020-03-05" and sentence.date_upper.isoformat() == "2023-03-21"
    assert Person.objects.get(external_id="T-2").birth_date == "1990~"
    assert not Person.objects.get(external_id="T-3").cases.exists()
    # Every record has its first history entry, a full copy of the record.
    assert Person.history.filter(history_type="+").count() == 3
    entry = Person.history.get(external_id="T-1")
    assert entry.name == shamsiddin.name and entry.search_key == shamsiddin.search_key
    assert entry.history_date is not None and entry.history_user is None
    for model in (NameVariant, Case, Event, Source, Citation):
        assert model.history.filter(history_type="+").count() == model.objects.count(), model


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, CLEAN)
    run(path)
    before = snapshot()
    output = run(path)
    assert "0 new people were created, 0 were changed, 3 left alone" in output
    assert snapshot() == before


def test_a_changed_row_updates_the_same_person(tmp_path):
    run(write(tmp_path, CLEAN))
    changed = CLEAN.replace("Zarina Karimova,,", "Zarina Karimova,Зарина Каримова,1985")
    output = run(write(tmp_path, changed, "v2.csv"))
    assert "0 new people were created, 1 were changed, 2 left alone" in output
    zarina = Person.objects.get(external_id="T-3")
    assert zarina.birth_date == "1985" and zarina.name_variants.get().name == "Зарина Каримова"
    assert Person.objects.count() == 3


def test_without_an_identifier_name_and_birth_date_match(tmp_path):
    text = "name,birth_date\nAli Aliev,1970\nAli Aliev,1980\n"
    run(write(tmp_path, text))
    run(write(tmp_path, text, "again.csv"))
    assert Person.objects.filter(name="Ali Aliev").count() == 2


def test_names_in_three_scripts_are_findable_once_published(tmp_path, client):
    run(write(tmp_path, CLEAN))
    person = Person.objects.get(external_id="T-1")
    for queryset in (Person.objects.filter(pk=person.pk), NameVariant.objects.filter(person=person), Case.objects.filter(person=person)):
        queryset.set_visibility(Visibility.PUBLIC, by=publisher())
    for query in ("Abdullohi", "Шамсиддин", "شمس", "abdullokhi shamsiddin"):
        assert client.get("/cases/", {"q": query}).context["paginator"].count == 1, query


def test_dry_run_reports_and_writes_nothing(tmp_path):
    before = snapshot()
    output = run(write(tmp_path, CLEAN), "--dry-run")
    assert "3 new people would be created" in output and "Dry run: nothing was written." in output
    assert snapshot() == before


def test_xlsx_file_imports_like_csv(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for line in CLEAN.strip().split("\n"):
        sheet.append(line.split(","))
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    assert "3 new people were created" in run(path)
    assert Person.objects.get(external_id="T-1").name_variants.count() == 2


def test_columns_can_be_mapped_and_the_mapping_saved(tmp_path):
    path = write(tmp_path, "Full name,Ref\nMirzo Sharifov,R-9\n")
    run(path, "--map", "Full name=name", "--map", "Ref=id", "--save-mapping", "Our list")
    assert Person.objects.get(external_id="R-9").name == "Mirzo Sharifov"
    assert ImportMapping.objects.get(name="Our list").columns == {"Full name": "name", "Ref": "id"}
    run(write(tmp_path, "Full name,Ref\nMirzo Sharifov,R-9\nNew Person,R-10\n", "b.csv"), "--mapping", "Our list")
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    "text, expected",
    [
        (HEADER + "T-1,Someone,,,,arrest,2023-13-45,detained,,,,,\n", ["row 2, event_date", "not a date this tracker can read"]),
        (HEADER + "T-1,Someone,,,,arrest,yesterday,,,,,,\n", ["row 2, event_date", "yesterday"]),
        (HEADER + "T-1,Someone,,,,arrest,2023,jailed,,,,,\n", ["row 2, status", "“jailed” is not one of"]),
        (HEADER + "T-1,,,,,,,,,,,,\n", ["row 2, name", "The name is missing."]),
        (HEADER + "T-1,One,,,,,,,,,,,\nT-1,Two,,,,,,,,,,,\n", ["row 3, name", "Row 2 is the same person (T-1) but says “One”, this row “Two”"]),
        (HEADER + "T-1,One,,,,,,,,,not-a-url,,\n", ["row 2, source_urls", "is not a web address"]),
        (HEADER + "T-1,One,,,,,,,Narnia,,,,\n", ["row 2, country", "“Narnia” is not a country"]),
        (HEADER + "T-1,One,,,,release,2023,released,,,,,\n", []),  # fine on its own: checked below with the good rows
    ],
)
def test_each_bad_row_is_named_and_nothing_is_written(tmp_path, text, expected):
    good_rows = CLEAN.split("\n", 1)[1].replace("T-1,", "G-1,").replace("T-2,", "G-2,").replace("T-3,", "G-3,")
    path = write(tmp_path, text + good_rows)
    before = snapshot()
    if not expected:
        run(path)
        assert snapshot() != before
        return
    errors = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_spreadsheet", str(path), "--no-progress", stdout=io.StringIO(), stderr=errors)
    for words in expected:
        assert words in errors.getvalue()
    assert snapshot() == before


@pytest.mark.parametrize(
    "content, name, message",
    [
        ("Имя,Фамилия\nАли,Алиев\n".encode("cp1251"), "people.csv", "not in UTF-8"),
        (b"", "people.csv", "The file is empty."),
        (b"name\n", "people.csv", "column names but no rows"),
        (b"%PDF-1.4 binary stuff", "people.csv", "This is not a spreadsheet"),
        (b"PK\x03\x04 not really a zip", "people.xlsx", "This is not a spreadsheet"),
        (b"full_name\nAli\n", "people.csv", "No column holds name"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path, content, name, message):
    path = write(tmp_path, content, name)
    before = snapshot()
    errors = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_spreadsheet", str(path), "--no-progress", stdout=io.StringIO(), stderr=errors)
    assert message in str(raised.value) + errors.getvalue()
    assert snapshot() == before


# The admin -------------------------------------------------------------------------------


@pytest.fixture
def editor():
    return staff_client("editor", EDITOR)


def upload(client, text, mapping=None):
    data = {"file": SimpleUploadedFile("list.csv", text.encode())}
    if mapping:
        data["mapping"] = mapping.pk
    response = client.post("/admin/cases/case/import/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_admin_import_maps_columns_checks_in_the_background_then_imports_the_checked_rows(editor, monkeypatch):
    text = "Full name,Status now,Event,When\nRustam Nazarov,detained,arrest,2021-05\nBad Row,detained,arrest,someday\n"
    url = upload(editor, text)
    page = editor.get(url).content.decode()
    assert "Full name" in page and "Check (dry run)" in page
    assert "Rustam Nazarov" in page and "detained ×2" in page  # first values and distinct values

    columns = {"column_0": "name", "column_1": "status", "column_2": "event_type", "column_3": "event_date"}
    response = editor.post(url, {**columns, "check": "1"}, follow=True)
    page = response.content.decode()
    assert "1 problem in 1 of 2 rows" in page and "someday" in page and "When" in page
    # All or nothing, unless the editor chooses to import the rows that pass.
    assert 'value="Import these rows"' not in page and "Import the 1 rows that pass" in page
    assert "Download the rows with problems" in page
    assert Person.objects.count() == 0

    url = upload(editor, text.replace("Bad Row,detained,arrest,someday\n", "Second Person,,,\n"))
    response = editor.post(url, {**columns, "check": "1", "save_as": "Spring list"}, follow=True)
    page = response.content.decode()
    assert "2 rows pass: 2 new people would be created" in page and "Import these rows" in page
    assert Person.objects.count() == 0

    # Importing writes the rows kept by the check: the file is not checked again.
    monkeypatch.setattr("cases.importing.Checker.check", lambda *args: pytest.fail("checked twice"))
    response = editor.post(response.redirect_chain[-1][0], {"confirm": "1"}, follow=True)
    assert "Imported: 2 new people" in response.content.decode()
    rustam = Person.objects.get(name="Rustam Nazarov")
    assert rustam.visibility == Visibility.INTERNAL
    assert rustam.cases.get().events.get().sets_status == Status.DETAINED
    assert rustam.history.get().history_user.username == "editor"
    saved = ImportMapping.objects.get(name="Spring list")
    assert saved.columns == {"Full name": "name", "Status now": "status", "Event": "event_type", "When": "event_date"}
    assert not any((Path(settings.MEDIA_ROOT) / "imports").glob(ImportJob.objects.first().token + "*")), "files left behind"

    # The saved mapping chooses the columns next time.
    page = editor.get(upload(editor, text, mapping=saved)).content.decode()
    assert '<option value="event_date" selected>' in page


def test_admin_refuses_a_file_that_is_not_a_spreadsheet(editor):
    response = editor.post("/admin/cases/case/import/", {"file": SimpleUploadedFile("x.csv", b"%PDF-1.7 \x00\x01")}, follow=True)
    assert "This is not a spreadsheet" in response.content.decode()


def test_template_lists_every_column(editor):
    from cases.importing import COLUMNS

    response = editor.get("/admin/cases/case/import/template.csv")
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == list(COLUMNS)


def test_staff_without_permission_cannot_import(client):
    user = User.objects.create_user("nobody", password="a long enough password", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/cases/case/import/").status_code == 403


def test_rows_spread_over_several_batches_match_across_them(tmp_path, monkeypatch):
    from cases import importing

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    text = HEADER + "".join(
        f"X-{n},Person {n % 3},,,,arrest,2020-0{n % 9 + 1},detained,,,https://example.org/{n % 2},Words {n % 2}.,\n"
        for n in range(7)
    )
    path = write(tmp_path, text)
    run(path)
    assert Person.objects.count() == 7 and Source.objects.count() == 2 and Event.objects.count() == 7
    before = snapshot()
    assert "7 left alone" in run(path)
    assert snapshot() == before


@pytest.mark.parametrize(
    "cells, column, words",
    [
        ("sentence,2020,,,,,prison_term", "sentence_years", "Give the length of the prison term"),
        ("arrest,2020,,,,,prison_term", "sentence_kind", "Only a sentence has a term"),
        ("arrest,2020,,,DE,,", "sending_country", "A sending country belongs to"),
    ],
)
def test_event_rules_are_checked_on_import(tmp_path, cells, column, words):
    header = "name,event_type,event_date,status,country,sending_country,sentence_years,sentence_kind\n"
    path = write(tmp_path, header + f"Someone,{cells}\n")
    errors = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_spreadsheet", str(path), "--no-progress", stdout=io.StringIO(), stderr=errors)
    assert f"row 2, {column}" in errors.getvalue() and words in errors.getvalue()
    assert Person.objects.count() == 0


def test_a_broken_event_rule_is_reported_on_every_row_that_breaks_it(tmp_path):
    from cases import importing

    text = "name,event_type,event_date,sending_country\nOne,arrest,2020,DE\nTwo,arrest,2020,DE\nThree,deportation,2020,DE\nFour,arrest,2020,DE\n"
    report = importing.run_import(lambda: importing.open_rows(write(tmp_path, text)))
    assert [(problem.row, problem.column) for problem in report.problems] == [
        (2, "sending_country"), (3, "sending_country"), (5, "sending_country"),
    ]
    assert Person.objects.count() == 0


def test_an_import_leaves_the_cycle_collector_as_it_found_it(tmp_path):
    import gc

    from cases import importing

    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    report = importing.run_import(lambda: importing.open_rows(write(tmp_path, CLEAN)))
    assert report.written
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)


def test_long_lists_of_ids_and_texts_find_what_a_plain_list_finds(tmp_path):
    from cases.bulk import among

    run(write(tmp_path, CLEAN))
    ids = list(Person.objects.values_list("pk", flat=True)) + [10**9]
    keys = ["T-1", "T-3", "Абдуллоҳи", "it's", ""]
    assert sorted(Person.objects.filter(pk__in=among(ids)).values_list("pk", flat=True)) == sorted(ids[:-1])
    assert sorted(Person.objects.filter(external_id__in=among(keys)).values_list("external_id", flat=True)) == ["T-1", "T-3"]
    assert list(Person.objects.filter(pk__in=among([]))) == []
    assert Case.objects.filter(person__in=among(ids)).count() == Case.objects.count()
    # On both databases each list goes as one parameter, not one per value.
    from django.db.models.expressions import RawSQL

    assert isinstance(among(ids), RawSQL) and isinstance(among(keys), RawSQL)


def test_an_import_writes_the_same_while_queries_are_recorded(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = write(tmp_path, CLEAN)
    with CaptureQueriesContext(connection) as queries:
        run(path)
    recorded = " ".join(query["sql"] for query in queries.captured_queries)
    assert 'INSERT INTO "cases_person"' in recorded and 'INSERT INTO "cases_nametoken"' in recorded
    assert 'INSERT INTO "cases_historicalperson"' in recorded
    assert Person.objects.count() == 3 and Person.history.count() == 3
    assert Person.objects.get(external_id="T-1").name_tokens.exists()
