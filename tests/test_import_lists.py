"""Real groups' lists: value maps, every problem at once, sources kept, duplicates, corrections, bad input, background jobs."""

import csv
import datetime
import io
import json
import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases import import_jobs, merging
from cases.models import (
    Affiliation,
    Case,
    Citation,
    Event,
    ImportJob,
    ImportMapping,
    NameVariant,
    Person,
    PersonMerge,
    Source,
    Status,
)
from cases.roles import EDITOR, PUBLISHER
from tests.conftest import make_organization, make_source, staff_client
from tests.test_import import media, write  # noqa: F401 (media: the same autouse fixture)

pytestmark = pytest.mark.django_db

# Made-up rows in the shape of an Iranian victims list: English and Persian names, their own status words.
IRAN = (
    "Ref,Name,Name (Persian),Status,Date,Sources\n"
    "IR-1,Reza Ahmadi,رضا احمدی,killed,2022-09-21,https://example.org/1 https://example.org/2\n"
    "IR-2,Maryam Karimi,مریم کریمی,arrested,2022-10-02,https://example.org/3\n"
    "IR-3,Ali Hosseini,علی حسینی,sentenced_to_death,2023-01-05,https://example.org/4\n"
)
IRAN_MAP = [
    "--map", "Ref=id", "--map", "Name=name", "--map", "Name (Persian)=other_names", "--map", "Date=event_date",
    "--map", "Sources=source_urls", "--set", "country=IR",
    "--value-map", "Status", "killed", "event_type=death,status=deceased",
    "--value-map", "Status", "arrested", "event_type=arrest,status=detained",
    "--value-map", "Status", "sentenced_to_death", "event_type=sentence,status=sentenced,sentence_kind=death_penalty",
]


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_spreadsheet", str(path), "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def fails(path, *args):
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_spreadsheet", str(path), "--no-progress", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue() + str(raised.value)


def test_value_maps_turn_their_words_into_events_statuses_and_sentences(tmp_path):
    run(write(tmp_path, IRAN), *IRAN_MAP)
    death = Event.objects.get(case__person__external_id="IR-1")
    assert (death.kind, death.sets_status, str(death.country)) == ("death", Status.DECEASED, "IR")
    sentence = Event.objects.get(case__person__external_id="IR-3")
    assert (sentence.kind, sentence.sets_status, sentence.sentence_kind) == ("sentence", Status.SENTENCED, "death_penalty")
    assert Person.objects.get(external_id="IR-2").name_variants.get().name == "مریم کریمی"


def test_a_column_named_like_a_field_can_be_ignored(tmp_path):
    text = "name,status,note\nRustam Nazarov,jailed,x\n"
    assert "“jailed” is not one of" in fails(write(tmp_path, text))
    run(write(tmp_path, text), "--ignore", "status")
    assert Person.objects.get().name == "Rustam Nazarov"


def test_a_mapping_file_and_a_saved_mapping_hold_value_maps_constants_and_calendars(tmp_path):
    mapping = {
        "columns": {"Ref": "id", "Name": "name", "Date": "event_date", "Sources": "source_urls"},
        "ignored": ["Name (Persian)"],
        "constants": {"country": "IR"},
        "value_maps": {"Status": {"killed": {"event_type": "death", "status": "deceased"},
                                  "arrested": {"event_type": "arrest", "status": "detained"},
                                  "sentenced_to_death": {"event_type": "sentence", "status": "sentenced", "sentence_kind": "death_penalty"}}},
    }
    path = write(tmp_path, json.dumps(mapping), "iran.json")
    run(write(tmp_path, IRAN), "--mapping", str(path), "--save-mapping", "Iran list")
    assert Event.objects.count() == 3 and NameVariant.objects.count() == 0
    saved = ImportMapping.objects.get(name="Iran list")
    assert saved.constants == {"country": "IR"} and saved.value_maps["Status"]["killed"]["status"] == "deceased"
    assert "3 left alone" in run(write(tmp_path, IRAN), "--mapping", "Iran list")


def test_json_lists_with_nested_objects_are_flattened(tmp_path):
    prisoners = [
        {"isn": "G-1", "name": {"en": "Example Prisoner One"}, "detained": {"kind": "detention", "date": "2002-01"}},
        {"isn": "G-2", "name": {"en": "Example Prisoner Two"}, "detained": {"kind": "detention", "date": "2002~"}},
    ]
    path = write(tmp_path, json.dumps(prisoners), "prisoners.json")
    run(path, "--map", "isn=id", "--map", "name.en=name", "--map", "detained.kind=event_type", "--map", "detained.date=event_date")
    assert sorted(Event.objects.values_list("date", flat=True)) == ["2002-01", "2002~"]


def test_semicolon_csv_in_cyrillic_with_repeated_names_is_read(tmp_path):
    text = "id;name;birth_date\nR-1;Иван Петров;1970\nR-2;Иван Петров;1982\n"
    output = run(write(tmp_path, text))
    assert Person.objects.filter(name="Иван Петров").count() == 2
    assert "Rows 2 and 3 both name “Иван Петров” but have different identifiers (R-1, R-2)" in output


def test_every_problem_is_reported_at_once_with_their_column_and_true_totals(tmp_path):
    rows = "".join(f"IR-{n},Person {n},,{'killed' if n % 3 else 'executed'},{'2022-09' if n % 5 else 'someday'},\n" for n in range(1, 601))
    output = fails(write(tmp_path, "Ref,Name,Name (Persian),Status,Date,Sources\n" + rows), *IRAN_MAP[:10], "--set", "event_type=arrest")
    assert "720 problem(s) in 600 rows" in output
    assert "2 values of Status are not mapped: killed ×400, executed ×200" in output
    assert "1 value of Date is not a date the tracker can read: someday ×120" in output
    assert "row 6, Date: “someday” is not a date" in output and "row 6, Status: “killed” is not one of" in output
    assert "in 600 of 600 rows; nothing was imported" in output
    assert Person.objects.count() == 0


def test_the_rows_that_pass_can_be_imported_and_the_rest_returned_with_a_reason(tmp_path):
    text = IRAN + "IR-4,Bad Date,,killed,yesterday,\n"
    rejected = tmp_path / "rejected.csv"
    output = run(write(tmp_path, text), *IRAN_MAP, "--import-passing", "--rejected", str(rejected))
    assert "1 row(s) with problems left out" in output and Person.objects.count() == 3
    with open(rejected, encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][-1] == "reason" and rows[1][:2] == ["IR-4", "Bad Date"]
    assert "row 5, Date: “yesterday”" in rows[1][-1]


def test_each_address_cites_the_rows_event_even_without_an_excerpt(tmp_path):
    run(write(tmp_path, IRAN), *IRAN_MAP)
    death = Event.objects.get(case__person__external_id="IR-1")
    citations = Citation.objects.filter(event=death)
    assert sorted(citations.values_list("source__url", flat=True)) == ["https://example.org/1", "https://example.org/2"]
    assert all(not citation.words_copied for citation in citations)
    assert Citation.objects.count() == Source.objects.count() == 4


def test_rows_of_one_person_that_agree_are_merged_and_conflicts_name_both_rows(tmp_path):
    text = "name,birth_date,event_type,event_date,sentence_kind\nNigora Umarova,1980,arrest,2020,\nNigora Umarova,1980,sentence,2021,suspended\n"
    run(write(tmp_path, text))
    nigora = Person.objects.get()
    assert sorted(Event.objects.filter(case__person=nigora).values_list("kind", flat=True)) == ["arrest", "sentence"]

    text = "id,name,gender\nK-1,Kamol Saidov,male\nK-1,Kamol Saidov,female\n"
    output = fails(write(tmp_path, text, "conflict.csv"))
    assert "row 3, gender: Row 2 is the same person (K-1) but says “male”, this row “female”" in output
    assert not Person.objects.filter(name="Kamol Saidov").exists()


def test_a_corrected_date_corrects_the_event_it_came_from(tmp_path):
    run(write(tmp_path, IRAN), *IRAN_MAP)
    death = Event.objects.get(case__person__external_id="IR-1")
    run(write(tmp_path, IRAN.replace("2022-09-21", "2022-09-20"), "v2.csv"), *IRAN_MAP)
    death.refresh_from_db()
    assert death.date == "2022-09-20" and Event.objects.count() == 3
    assert death.history.first().history_type == "~"


@pytest.mark.parametrize(
    "content, message",
    [
        ("name\nРустам Назаров\n".encode("cp1251"), "Save As › “CSV UTF-8"),
        ("name,other_names\nReza Ahmadi,??? ?????\n".encode(), "Question marks stand where letters were"),
        ("name,event_type,event_date\nReza Ahmadi,arrest,1401-06-30\n".encode(), "looks like a Persian (Solar Hijri) date"),
    ],
)
def test_wrongly_saved_text_and_persian_dates_are_refused_with_a_way_out(tmp_path, content, message):
    assert message in fails(write(tmp_path, content))
    assert Person.objects.count() == 0


def test_a_column_declared_persian_is_converted_no_more_precisely_than_written(tmp_path):
    text = "name,event_type,event_date,birth_date\nReza Ahmadi,arrest,۱۴۰۱/۰۶/۳۰,1370\n"
    run(write(tmp_path, text), "--calendar", "event_date=persian", "--calendar", "birth_date=persian")
    assert Event.objects.get().date == "2022-09-21"
    # A Persian year is two Gregorian years' parts: kept as the days it spans.
    assert Person.objects.get().birth_date == "1991-03-21/1992-03-20"


def test_command_line_imports_record_the_user_in_history(tmp_path):
    User.objects.create_user("importer")
    run(write(tmp_path, IRAN), *IRAN_MAP, "--user", "importer")
    assert Person.history.filter(history_user__username="importer").count() == 3
    assert "No user called “nobody”" in fails(write(tmp_path, IRAN), "--user", "nobody")


def test_possible_duplicates_are_found_merged_and_the_merge_undone(client):
    assert staff_client("plain-editor", EDITOR).get("/admin/cases/person/duplicates/").status_code == 403
    editor = staff_client("editor", PUBLISHER)
    a = Person.objects.create(name="Abdullokhi Shamsiddin", birth_date="1985", slug="a")
    b = Person.objects.create(name="Shamsiddin Abdullohi", birth_date="1985", slug="b")
    Person.objects.create(name="Ali Aliev", slug="c")
    NameVariant.objects.create(person=b, name="Абдуллоҳи Шамсиддин")
    case = Case.objects.create(person=b, title="Deportation", slug="case-b")
    affiliation = Affiliation.objects.create(person=b, organization=make_organization(), role="member")
    citation = Citation.objects.create(source=make_source(), person=b, excerpt="", confidence="likely")

    page = editor.get("/admin/cases/person/duplicates/").content.decode()
    assert "Abdullokhi Shamsiddin" in page and "Shamsiddin Abdullohi" in page and "Ali Aliev" not in page

    response = editor.post("/admin/cases/person/duplicates/merge/", {"kept": a.pk, "other": b.pk}, follow=True)
    assert "was merged into" in response.content.decode()
    assert not Person.objects.filter(pk=b.pk).exists()
    for record in (case, affiliation, citation):
        record.refresh_from_db()
        assert record.person_id == a.pk
    assert sorted(a.name_variants.values_list("name", flat=True)) == ["Shamsiddin Abdullohi", "Абдуллоҳи Шамсиддин"]
    assert Person.history.filter(id=b.pk, history_type="-").get().history_user.username == "editor"

    merged = PersonMerge.objects.get()
    editor.post(f"/admin/cases/person/duplicates/undo/{merged.pk}/")
    restored = Person.objects.get(pk=b.pk)
    assert restored.name == "Shamsiddin Abdullohi"
    for record in (case, affiliation, citation):
        record.refresh_from_db()
        assert record.person_id == b.pk
    assert list(a.name_variants.all()) == []
    assert list(restored.name_variants.values_list("name", flat=True)) == ["Абдуллоҳи Шамсиддин"]


def test_birth_years_far_apart_are_not_possible_duplicates():
    Person.objects.create(name="Rustam Nazarov", birth_date="1950", slug="a")
    Person.objects.create(name="Rustam Nazarov", birth_date="1990", slug="b")
    assert merging.possible_duplicates() == []


def test_progress_page_refreshes_itself_and_says_what_is_done(tmp_path):
    editor = staff_client("editor", EDITOR)
    job = ImportJob.objects.create(token="a" * 32, file_name="list.csv", state=ImportJob.State.CHECKING,
                                   rows_total=1000, rows_checked=250, stage_started=timezone.now() - datetime.timedelta(seconds=10))
    page = editor.get(f"/admin/cases/case/import/{job.token}/progress/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Rows checked: 250 of about 1000" in page
    assert re.search(r"About 3\d seconds left", page)  # 250 rows in 10 s: 750 more take about 30 s
    assert "<script" not in page.split("<body")[1].split('id="content"')[1]


def test_abandoned_uploads_are_deleted_after_a_day(tmp_path):
    editor = staff_client("editor", EDITOR)
    editor.post("/admin/cases/case/import/", {"file": SimpleUploadedFile("list.csv", IRAN.encode())})
    job = ImportJob.objects.get()
    assert import_jobs.upload_path(job).exists()
    assert import_jobs.remove_abandoned() == 0
    call_command("remove_abandoned_imports", stdout=io.StringIO())
    assert import_jobs.upload_path(job).exists()
    ImportJob.objects.update(updated=timezone.now() - datetime.timedelta(days=2))
    assert import_jobs.remove_abandoned() == 1
    assert not import_jobs.upload_path(job).exists() and not ImportJob.objects.exists()


def test_the_admin_reads_value_maps_constants_and_calendars(tmp_path):
    editor = staff_client("editor", EDITOR)
    response = editor.post("/admin/cases/case/import/", {"file": SimpleUploadedFile("iran.csv", IRAN.encode())})
    url = response["Location"]
    page = editor.get(url).content.decode()
    assert "killed ×1" in page and "رضا احمدی" in page
    data = {
        "column_0": "id", "column_1": "name", "column_2": "other_names", "column_3": "", "column_4": "event_date",
        "column_5": "source_urls", "constant_field_0": "country", "constant_value_0": "IR",
        "values_3": "killed: event_type=death, status=deceased\narrested: event_type=arrest, status=detained\n"
                    "sentenced_to_death: event_type=sentence, status=sentenced, sentence_kind=death_penalty",
    }
    response = editor.post(url, data, follow=True)
    assert "3 rows pass: 3 new people would be created" in response.content.decode()
    editor.post(response.redirect_chain[-1][0], {"confirm": "1"})
    assert Event.objects.get(case__person__external_id="IR-1").sets_status == Status.DECEASED
    assert Person.objects.get(external_id="IR-1").history.get().history_user.username == "editor"


def test_an_excerpt_copied_later_fills_the_citation_that_waited_for_it(tmp_path):
    run(write(tmp_path, IRAN), *IRAN_MAP)
    with_words = IRAN.replace("Sources\n", "Sources,Words\n").replace("https://example.org/3\n", "https://example.org/3,She was arrested.\n")
    run(write(tmp_path, with_words, "v2.csv"), *IRAN_MAP, "--map", "Words=excerpt")
    citation = Citation.objects.get(source__url="https://example.org/3")
    assert citation.excerpt == "She was arrested." and citation.words_copied
    assert Citation.objects.count() == 4


def test_the_progress_bar_knows_how_many_rows_each_kind_of_file_has(tmp_path):
    from openpyxl import Workbook

    from cases.spreadsheets import count_rows

    workbook = Workbook()
    for line in IRAN.strip().split("\n"):
        workbook.active.append(line.split(","))
    workbook.save(tmp_path / "iran.xlsx")
    assert count_rows(tmp_path / "iran.xlsx") == 3
    assert count_rows(write(tmp_path, IRAN)) == 3
    assert count_rows(write(tmp_path, json.dumps([{"name": "A"}, {"name": "B"}]), "list.json")) == 2


def test_imported_texts_fill_the_original_language_and_its_history(tmp_path):
    run(write(tmp_path, "name,case_title,event_type,event_date,description\nReza Ahmadi,Arrest in Tehran,arrest,2022,Taken at home.\n"))
    case, event = Case.objects.get(), Event.objects.get()
    assert (case.title_en, event.description_en) == ("Arrest in Tehran", "Taken at home.")
    assert case.history.get().title_en == "Arrest in Tehran" and event.history.get().description_en == "Taken at home."
