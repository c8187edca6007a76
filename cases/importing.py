"""Importing people, cases, events and sources from a spreadsheet (CSV or XLSX).

One row is one person, and optionally one case of theirs with one event and
the sources that report it: the way groups keep their lists. The file is
read as a stream, never whole: first every row is checked (the clean rows
wait in a temporary file), and only if no row has a problem is anything
written, in one transaction. A dry run does the writing too, to tell what
would be created or changed, and then rolls it back.

We read the files with the csv module and openpyxl's read-only mode rather
than through django-import-export: a row here fills five models at once,
the import must be all or nothing across them, and a 100,000-row file has
to pass in a few hundred megabytes, which a per-row result object kept for
every row does not allow.
"""

import codecs
import csv
import io
import pickle
import tempfile
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from . import dates, signals
from .history import copy_to_history
from .models import (
    Case,
    unique_slug,
    unique_slug_base,
    Citation,
    Confidence,
    Event,
    EventKind,
    Gender,
    NameVariant,
    Organization,
    OrganizationKind,
    Person,
    Script,
    SentenceKind,
    Source,
    SourceKind,
    Status,
    Visibility,
)

# The fields a column can fill, with what an editor needs to know to fill it.
COLUMNS = {
    "id": "Your identifier for the person (any text, unique in the file). Importing the file again updates the same person.",
    "name": "Required. The person's name as most sources write it.",
    "other_names": "Other spellings or scripts, separated by ; or | (e.g. Abdullohi Shamsiddin; Абдуллоҳи Шамсиддин).",
    "birth_date": "EDTF date: 1990, 1990-05, 1990-05-17, 1990~ (about).",
    "gender": "female, male or other.",
    "citizenship": "Country: two-letter code (TJ) or English name (Tajikistan).",
    "case_title": "What the tracker follows, e.g. Deportation from Germany and detention.",
    "event_type": "One of: " + ", ".join(EventKind.values) + ".",
    "event_date": "EDTF date of the event; required with event_type. 2023-01-18, 2023-01, 2020-03-05/2023-03, ../2023-03.",
    "status": "The status the event puts the case in: " + ", ".join(Status.values) + ".",
    "place": "Town, facility or building.",
    "country": "Country where the event happened (code or English name).",
    "sending_country": "For deportations and extraditions: the country that sent the person.",
    "authority": "The agency, court or group that acted (matched to an organization by name or abbreviation, or created).",
    "description": "What happened, in a sentence or two.",
    "sentence_kind": "For a sentence: " + ", ".join(SentenceKind.values) + ".",
    "sentence_years": "For a prison term: whole years.",
    "sentence_months": "For a prison term: months beyond the years (0-11).",
    "source_urls": "Web addresses of the sources, separated by spaces, new lines or ; (each becomes a source).",
    "source_kind": "Kind of those sources: " + ", ".join(SourceKind.values) + " (default other).",
    "source_title": "Title of the source (with one URL); otherwise the address is used.",
    "excerpt": "The source's words supporting the event, copied exactly. Without it the sources are recorded but cite nothing yet.",
    "confidence": "confirmed, likely, possible or unknown (default unknown).",
}
REQUIRED = {"name"}
# The tracker's own CSV export (/export/cases.csv) names some columns
# differently; they are read as these fields unless a mapping says otherwise.
EXPORT_ALIASES = {
    "person": "name",
    "other_spellings": "other_names",
    "status_event_type": "event_type",
    "status_event_date": "event_date",
}
MAX_ERRORS = 500
MAX_REPORTED_ROWS = 2000


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def __str__(self):
        where = _("row %(row)d") % {"row": self.row} if self.row else _("file")
        if self.column:
            where = f"{where}, {self.column}"
        return f"{where}: {self.message}"


@dataclass
class Report:
    rows: int = 0
    outcomes: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)
    row_outcomes: list = field(default_factory=list)  # (row number, name, outcome), first rows only
    created: Counter = field(default_factory=Counter)
    written: bool = False

    @property
    def ok(self):
        return not self.problems

    def add_problem(self, row, column, message):
        if len(self.problems) < MAX_ERRORS:
            self.problems.append(Problem(row, column, message))


# Reading ------------------------------------------------------------------------


def normalize_header(text):
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower()).strip("_")


def open_rows(path_or_file, name=""):
    """The rows of a CSV or XLSX file as lists of strings, header first, read as a stream."""
    handle = open(path_or_file, "rb") if isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__") else path_or_file
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    if not head:
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_rows(handle)
    if head.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"\x7fELF", b"MZ")) or b"\x00" in head:
        raise ImportFileError(_("This is not a spreadsheet: save it as CSV (UTF-8) or Excel .xlsx."))
    return _csv_rows(handle)


def _csv_rows(handle):
    reader = codecs.getreader("utf-8-sig")(handle, errors="strict")
    try:
        sample = reader.read(4096)
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is not in UTF-8. In your spreadsheet program, save it as “CSV UTF-8”, then import it again.")
        ) from None
    handle.seek(0)
    reader = codecs.getreader("utf-8-sig")(handle, errors="strict")
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    if not sample.strip():
        raise ImportFileError(_("The file is empty."))

    def rows():
        try:
            for row in csv.reader(reader, dialect):
                yield row
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file is not in UTF-8. In your spreadsheet program, save it as “CSV UTF-8”, then import it again.")
            ) from None
        except csv.Error as error:
            raise ImportFileError(_("The file is not a readable CSV file: %(error)s") % {"error": error}) from None

    return rows()


def _xlsx_rows(handle):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(_("This is not a spreadsheet: save it as CSV (UTF-8) or Excel .xlsx.")) from None
    sheet = workbook.worksheets[0]

    def rows():
        try:
            for values in sheet.iter_rows(values_only=True):
                yield ["" if value is None else _cell_text(value) for value in values]
        finally:
            workbook.close()

    return rows()


def _cell_text(value):
    if hasattr(value, "isoformat"):
        # A date typed into Excel: keep the day only, as EDTF.
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Checking one row -------------------------------------------------------------------


@dataclass(eq=False)
class Row:
    number: int
    values: dict
    names: list = field(default_factory=list)
    urls: list = field(default_factory=list)


COUNTRY_BY_NAME = {name.lower(): code for code, name in countries}
URL_SPLIT = re.compile(r"[\s;,|]+")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


def _country(value):
    value = value.strip()
    if not value:
        return ""
    if value.upper() in countries:
        return value.upper()
    return COUNTRY_BY_NAME.get(value.lower())


def _choice(value, choices):
    value = value.strip().lower().replace(" ", "_")
    return value if value in choices else None



VOCABULARIES = {
    "gender": Gender.values,
    "event_type": EventKind.values,
    "status": Status.values,
    "sentence_kind": SentenceKind.values,
    "source_kind": SourceKind.values,
    "confidence": Confidence.values,
}


def check_row(number, values, report):
    """Turn a row's cells into clean values, reporting each problem with its column."""
    row = Row(number=number, values={})
    before = len(report.problems)

    def problem(column, message):
        report.add_problem(number, column, message)

    for column, value in values.items():
        values[column] = (value or "").strip()
    if not values.get("name"):
        problem("name", _("The name is missing."))
    for column, limit in (("id", 100), ("name", 200), ("case_title", 300), ("place", 200), ("source_title", 500), ("authority", 300)):
        if len(values.get(column, "")) > limit:
            problem(column, _("Longer than %(limit)d characters.") % {"limit": limit})
    for column in ("birth_date", "event_date"):
        if values.get(column):
            try:
                dates.parse(values[column])
            except ValidationError as error:
                problem(column, " ".join(error.messages))
    for column in ("citizenship", "country", "sending_country"):
        code = _country(values.get(column, ""))
        if code is None:
            problem(column, _("“%(value)s” is not a country name or two-letter code.") % {"value": values[column]})
        values[column] = code or ""
    for column, allowed in VOCABULARIES.items():
        if values.get(column):
            chosen = _choice(values[column], allowed)
            if chosen is None:
                problem(column, _("“%(value)s” is not one of: %(allowed)s.") % {"value": values[column], "allowed": ", ".join(allowed)})
            values[column] = chosen or ""
    for column in ("sentence_years", "sentence_months"):
        if values.get(column):
            if not values[column].isdigit():
                problem(column, _("Write a whole number."))
                values[column] = ""
    if values.get("event_type") and not values.get("event_date"):
        problem("event_date", _("An event needs a date (EDTF; as vague as the source, e.g. 2023 or ../2023-03)."))
    if not values.get("event_type"):
        for column in ("event_date", "status", "place", "country", "sending_country", "authority", "description", "sentence_kind", "excerpt"):
            if values.get(column):
                problem(column, _("This describes an event: give event_type too."))
                break
    if values.get("event_type") and len(report.problems) == before and _has_event_rules(values):
        _check_event_rules(values, problem)
    row.names = [name.strip() for name in re.split(r"[;|]", values.get("other_names", "")) if name.strip()]
    for name in row.names:
        if len(name) > 200:
            problem("other_names", _("A name is longer than 200 characters."))
    row.urls = [url for url in URL_SPLIT.split(values.get("source_urls", "")) if url]
    for url in row.urls:
        if not URL_PATTERN.match(url) or len(url) > 1000:
            problem("source_urls", _("“%(url)s” is not a web address (it must start with http:// or https://).") % {"url": url[:100]})
    if values.get("excerpt") and not row.urls:
        problem("excerpt", _("An excerpt needs the source it comes from: fill source_urls."))
    row.values = values
    return row if len(report.problems) == before else None


# The columns Event.clean() has rules about beyond the date (checked above).
RULED_COLUMNS = ("sentence_kind", "sentence_years", "sentence_months", "sending_country")


def _has_event_rules(values):
    return values["event_type"] == EventKind.SENTENCE or any(values.get(column) for column in RULED_COLUMNS)


def _check_event_rules(values, problem):
    event = Event(
        kind=values["event_type"],
        date=values["event_date"],
        sending_country=values.get("sending_country", ""),
        sentence_kind=values.get("sentence_kind", ""),
        sentence_years=int(values["sentence_years"]) if values.get("sentence_years") else None,
        sentence_months=int(values["sentence_months"]) if values.get("sentence_months") else None,
    )
    try:
        event.clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = {"kind": "event_type", "date": "event_date", "sentence_kind": "sentence_kind"}.get(name, name)
            for message in messages:
                problem(column, message)


# The import itself ------------------------------------------------------------------


class _RollBack(Exception):
    pass


def mapped_rows(rows, mapping=None):
    """(row number, {field: value}) for each data row, the header read through `mapping`."""
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    mapping = {normalize_header(key): value for key, value in (mapping or {}).items()}
    fields = []
    for cell in header:
        key = normalize_header(cell)
        target = mapping.get(key, EXPORT_ALIASES.get(key, key))
        fields.append(target if target in COLUMNS else None)
    seen = [name for name in fields if name]
    duplicates = {name for name in seen if seen.count(name) > 1}
    if duplicates:
        raise ImportFileError(_("Two columns fill the same field: %(fields)s.") % {"fields": ", ".join(sorted(duplicates))})
    missing = REQUIRED - set(seen)
    if missing:
        raise ImportFileError(
            _("No column holds %(fields)s. The first row must hold the column names (see the template).")
            % {"fields": ", ".join(sorted(missing))}
        )
    for number, cells in enumerate(rows, start=2):
        if not any(str(cell).strip() for cell in cells):
            continue
        yield number, {name: str(cells[i]) if i < len(cells) else "" for i, name in enumerate(fields) if name}


def run_import(open_file, mapping=None, dry_run=False, progress=None, user=None):
    """Check every row of the file, then, if none has a problem, write them all (or pretend to).

    `open_file` is a callable returning a row iterator. The checked rows wait
    in a temporary file between the two steps, so a large file is never held
    in memory and is read and checked only once.
    """
    report = Report()
    ids = set()
    with tempfile.TemporaryFile() as checked:
        for number, values in mapped_rows(open_file(), mapping):
            report.rows += 1
            row = check_row(number, values, report)
            if row and row.values.get("id"):
                if row.values["id"] in ids:
                    report.add_problem(number, "id", _("The identifier “%(id)s” is on an earlier row too.") % {"id": row.values["id"]})
                ids.add(row.values["id"])
            if row and report.ok:
                pickle.dump(row, checked, protocol=pickle.HIGHEST_PROTOCOL)
            if progress:
                progress("checking", report.rows)
        if report.rows == 0:
            report.add_problem(0, "", _("The file has column names but no rows."))
        if not report.ok:
            return report
        checked.seek(0)
        writer = Writer(report, user)
        try:
            with transaction.atomic(), signals.deferred_status_refresh():
                for row in _load_all(checked):
                    writer.write(row)
                    if progress:
                        progress("writing", report.rows)
                writer.flush()
                if dry_run:
                    raise _RollBack
        except _RollBack:
            pass
        except IntegrityError as error:
            report.add_problem(0, "", _("The database refused the import, nothing was written: %(error)s") % {"error": error})
            return report
    report.written = not dry_run
    return report


def _load_all(handle):
    while True:
        try:
            yield pickle.load(handle)
        except EOFError:
            return


def detect_script(name):
    if re.search("[\u0600-\u06ff]", name):
        return Script.ARABIC
    if re.search("[ҳқғҷӣӯҲҚҒҶӢӮ]", name):
        return Script.TAJIK_CYRILLIC
    if re.search("[\u0400-\u04ff]", name):
        return Script.CYRILLIC
    if re.search("[A-Za-z]", name):
        return Script.LATIN
    return Script.OTHER


BATCH_SIZE = 500


def record_created(model, pks, user):
    """Write the "created" history entry of rows just inserted in bulk, as simple-history would."""
    if pks:
        copy_to_history(model, pks, user, "+")


class Writer:
    """Writes checked rows in batches: a few queries and bulk inserts per batch, not per row.

    Bulk inserts send no signals, so each new record's derived fields (search
    keys, date bounds, slugs) are filled here and its first history entry is
    written in bulk too. Imported records are internal, so they cannot change
    any case's public status; an existing event that is updated is saved
    normally, which refreshes its case.
    """

    def __init__(self, report, user=None):
        self.report = report
        self.user = user
        self.pending = []
        # Only primary keys are remembered between batches, so memory stays flat on big files.
        self.sources = {}  # url -> source id
        self.labels = {}
        self.organizations = {}
        for organization in Organization.objects.all():
            for key in (organization.name, organization.abbreviation):
                if key:
                    self.organizations.setdefault(key.lower(), organization)
        self.slugs = {
            Person: set(Person.objects.values_list("slug", flat=True)),
            Case: set(Case.objects.values_list("slug", flat=True)),
        }

    def write(self, row):
        self.pending.append(row)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self):
        rows, self.pending = self.pending, []
        if not rows:
            return
        for row in rows:
            row.changes = Counter()
        self._people(rows)
        self._variants(rows)
        self._cases(rows)
        self._events(rows)
        self._sources(rows)
        self._citations(rows)
        for row in rows:
            if row.person_state == "created":
                outcome = "created"
            elif row.changes["created"] or row.changes["changed"] or row.person_state == "changed":
                outcome = "changed"
            else:
                outcome = "unchanged"
            self.report.outcomes[outcome] += 1
            if len(self.report.row_outcomes) < MAX_REPORTED_ROWS:
                self.report.row_outcomes.append((row.number, row.values["name"], outcome))

    # Helpers

    def _create(self, model, instances):
        for instance in instances:
            instance.visibility = Visibility.INTERNAL
            instance.fill_derived_fields()
        model.objects.bulk_create(instances, batch_size=BATCH_SIZE)
        record_created(model, [instance.pk for instance in instances], self.user)
        self.report.created[model.__name__] += len(instances)

    def _slug(self, model, person):
        taken = self.slugs[model]
        base = unique_slug_base(person.name)
        slug, n = base, 2
        while slug in taken:
            slug = f"{base[:75]}-{n}"
            n += 1
        taken.add(slug)
        return slug

    def _kind_label(self, kind):
        if kind not in self.labels:
            self.labels[kind] = str(EventKind(kind).label)
        return self.labels[kind]

    def _update(self, instance, values):
        changed = {name: value for name, value in values.items() if value not in ("", None) and getattr(instance, name) != value}
        for name, value in changed.items():
            setattr(instance, name, value)
        if changed:
            instance._history_user = self.user
            instance.save()
        return "changed" if changed else "unchanged"

    # One step per model

    def _people(self, rows):
        ids = [row.values["id"] for row in rows if row.values.get("id")]
        names = [row.values["name"] for row in rows if not row.values.get("id")]
        found = {}
        if ids:
            found.update({("id", p.external_id): p for p in Person.objects.filter(external_id__in=ids)})
        if names:
            # No identifier: the same name and birth date is the same person.
            for person in Person.objects.filter(name__in=names).order_by("pk"):
                found.setdefault(("name", person.name, person.birth_date), person)
        new = []
        for row in rows:
            values = row.values
            key = ("id", values["id"]) if values.get("id") else ("name", values["name"], values.get("birth_date", ""))
            fields = {
                "name": values["name"],
                "birth_date": values.get("birth_date", ""),
                "gender": values.get("gender", ""),
                "citizenship": values.get("citizenship", ""),
            }
            person = found.get(key)
            if person is None:
                person = Person(external_id=values.get("id", ""), **fields)
                person.slug = self._slug(Person, person)
                new.append(person)
                row.person_state = "created"
            else:
                row.person_state = self._update(person, fields)
            found[key] = person
            row.person = person
        self._create(Person, new)

    def _variants(self, rows):
        known = {}
        existing = [row.person.pk for row in rows if row.person_state != "created" and row.names]
        for person_id, name in NameVariant.objects.filter(person__in=existing).values_list("person_id", "name"):
            known.setdefault(person_id, set()).add(name.casefold())
        new = []
        for row in rows:
            names = known.setdefault(row.person.pk, set())
            names.add(row.person.name.casefold())
            # Every written form is kept, even one that folds to a known key: readers see it as written.
            for name in row.names:
                if name.casefold() not in names:
                    names.add(name.casefold())
                    new.append(NameVariant(person=row.person, name=name, script=detect_script(name), note="imported"))
                    row.changes["created"] += 1
        self._create(NameVariant, new)

    def _cases(self, rows):
        wanted = [row for row in rows if row.values.get("case_title") or row.values.get("event_type")]
        by_person = {}
        for case in Case.objects.filter(person__in={row.person.pk for row in wanted}).order_by("pk"):
            by_person.setdefault(case.person_id, []).append(case)
        new = []
        for row in rows:
            row.case = None
            if row not in wanted:
                continue
            title = row.values.get("case_title") or self._kind_label(row.values["event_type"])
            cases = by_person.setdefault(row.person.pk, [])
            case = next((case for case in cases if case.title == title), None)
            if case is None and not row.values.get("case_title") and len(cases) == 1:
                case = cases[0]
            if case is None:
                case = Case(person=row.person, title=title)
                case.slug = self._slug(Case, row.person)
                cases.append(case)
                new.append(case)
                row.changes["created"] += 1
            row.case = case
        self._create(Case, new)

    def _events(self, rows):
        wanted = [row for row in rows if row.case and row.values.get("event_type")]
        existing = {}
        for event in Event.objects.filter(case__in={row.case.pk for row in wanted}).select_related("authority"):
            existing.setdefault((event.case_id, event.kind, event.date), event)
        new = []
        for row in rows:
            row.event = None
            if row not in wanted:
                continue
            values = row.values
            fields = {
                "place": values.get("place", ""),
                "country": values.get("country", ""),
                "sending_country": values.get("sending_country", ""),
                "description": values.get("description", ""),
                "sets_status": values.get("status", ""),
                "sentence_kind": values.get("sentence_kind", ""),
                "sentence_years": int(values["sentence_years"]) if values.get("sentence_years") else None,
                "sentence_months": int(values["sentence_months"]) if values.get("sentence_months") else None,
                "authority": self._organization(values["authority"]) if values.get("authority") else None,
            }
            key = (row.case.pk, values["event_type"], values["event_date"])
            event = existing.get(key)
            if event is None:
                event = Event(case=row.case, kind=values["event_type"], date=values["event_date"], **fields)
                existing[key] = event
                new.append(event)
                row.changes["created"] += 1
            else:
                row.changes[self._update(event, fields)] += 1
            row.event = event
        self._create(Event, new)

    def _organization(self, name):
        key = name.lower()
        if key not in self.organizations:
            organization = Organization(name=name, kind=OrganizationKind.OTHER)
            organization.slug = unique_slug(Organization, name)
            organization.visibility = Visibility.INTERNAL
            organization._history_user = self.user
            organization.save()
            self.report.created["Organization"] += 1
            self.organizations[key] = organization
        return self.organizations[key]

    def _sources(self, rows):
        urls = {url for row in rows for url in row.urls} - set(self.sources)
        for url, pk in Source.objects.filter(url__in=urls).order_by("-pk").values_list("url", "pk"):
            self.sources[url] = pk
        new = {}
        for row in rows:
            for url in row.urls:
                if url not in self.sources and url not in new:
                    title = row.values.get("source_title") if len(row.urls) == 1 and row.values.get("source_title") else url
                    new[url] = Source(url=url, title=title[:500], kind=row.values.get("source_kind") or SourceKind.OTHER)
                    row.changes["created"] += 1
        self._create(Source, list(new.values()))
        self.sources.update({url: source.pk for url, source in new.items()})

    def _citations(self, rows):
        # A row's sources cite its fact even without an excerpt: the citation
        # then says its words are not copied yet, and the fact can be published.
        wanted = [row for row in rows if row.urls]
        if not wanted:
            return
        existing = set(
            Citation.objects.filter(
                source__in={self.sources[url] for row in wanted for url in row.urls},
                excerpt__in={row.values.get("excerpt") or "" for row in wanted},
            ).values_list("source_id", "excerpt", "event_id", "case_id", "person_id")
        )
        new = []
        for row in wanted:
            target = row.event or row.case or row.person
            name = {Event: "event", Case: "case", Person: "person"}[type(target)]
            for url in row.urls:
                source_id = self.sources[url]
                ids = {"event": None, "case": None, "person": None, name: target.pk}
                excerpt = row.values.get("excerpt") or ""
                key = (source_id, excerpt, ids["event"], ids["case"], ids["person"])
                if key in existing:
                    continue
                existing.add(key)
                confidence = row.values.get("confidence") or Confidence.UNKNOWN
                new.append(Citation(source_id=source_id, excerpt=excerpt, confidence=confidence, **{name: target}))
                row.changes["created"] += 1
        self._create(Citation, new)


def template_csv():
    """The header row and one example row, for the downloadable template."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(COLUMNS)
    example = {
        "id": "A-001",
        "name": "Example Person",
        "other_names": "Пример Персон",
        "case_title": "Deportation and detention",
        "event_type": "deportation",
        "event_date": "2023-01",
        "status": "deported",
        "country": "TJ",
        "sending_country": "DE",
        "source_urls": "https://example.org/statement",
        "source_kind": "statement",
        "excerpt": "The words of the source.",
        "confidence": "likely",
    }
    writer.writerow([example.get(column, "") for column in COLUMNS])
    return output.getvalue()
