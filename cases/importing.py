"""Importing people, cases, events and sources from a group's list (CSV, XLSX or JSON).

One row is one person, and optionally one case of theirs with one event and
the sources that report it: the way groups keep their lists. A Mapping says
what the file's columns and values mean. The file is read as a stream: first
every row is checked (the clean rows wait in a file, so that importing them
later does not check again), and only if no row has a problem (or the editor
asked for the rows that pass) is anything written, in one transaction. A dry
run does the writing too, to tell what would be created or changed, and then
rolls it back.

We read the files with the csv module and openpyxl's read-only mode rather
than through django-import-export: a row here fills five models at once,
the import must be all or nothing across them, and a 100,000-row file has
to pass in a few hundred megabytes, which a per-row result object kept for
every row does not allow.
"""

import csv
import datetime
import gc
import io
import operator
import pickle
import re
import sqlite3
import tempfile
import threading
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from django_countries.fields import CountryField
from modeltranslation import settings as mt_settings
from modeltranslation.fields import TranslationField, TranslationFieldDescriptor
from modeltranslation.utils import build_localized_fieldname
from modeltranslation.utils import get_language as translated_language

from . import dates, signals
from .bulk import among, execute
from .history import copy_to_history
from .languages import original_language
from .spreadsheets import ImportFileError, count_rows, normalize_header, open_rows, preview  # noqa: F401 (used by the admin and commands)
from .models import (
    Case,
    unique_slug,
    unique_slug_base,
    Citation,
    Confidence,
    Event,
    EventKind,
    Gender,
    ImportedRow,
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
    rebuild_name_tokens,
    order_problems,
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
MAX_REPORTED_ROWS = 2000


# What a file's columns mean --------------------------------------------------------

CALENDARS = {"gregorian", "persian"}
DATE_FIELDS = ("birth_date", "event_date")
EVERY_ROW = "(every row)"


@dataclass
class Mapping:
    """How to read one group's list: saved as an ImportMapping, given on the command line, or both."""

    columns: dict = field(default_factory=dict)  # their heading -> our field ("" to ignore)
    ignored: list = field(default_factory=list)  # their headings left out, even one named like a field
    constants: dict = field(default_factory=dict)  # our field -> value for every row
    value_maps: dict = field(default_factory=dict)  # their heading -> {their value -> {our field -> our value}}
    calendars: dict = field(default_factory=dict)  # their heading -> "persian"
    list_name: str = ""  # rows are remembered per list, so a corrected file corrects its records

    @classmethod
    def from_dict(cls, data):
        data = data or {}
        if not isinstance(data, dict):
            raise ImportFileError(_("A mapping is a JSON object with columns, ignored, constants, value_maps and calendars."))
        known = {"columns", "ignored", "constants", "value_maps", "calendars", "list_name"}
        unknown = set(data) - known
        if unknown:
            raise ImportFileError(_("The mapping has unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
        mapping = cls(**{key: data[key] for key in known if key in data})
        mapping.validate()
        return mapping

    def to_dict(self):
        return {
            "columns": self.columns, "ignored": self.ignored, "constants": self.constants,
            "value_maps": self.value_maps, "calendars": self.calendars, "list_name": self.list_name,
        }

    def validate(self):
        """Refuse a mapping that names a field or calendar we do not have, before any row is read."""
        bad = [target for target in self.columns.values() if target and target not in COLUMNS]
        bad += [name for name in self.constants if name not in COLUMNS]
        for values in self.value_maps.values():
            for targets in values.values():
                bad += [name for name in targets if name not in COLUMNS]
        if bad:
            raise ImportFileError(
                _("The mapping names fields the tracker does not have: %(fields)s. The fields are: %(all)s.")
                % {"fields": ", ".join(sorted(set(bad))), "all": ", ".join(COLUMNS)}
            )
        calendars = set(self.calendars.values()) - CALENDARS
        if calendars:
            raise ImportFileError(
                _("Unknown calendar %(calendars)s: write persian or gregorian.") % {"calendars": ", ".join(sorted(calendars))}
            )

    def merged(self, other):
        """This mapping with `other`'s choices on top (a saved mapping, then the command line's options)."""
        value_maps = {heading: dict(values) for heading, values in self.value_maps.items()}
        for heading, values in other.value_maps.items():
            value_maps.setdefault(heading, {}).update(values)
        return Mapping(
            columns={**self.columns, **other.columns},
            ignored=sorted(set(self.ignored) | set(other.ignored)),
            constants={**self.constants, **other.constants},
            value_maps=value_maps,
            calendars={**self.calendars, **other.calendars},
            list_name=other.list_name or self.list_name,
        )

    def field_for(self, heading):
        key = normalize_header(heading)
        if key in {normalize_header(h) for h in self.ignored}:
            return None
        columns = {normalize_header(h): target for h, target in self.columns.items()}
        if key in columns:
            return columns[key] or None
        target = EXPORT_ALIASES.get(key, key)
        return target if target in COLUMNS else None

    def _by_heading(self, table, heading):
        key = normalize_header(heading)
        return next((value for h, value in table.items() if normalize_header(h) == key), None)

    def value_map_for(self, heading):
        values = self._by_heading(self.value_maps, heading)
        return {str(k).strip().casefold(): v for k, v in values.items()} if values else None

    def calendar_for(self, heading):
        return self._by_heading(self.calendars, heading) or "gregorian"


def parse_value_map(text):
    """Lines of `their value: field=value, field=value` (as typed in the admin) as a value map."""
    result = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, targets = line.rpartition(":")
        if not sep or not value.strip():
            raise ValueError(_("Line %(n)d: write their value, a colon, then field=value pairs.") % {"n": number})
        result[value.strip()] = parse_assignments(targets, number)
    return result


def parse_assignments(text, number=1):
    targets = {}
    for pair in text.split(","):
        name, sep, value = pair.partition("=")
        if not sep or name.strip() not in COLUMNS:
            raise ValueError(
                _("Line %(n)d: “%(pair)s” is not field=value with a field of the tracker.") % {"n": number, "pair": pair.strip()}
            )
        targets[name.strip()] = value.strip()
    return targets


def format_value_map(values):
    return "\n".join(f"{value}: " + ", ".join(f"{k}={v}" for k, v in targets.items()) for value, targets in values.items())


# Problems -----------------------------------------------------------------------


@dataclass
class Problem:
    row: int
    column: str
    message: str
    value: str = ""
    code: str = ""

    def __str__(self):
        where = _("row %(row)d") % {"row": self.row} if self.row else _("file")
        if self.column:
            where = f"{where}, {self.column}"
        return f"{where}: {self.message}"


# What a group of problems of one kind says, in one line.
GROUP_SUMMARIES = {
    "not_mapped": ("%(count)s value of %(column)s is not mapped", "%(count)s values of %(column)s are not mapped"),
    "date": ("%(count)s value of %(column)s is not a date the tracker can read", "%(count)s values of %(column)s are not dates the tracker can read"),
    "persian_year": ("%(count)s value of %(column)s looks like a Persian (Solar Hijri) date", "%(count)s values of %(column)s look like Persian (Solar Hijri) dates"),
    "question_marks": (
        "%(count)s value of %(column)s holds “?” where letters were (the file was saved in the wrong encoding)",
        "%(count)s values of %(column)s hold “?” where letters were (the file was saved in the wrong encoding)",
    ),
    "country": ("%(count)s value of %(column)s is not a country", "%(count)s values of %(column)s are not countries"),
    "url": ("%(count)s value of %(column)s is not a web address", "%(count)s values of %(column)s are not web addresses"),
}
LISTED_PROBLEMS = 1000


@dataclass
class Report:
    rows: int = 0
    outcomes: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)  # the first LISTED_PROBLEMS, in file order
    problem_count: int = 0  # all of them
    groups: dict = field(default_factory=dict)  # (column, code) -> {"values": Counter, "rows": [...], "count": n}
    warnings: list = field(default_factory=list)
    rejected: int = 0  # rows left out when importing the rows that pass
    columns: dict = field(default_factory=dict)  # our field -> their column, to name it in problems found while writing
    row_outcomes: list = field(default_factory=list)  # (row number, name, outcome), first rows only
    created: Counter = field(default_factory=Counter)
    written: bool = False
    file_problem: bool = False

    @property
    def ok(self):
        return not self.problem_count

    @property
    def passing(self):
        return self.rows - self.rejected

    def add_problem(self, row, column, message, value="", code=""):
        self.problem_count += 1
        if not row:
            self.file_problem = True
        if len(self.problems) < LISTED_PROBLEMS:
            self.problems.append(Problem(row, column, message, value, code))
        group = self.groups.setdefault((column, code or message), {"values": Counter(), "rows": [], "count": 0, "message": message, "code": code})
        group["count"] += 1
        group["values"][value] += 1
        if len(group["rows"]) < 5:
            group["rows"].append(row)

    def summary(self):
        """One line per kind of problem, most frequent first: “3 values of Status are not mapped: killed ×3,872, …”."""
        lines = []
        for (column, _key), group in sorted(self.groups.items(), key=lambda item: -item[1]["count"]):
            code, values = group["code"], group["values"]
            if code in GROUP_SUMMARIES and any(values):
                listed = ", ".join(f"{value} ×{count:,}" for value, count in values.most_common(8))
                more = ", …" if len(values) > 8 else ""
                said = ngettext(*GROUP_SUMMARIES[code], len(values)) % {"count": f"{len(values):,}", "column": column}
                lines.append(f"{said}: {listed}{more}")
            else:
                rows = ", ".join(str(row) for row in group["rows"] if row)
                more = ", …" if group["count"] > len(group["rows"]) else ""
                where = f"{column}: " if column else ""
                times = _(" (%(count)s rows: %(rows)s)") % {"count": f"{group['count']:,}", "rows": rows + more} if rows else ""
                lines.append(f"{where}{group['message']}{times}")
        return lines

    def to_dict(self):
        return {
            "rows": self.rows, "outcomes": dict(self.outcomes), "created": dict(self.created), "written": self.written,
            "problems": [vars(problem) for problem in self.problems], "problem_count": self.problem_count,
            "summary": self.summary(), "warnings": self.warnings, "rejected": self.rejected,
            "row_outcomes": self.row_outcomes, "file_problem": self.file_problem,
        }


# Checking one row -------------------------------------------------------------------


@dataclass(eq=False)
class Row:
    number: int
    values: dict
    key: str = ""
    names: list = field(default_factory=list)
    urls: list = field(default_factory=list)


COUNTRY_BY_NAME = {name.lower(): code for code, name in countries}
URL_SPLIT = re.compile(r"[\s;,|]+")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
# A Persian or Arabic-Indic digit is a digit: ۱۴۰۴ is 1404.
DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
PERSIAN_DATE = re.compile(r"^(1[2-4]\d\d)(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
# Letters a wrong encoding replaced: a name with any "?", other text with "??".
QUESTION_MARKS_IN_NAME = "?"
QUESTION_MARKS_IN_TEXT = "??"
NAME_FIELDS = ("name", "other_names")
TEXT_FIELDS = ("case_title", "place", "authority", "description", "source_title", "excerpt")
PERSON_FIELDS = ("name", "birth_date", "gender", "citizenship")


REMEMBERED_COUNTRIES = 1000


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


def persian_to_edtf(text):
    """A Solar Hijri date as EDTF, exactly as precise: a day stays a day, a month or year becomes the days it spans."""
    import jdatetime

    match = PERSIAN_DATE.match(text.translate(DIGITS).strip())
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) if part else None for part in match.groups())
    if day:
        return jdatetime.date(year, month, day).togregorian().isoformat()
    first = jdatetime.date(year, month or 1, 1).togregorian()
    if month:
        last_day = jdatetime.j_days_in_month[month - 1] + (1 if month == 12 and jdatetime.date(year, 1, 1).isleap() else 0)
        last = jdatetime.date(year, month, last_day).togregorian()
    else:
        last = jdatetime.date(year + 1, 1, 1).togregorian() - datetime.timedelta(days=1)
    return f"{first.isoformat()}/{last.isoformat()}"


class Checker:
    """Reads each row through the mapping and checks it, remembering what earlier rows said about the same person."""

    def __init__(self, header, mapping, report):
        self.report = report
        self.header = header
        self.mapping = mapping
        self.columns = []  # (index, heading, field, value map, calendar) for each column read
        for index, heading in enumerate(header):
            target, values = mapping.field_for(heading), mapping.value_map_for(heading)
            if target or values:
                self.columns.append((index, str(heading), target, values, mapping.calendar_for(heading)))
        self.constants = {name: str(value) for name, value in mapping.constants.items()}
        report.columns = {target: heading for _, heading, target, _, _ in self.columns if target}
        fields = [target for _, _, target, _, _ in self.columns if target]
        duplicates = sorted({name for name in fields if fields.count(name) > 1})
        if duplicates:
            raise ImportFileError(_("Two columns fill the same field: %(fields)s.") % {"fields": ", ".join(duplicates)})
        filled = set(fields) | set(self.constants) | {
            name for _, _, _, values, _ in self.columns if values for targets in values.values() for name in targets
        }
        missing = REQUIRED - filled
        if missing:
            raise ImportFileError(
                _("No column holds %(fields)s. The first row must hold the column names (see the template).")
                % {"fields": ", ".join(sorted(missing))}
            )
        self.people = {}  # person key -> (row number, their fields), to merge rows of one person or report a conflict
        self.ids_by_name = {}  # name -> (row number, id), to warn of one name under two identifiers
        self.occurrences = Counter()
        self.event_rules = {}  # what Event.clean said of the event values seen so far
        self.country_codes = {}  # what `_country` said of the values seen so far

    def read(self, cells):
        """{field: value} and {field: (their column, their value)} for one row's cells."""
        values = dict(self.constants)
        origin = dict.fromkeys(self.constants, (EVERY_ROW, ""))
        calendars = {}
        for index, heading, target, value_map, calendar in self.columns:
            cell = str(cells[index]).strip() if index < len(cells) else ""
            if not cell:
                continue
            if value_map is not None:
                mapped = value_map.get(cell.casefold())
                if mapped is not None:
                    for name, value in mapped.items():
                        values[name] = str(value)
                        origin[name] = (heading, cell)
                    continue
                if not target:
                    self.report.add_problem(
                        self._number, heading,
                        _("“%(value)s” is not in the value map of %(column)s.") % {"value": cell, "column": heading},
                        cell, "not_mapped",
                    )
                    continue
            values[target] = cell
            origin[target] = (heading, cell)
            if calendar != "gregorian":
                calendars[target] = calendar
        return values, origin, calendars

    def check(self, number, cells):
        """The row's clean values as a Row, or None when it has a problem (each one reported with their column)."""
        self._number = number
        report = self.report
        before = report.problem_count
        values, origin, calendars = self.read(cells)

        def problem(name, message, code=""):
            column, value = origin.get(name, (name, values.get(name, "")))
            report.add_problem(number, column, message, value, code)

        if not values.get("name"):
            problem("name", _("The name is missing."))
        for name in NAME_FIELDS:
            if QUESTION_MARKS_IN_NAME in values.get(name, ""):
                problem(name, WRONG_ENCODING, "question_marks")
        for name in TEXT_FIELDS:
            if QUESTION_MARKS_IN_TEXT in values.get(name, ""):
                problem(name, WRONG_ENCODING, "question_marks")
        for name, limit in (("id", 100), ("name", 200), ("case_title", 300), ("place", 200), ("source_title", 500), ("authority", 300)):
            if len(values.get(name, "")) > limit:
                problem(name, _("Longer than %(limit)d characters.") % {"limit": limit})
        for name in DATE_FIELDS:
            if values.get(name):
                self._check_date(values, name, calendars.get(name), problem)
        for name in ("citizenship", "country", "sending_country"):
            given = values.get(name, "")
            code = self.country_codes.get(given, False)
            if code is False:
                code = _country(given)
                if len(self.country_codes) < REMEMBERED_COUNTRIES:
                    self.country_codes[given] = code
            if code is None:
                problem(name, _("“%(value)s” is not a country name or two-letter code.") % {"value": values[name]}, "country")
            values[name] = code or ""
        for name, allowed in VOCABULARIES.items():
            if values.get(name):
                chosen = _choice(values[name], allowed)
                if chosen is None:
                    problem(
                        name,
                        _("“%(value)s” is not one of: %(allowed)s. Map it to one of them in the value map of this column.")
                        % {"value": values[name], "allowed": ", ".join(allowed)},
                        "not_mapped",
                    )
                values[name] = chosen or ""
        for name in ("sentence_years", "sentence_months"):
            if values.get(name) and not values[name].isdigit():
                problem(name, _("Write a whole number."))
                values[name] = ""
        if values.get("event_type") and not values.get("event_date"):
            problem("event_date", _("An event needs a date (EDTF; as vague as the source, e.g. 2023 or ../2023-03)."))
        if not values.get("event_type"):
            for name in ("event_date", "status", "place", "country", "sending_country", "authority", "description", "sentence_kind", "excerpt"):
                if values.get(name):
                    problem(name, _("This describes an event: give event_type too."))
                    break
        if values.get("event_type") and values.get("event_date") and report.problem_count == before:
            _check_event_rules(values, problem, self.event_rules)
        names = [name.strip() for name in re.split(r"[;|]", values.get("other_names", "")) if name.strip()]
        for name in names:
            if len(name) > 200:
                problem("other_names", _("A name is longer than 200 characters."))
        urls = [url for url in URL_SPLIT.split(values.get("source_urls", "")) if url]
        for url in urls:
            if not URL_PATTERN.match(url) or len(url) > 1000:
                problem("source_urls", _("“%(url)s” is not a web address (it must start with http:// or https://).") % {"url": url[:100]}, "url")
        if values.get("excerpt") and not urls:
            problem("excerpt", _("An excerpt needs the source it comes from: fill source_urls."))
        if report.problem_count == before:
            self._same_person(number, values, origin, problem)
        if report.problem_count != before:
            return None
        person_key = _person_key(values)
        self.occurrences[person_key] += 1
        return Row(number=number, values=values, key=f"{person_key}#{self.occurrences[person_key]}", names=names, urls=urls)

    def _check_date(self, values, name, calendar, problem):
        text = values[name]
        if calendar == "persian":
            try:
                values[name] = persian_to_edtf(text)
            except ValueError:
                problem(name, _("“%(value)s” is not a Persian calendar date (year-month-day, e.g. 1402-10-18).") % {"value": text}, "date")
                return
        elif PERSIAN_DATE.match(text.translate(DIGITS)) and text.translate(DIGITS)[:4] < "1500":
            problem(
                name,
                _(
                    "“%(value)s” looks like a Persian (Solar Hijri) date, not a year %(year)s. "
                    "If this column is in the Persian calendar, say so in the mapping (calendar: persian) and it is converted."
                )
                % {"value": text, "year": text[:4]},
                "persian_year",
            )
            return
        try:
            dates.parse(values[name])
        except ValidationError as error:
            problem(name, " ".join(error.messages), "date")

    def _same_person(self, number, values, origin, problem):
        """Rows of one person in one file: merged when they agree, refused with both row numbers when not."""
        key = _person_key(values)
        mine = tuple(values.get(name, "") for name in PERSON_FIELDS)
        earlier = self.people.get(key)
        if earlier is None:
            self.people[key] = (number, mine)
        else:
            first_row, theirs = earlier
            for name, a, b in zip(PERSON_FIELDS, theirs, mine):
                if a and b and a != b:
                    problem(
                        name,
                        _("Row %(first)d is the same person (%(who)s) but says “%(a)s”, this row “%(b)s”. Make them agree.")
                        % {"first": first_row, "who": key.partition(":")[2], "a": a, "b": b},
                        "duplicate_conflict",
                    )
            # What this row adds (a birth date the first row left empty) is what the person will have.
            self.people[key] = (first_row, tuple(a or b for a, b in zip(theirs, mine)))
        if values.get("id"):
            name = values["name"].casefold()
            seen = self.ids_by_name.setdefault(name, (number, values["id"]))
            if seen[1] != values["id"] and len(self.report.warnings) < LISTED_PROBLEMS:
                self.report.warnings.append(
                    _(
                        "Rows %(first)d and %(row)d both name “%(name)s” but have different identifiers (%(a)s, %(b)s): "
                        "they are imported as two people. If they are one, merge them on the possible duplicates page."
                    )
                    % {"first": seen[0], "row": number, "name": values["name"], "a": seen[1], "b": values["id"]}
                )


WRONG_ENCODING = _(
    "Question marks stand where letters were: the file was saved in an encoding that cannot hold these letters "
    "(such as Windows “CSV (ANSI)”). Save it again as “CSV UTF-8” and import that file."
)


def _person_key(values):
    if values.get("id"):
        return f"id:{values['id']}"
    return f"name:{values['name']}|{values.get('birth_date', '')}"


EVENT_RULE_FIELDS = ("event_type", "event_date", "sending_country", "status", "sentence_kind", "sentence_years", "sentence_months")
# Answers of `_event_rule_problems` kept per check of a file (rows repeat the same kinds and dates).
REMEMBERED_EVENT_RULES = 4096


def _check_event_rules(values, problem, remembered=None):
    """The event's own rules (Event.clean), so that the import refuses what the admin refuses.

    `remembered` holds the answers for the values seen before in this file:
    the rules read nothing but these values.
    """
    key = tuple(values.get(name, "") for name in EVENT_RULE_FIELDS)
    found = remembered.get(key) if remembered is not None else None
    if found is None:
        found = _event_rule_problems(values)
        if remembered is not None:
            if len(remembered) >= REMEMBERED_EVENT_RULES:
                remembered.clear()
            remembered[key] = found
    for column, message in found:
        problem(column, message)


def _event_rule_problems(values):
    """(column, message) for each rule of Event.clean the row's event breaks."""
    event = build(
        Event,
        kind=values["event_type"],
        date=values["event_date"],
        sending_country=values.get("sending_country", ""),
        sets_status=values.get("status", ""),
        sentence_kind=values.get("sentence_kind", ""),
        sentence_years=int(values["sentence_years"]) if values.get("sentence_years") else None,
        sentence_months=int(values["sentence_months"]) if values.get("sentence_months") else None,
    )
    try:
        event.clean()
    except ValidationError as error:
        return [
            ({"kind": "event_type", "date": "event_date", "sets_status": "status"}.get(name, name), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


# The import itself ------------------------------------------------------------------


class _RollBack(Exception):
    pass


PROGRESS_EVERY = 500


# Objects made between two collections of the youngest generation while an import runs (Python's default: 700).
IMPORT_COLLECTION_THRESHOLD = 20_000
_collector = {"lock": threading.Lock(), "steps": 0, "thresholds": None, "froze": False}


@contextmanager
def _collector_aside():
    """Keep Python's cycle collector out of the way while an import checks or writes rows.

    Each time enough new objects have been made, the collector may walk every
    object the process holds: Django's models, the modules, the caches. An
    import makes millions of short-lived objects, and these walks took a
    sixth of its time. Freezing puts what exists at the start out of their
    way, and the youngest objects are looked at every 20,000 new ones, not
    every 700; what the import leaves behind is still collected. Both are
    settings of the whole process, so the first step to start changes them
    and the last one to end puts them back. A process that froze objects
    itself (a server forking workers) keeps them frozen: then nothing more
    is frozen here.
    """
    with _collector["lock"]:
        if _collector["steps"] == 0:
            thresholds = _collector["thresholds"] = gc.get_threshold()
            _collector["froze"] = gc.get_freeze_count() == 0
            if _collector["froze"]:
                gc.freeze()
            gc.set_threshold(max(thresholds[0], IMPORT_COLLECTION_THRESHOLD), *thresholds[1:])
        _collector["steps"] += 1
    try:
        yield
    finally:
        with _collector["lock"]:
            _collector["steps"] -= 1
            if _collector["steps"] == 0:
                gc.set_threshold(*_collector["thresholds"])
                if _collector["froze"]:
                    gc.unfreeze()


@_collector_aside()
def check_file(rows, mapping, checked, rejected=None, progress=None):
    """Check every row, pickling the clean ones into `checked`; rows with a problem go to `rejected` (a CSV) with the reason."""
    report = Report()
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError(_("The file is empty.")) from None
    checker = Checker(header, mapping, report)
    out = None
    if rejected is not None:
        out = csv.writer(rejected)
        out.writerow([*header, _("reason")])
    dump = pickle.Pickler(checked, protocol=pickle.HIGHEST_PROTOCOL)
    for number, cells in enumerate(rows, start=2):
        if not any(str(cell).strip() for cell in cells):
            continue
        report.rows += 1
        before = report.problem_count
        row = checker.check(number, cells)
        if row is not None:
            dump.dump(row)
            dump.clear_memo()
        else:
            report.rejected += 1
            if out is not None:
                reasons = "; ".join(str(problem) for problem in report.problems[before:]) or _("see the report")
                out.writerow([*cells, reasons])
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress("checking", report.rows)
    if progress:
        progress("checking", report.rows)
    if report.rows == 0:
        report.add_problem(0, "", _("The file has column names but no rows."))
    return report


@_collector_aside()
def write_checked(checked, report, user=None, dry_run=False, progress=None, list_name=""):
    """Write the checked rows in one transaction (rolled back for a dry run)."""
    checked.seek(0)
    writer = Writer(report, user, list_name)
    written = 0
    problems_before = report.problem_count
    try:
        with transaction.atomic(), signals.deferred_status_refresh(), original_language():
            for row in _load_all(checked):
                writer.write(row)
                written += 1
                if progress and written % PROGRESS_EVERY == 0:
                    progress("writing", written)
            writer.flush()
            writer.check_event_order()
            if progress:
                progress("writing", written)
            if dry_run or report.problem_count > problems_before:
                raise _RollBack
    except _RollBack:
        pass
    except IntegrityError as error:
        report.add_problem(0, "", _("The database refused the import, nothing was written: %(error)s") % {"error": error})
        return report
    report.written = not dry_run and report.problem_count == problems_before
    return report


def may_write(report, import_passing=False):
    return report.ok or (import_passing and not report.file_problem and report.passing > 0)


def run_import(open_file, mapping=None, dry_run=False, progress=None, user=None, import_passing=False, rejected=None):
    """Check every row of the file, then, if none has a problem (or only passing rows are wanted), write them.

    `open_file` is a callable returning a row iterator. The checked rows wait
    in a temporary file between the two steps, so a large file is never held
    in memory and is read and checked only once.
    """
    if not isinstance(mapping, Mapping):
        mapping = Mapping(columns=mapping or {})
    mapping.validate()
    with tempfile.TemporaryFile() as checked:
        report = check_file(open_file(), mapping, checked, rejected, progress)
        if may_write(report, import_passing):
            write_checked(checked, report, user, dry_run, progress, mapping.list_name)
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


def people_written(person_ids):
    """The one place that hears which people the importer (or a merge) created or changed, names and spellings included.

    Whatever is kept from people's names (a search index) is brought up to
    date from here, for the people just written.
    """
    rebuild_name_tokens(person_ids)


# Per model: its blank instance's attributes, the names `build` may write straight into an instance, and how
# each other name it was given is set (see `_setter`).
_BUILD_PLANS = {}


def build(model, _language=None, **values):
    """A new unsaved instance: a copy of a blank one with `values` (attribute names: person_id, not person) set.

    Model.__init__ resolves every field's default and every keyword one by one;
    an import makes seven instances per row, and copying is several times faster.
    A per-language text (title) is set in `_language`, by default the active one.
    """
    plan = _BUILD_PLANS.get(model)
    if plan is None:
        blank = {name: value for name, value in vars(model()).items() if name != "_state"}
        plan = _BUILD_PLANS[model] = (blank, set(), {})
    blank, plain, setters = plan
    instance = model.__new__(model)
    stored = instance.__dict__
    stored.update(blank)
    stored["_state"] = ModelState()
    if plain.issuperset(values):
        stored.update(values)
        return instance
    for name, value in values.items():
        setter = setters.get(name)
        if setter is None:
            setter = setters[name] = _setter(model, name)
            if setter is _PLAIN:
                plain.add(name)
        if setter is _PLAIN:
            stored[name] = value
        elif setter is _TRANSLATED:
            # What modeltranslation's descriptor does (the text and its copy in the active language), without its
            # lookups on every assignment.
            stored[name] = value
            stored[build_localized_fieldname(name, _language or translated_language())] = value
        else:
            # A descriptor that converts the value (a country) or caches a related object (person=…).
            setattr(instance, name, value)
    return instance


_PLAIN, _TRANSLATED, _DESCRIPTOR = "plain", "translated", "descriptor"


def _setter(model, name):
    """How `build` sets `name` on a fresh instance as assigning it would."""
    attribute = getattr(model, name, None)
    if isinstance(attribute, TranslationFieldDescriptor) and not attribute.field.is_relation:
        localized = [getattr(model, build_localized_fieldname(name, code), None) for code in mt_settings.AVAILABLE_LANGUAGES]
        if all(type(descriptor) is DeferredAttribute for descriptor in localized):
            return _TRANSLATED
        return _DESCRIPTOR
    # A foreign key's id only forgets the related object cached on the instance, and a fresh one has none.
    if type(attribute) is ForeignKeyDeferredAttribute or not hasattr(type(attribute), "__set__"):
        return _PLAIN
    return _DESCRIPTOR


# Column types whose values the instances already hold as the database driver takes them.
_AS_HELD = (models.CharField, models.TextField, models.SlugField, models.URLField, CountryField, models.BooleanField,
            models.ForeignKey, models.PositiveIntegerField, models.IntegerField, models.PositiveSmallIntegerField)
_INSERT_PLANS = {}


def _insert_plan(model):
    """The model's columns (but its key) by how `insert` reads them: (held as is, dates, timestamps, the others)."""
    if model not in _INSERT_PLANS:
        pk = model._meta.pk
        held, days, stamps, others = [], [], [], []
        for f in model._meta.concrete_fields:
            if f is pk:
                continue
            # Timestamps (auto_now, or "now" by default as Publishable's created/updated): one moment for the batch.
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) or f.default is timezone.now:
                stamps.append(f)
            elif type(f) in _AS_HELD or (isinstance(f, TranslationField) and type(f.translated_field) in _AS_HELD):
                # modeltranslation's per-language copies (title_en…) convert nothing either.
                held.append(f)
            elif type(f) is models.DateField:
                days.append(f)
            else:
                others.append(f)
        _INSERT_PLANS[model] = (held, days, stamps, others)
    return _INSERT_PLANS[model]


def insert(model, instances):
    """What bulk_create does, in one INSERT … RETURNING per batch, without compiling every value to SQL one by one.

    Django's bulk_create builds the SQL for each value of each row in Python,
    which took most of an import's time; here the statement is written once
    per batch and the values go to the driver as they are: a row's plain
    values are read from the instance in one step. Returns the new keys.
    """
    if not instances:
        return []
    quote = connection.ops.quote_name
    pk = model._meta.pk
    held, days, stamps, others = _insert_plan(model)
    fields = held + days + others + stamps
    columns = ", ".join(quote(f.column) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = min(BATCH_SIZE, _max_parameters() // len(fields))
    now = timezone.now()
    stamp_values = (connection.ops.adapt_datetimefield_value(now),) * len(stamps)
    stamp_names = [f.attname for f in stamps]
    read_held = _reader([f.attname for f in held])
    day_names = [f.attname for f in days]
    adapt_day = connection.ops.adapt_datefield_value
    table, returning = quote(model._meta.db_table), quote(pk.column)
    pk_name, alias = pk.attname, connection.alias
    keys = []
    for start in range(0, len(instances), size):
        batch = instances[start : start + size]
        params = []
        for obj in batch:
            values = obj.__dict__
            for name in stamp_names:
                values[name] = now
            params += read_held(values)
            for name in day_names:
                params.append(adapt_day(values[name]))
            for f in others:
                params.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
            params += stamp_values
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(batch))} RETURNING {returning}"
        for obj, (key,) in zip(batch, execute(sql, params)):
            obj.__dict__[pk_name] = key
            state = obj._state
            state.adding = False
            state.db = alias
            keys.append(key)
    return keys


def _reader(names):
    """A function giving the values of `names` from a dict, as a tuple."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda values: tuple(values[name] for name in names)


def _max_parameters():
    """How many parameters one statement may have: SQLite's own limit (32,766 by default since 3.32), not Django's 999."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535


def record_created(model, pks, user):
    """Write the "created" history entry of rows just inserted in bulk, as simple-history would."""
    if pks:
        copy_to_history(model, pks, user, "+")


CASE_PERSON = Case._meta.get_field("person")


def _loaded_only(model, attnames, rows):
    """Instances of `model` to read, as `.only()` loads them, from rows of those columns: the others load when read.

    Model.__init__ (and its signals) took longer than the query; an instance
    whose __dict__ holds only some fields is what a deferred load makes. Not
    for saving: what `from_db` remembers of a loaded record is not here.
    """
    alias = connection.alias
    for values in rows:
        instance = model.__new__(model)
        instance.__dict__.update(zip(attnames, values))
        state = instance._state = ModelState()
        state.adding = False
        state.db = alias
        yield instance


# The fields of an event `order_problems` reads (anything else would be loaded when read).
ORDER_FIELDS = ("case_id", "kind", "date", "date_lower", "date_upper", "sets_status")


class Writer:
    """Writes checked rows in batches: a few queries and bulk inserts per batch, not per row.

    Bulk inserts send no signals, so each new record's derived fields (search
    keys, date bounds, slugs) are filled here and its first history entry is
    written in bulk too. Imported records are internal, so they cannot change
    any case's public status; an existing event that is updated is saved
    normally, which refreshes its case.
    """

    def __init__(self, report, user=None, list_name=""):
        self.report = report
        self.user = user
        self.list_name = list_name
        self.pending = []
        # Case id -> {(kind, date): row number}, to name the row of an event whose order cannot be.
        self.event_rows = {}
        # Only primary keys are remembered between batches, so memory stays flat on big files.
        self.sources = {}  # url -> source id
        self.labels = {}
        self.organizations = {}
        for organization in Organization.objects.all():
            for key in (organization.name, organization.abbreviation):
                if key:
                    self.organizations.setdefault(key.lower(), organization)
        self.slugs = {
            Person: set(Person.objects.order_by().values_list("slug", flat=True)),
            Case: set(Case.objects.order_by().values_list("slug", flat=True)),
        }

    def check_event_order(self):
        """Check the order of the events of every case the file touched, as the file leaves them (`order_problems`)."""
        case_ids = sorted(self.event_rows)
        column = self.report.columns.get("event_date", "event_date")
        for start in range(0, len(case_ids), BATCH_SIZE):
            by_case = {}
            # Only what `order_problems` and the report read: loading whole events took most of this step.
            rows = Event.objects.filter(case_id__in=among(case_ids[start : start + BATCH_SIZE])).values_list("pk", *ORDER_FIELDS)
            for event in _loaded_only(Event, ["id", *ORDER_FIELDS], rows):
                by_case.setdefault(event.case_id, []).append(event)
            for case_id, events in by_case.items():
                for event, message in order_problems(events):
                    number = self.event_rows[case_id].get((event.kind, event.date), 0)
                    self.report.add_problem(number, column, message, event.date, "event_order")

    def write(self, row):
        self.pending.append(row)
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self):
        rows, self.pending = self.pending, []
        if not rows:
            return
        self.slug_bases = {}
        self.language = translated_language()
        for row in rows:
            row.changes = defaultdict(int)
        self._people(rows)
        self._variants(rows)
        people_written({row.person.pk for row in rows if row.person_state != "unchanged" or row.changes["created"]})
        self._remembered(rows)
        self._cases(rows)
        self._events(rows)
        self._sources(rows)
        self._citations(rows)
        self._remember(rows)
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
        record_created(model, insert(model, instances), self.user)
        self.report.created[model.__name__] += len(instances)

    def _slug(self, model, person):
        taken = self.slugs[model]
        # A new person's case takes its slug from the same name: worked out once per batch.
        base = self.slug_bases.get(person.name)
        if base is None:
            base = self.slug_bases[person.name] = unique_slug_base(person.name)
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
            # The condition of the unique index on identifiers, said again so that SQLite reads that index, not the table.
            people = Person.objects.filter(external_id__in=among(ids)).exclude(external_id="")
            found.update({("id", p.external_id): p for p in people})
        if names:
            # No identifier: the same name and birth date is the same person.
            for person in Person.objects.filter(name__in=among(names)).order_by("pk"):
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
                person = build(Person, external_id=values.get("id", ""), **fields)
                person.slug = self._slug(Person, person)
                new.append(person)
                row.person_state = "created"
            elif person.pk is None:
                # A later row of a person this batch creates: it may only fill what the earlier rows left empty.
                for name, value in fields.items():
                    if value and not getattr(person, name):
                        setattr(person, name, value)
                row.person_state = "unchanged"
            else:
                row.person_state = self._update(person, fields)
            found[key] = person
            row.person = person
        self._create(Person, new)

    def _variants(self, rows):
        known = {}
        existing = [row.person.pk for row in rows if row.person_state != "created" and row.names]
        for person_id, name in NameVariant.objects.filter(person__in=among(existing)).values_list("person_id", "name"):
            known.setdefault(person_id, set()).add(name.casefold())
        new = []
        for row in rows:
            person_id = row.person.pk
            names = known.setdefault(person_id, set())
            names.add(row.person.name.casefold())
            # Every written form is kept, even one that folds to a known key: readers see it as written.
            for name in row.names:
                if name.casefold() not in names:
                    names.add(name.casefold())
                    new.append(build(NameVariant, person_id=person_id, name=name, script=detect_script(name), note="imported"))
                    row.changes["created"] += 1
        self._create(NameVariant, new)

    def _cases(self, rows):
        wanted = [row for row in rows if row.values.get("case_title") or row.values.get("event_type")]
        by_person = {}
        for case in Case.objects.filter(person__in=among({row.person.pk for row in wanted})).order_by("pk"):
            by_person.setdefault(case.person_id, []).append(case)
        new = []
        for row in rows:
            row.case = None
            if not (row.values.get("case_title") or row.values.get("event_type")):
                continue
            title = row.values.get("case_title") or self._kind_label(row.values["event_type"])
            person_id = row.person.pk
            cases = by_person.setdefault(person_id, [])
            case = next((case for case in cases if case.title == title), None)
            if case is None and not row.values.get("case_title") and len(cases) == 1:
                case = cases[0]
            if case is None:
                case = build(Case, person_id=person_id, title=title, _language=self.language)
                # The person itself too, as assigning it would (without the routers' checks, which assigning
                # 500 people took longer than their INSERT): the case copies its name (sort_name) without a query.
                CASE_PERSON.set_cached_value(case, row.person)
                case.slug = self._slug(Case, row.person)
                cases.append(case)
                new.append(case)
                row.changes["created"] += 1
            row.case = case
        self._create(Case, new)

    def _events(self, rows):
        wanted = [row for row in rows if row.case and row.values.get("event_type")]
        existing = {}
        by_pk = {}
        for event in Event.objects.filter(case__in=among({row.case.pk for row in wanted})).select_related("authority"):
            existing.setdefault((event.case_id, event.kind, event.date), event)
            by_pk[event.pk] = event
        new = []
        for row in rows:
            row.event = None
            if not (row.case and row.values.get("event_type")):
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
            case_id = row.case.pk
            key = (case_id, values["event_type"], values["event_date"])
            event = existing.get(key)
            remembered = by_pk.get(row.remembered[2]) if row.remembered else None
            if event is None and remembered is not None:
                # The row that made this event now says another type or date: it corrects that event.
                event = remembered
                fields.update(kind=values["event_type"], date=values["event_date"])
            if event is None:
                authority = fields.pop("authority")
                event = build(Event, case_id=case_id, kind=values["event_type"], date=values["event_date"], _language=self.language, **fields)
                event.authority_id = authority.pk if authority else None
                existing[key] = event
                new.append(event)
                row.changes["created"] += 1
            else:
                row.changes[self._update(event, fields)] += 1
            row.event = event
            self.event_rows.setdefault(case_id, {})[(event.kind, event.date)] = row.number
        self._create(Event, new)

    def _remembered(self, rows):
        """What each row made the last time this list was imported: (row id, case id, event id)."""
        found = {
            key: (pk, case_id, event_id)
            for key, pk, case_id, event_id in ImportedRow.objects.filter(
                list_name=self.list_name, row_key__in=among([row.key for row in rows])
            ).values_list("row_key", "pk", "case_id", "event_id")
        }
        for row in rows:
            row.remembered = found.get(row.key)

    def _remember(self, rows):
        new, changed = [], []
        for row in rows:
            made = (row.case.pk if row.case else None, row.event.pk if row.event else None)
            if row.remembered is None:
                new.append(build(ImportedRow, list_name=self.list_name, row_key=row.key, person_id=row.person.pk, case_id=made[0], event_id=made[1]))
            elif row.remembered[1:] != made:
                changed.append(ImportedRow(pk=row.remembered[0], person_id=row.person.pk, case_id=made[0], event_id=made[1]))
        insert(ImportedRow, new)
        ImportedRow.objects.bulk_update(changed, ["person", "case", "event"], batch_size=BATCH_SIZE)

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
        for url, pk in Source.objects.filter(url__in=among(urls)).order_by("-pk").values_list("url", "pk"):
            self.sources[url] = pk
        new = {}
        for row in rows:
            for url in row.urls:
                if url not in self.sources and url not in new:
                    title = row.values.get("source_title") if len(row.urls) == 1 and row.values.get("source_title") else url
                    new[url] = build(Source, url=url, title=title[:500], kind=row.values.get("source_kind") or SourceKind.OTHER)
                    row.changes["created"] += 1
        self._create(Source, list(new.values()))
        self.sources.update({url: source.pk for url, source in new.items()})

    def _citations(self, rows):
        # Every address on a row cites the row's event (and so its status), with the excerpt if one was given,
        # otherwise as a citation whose words are not copied yet.
        wanted = [row for row in rows if row.urls]
        if not wanted:
            return
        targets = {"event": set(), "case": set(), "person": set()}
        for row in wanted:
            row.target_name, row.target = next((name, getattr(row, name)) for name in ("event", "case", "person") if getattr(row, name))
            targets[row.target_name].add(row.target.pk)
        # Looked up by the batch's own facts (indexed, a few each), not by source: a source cited by
        # thousands of rows would make every batch read all its citations.
        existing = {}
        found = Citation.objects.filter(
            Q(event__in=among(targets["event"])) | Q(case__in=among(targets["case"])) | Q(person__in=among(targets["person"]))
        ).values_list("pk", "source_id", "excerpt", "event_id", "case_id", "person_id")
        for pk, source_id, excerpt, *ids in found:
            existing.setdefault((source_id, *ids), {})[excerpt] = pk
        new = []
        for row in wanted:
            excerpt = row.values.get("excerpt", "")
            target_id = row.target.pk
            ids = {"event": None, "case": None, "person": None, row.target_name: target_id}
            for url in row.urls:
                source_id = self.sources[url]
                known = existing.setdefault((source_id, ids["event"], ids["case"], ids["person"]), {})
                if excerpt in known:
                    continue
                if excerpt and "" in known:
                    # The words of a source cited earlier without them have now been copied.
                    citation = Citation.objects.get(pk=known.pop(""))
                    citation.excerpt = excerpt
                    citation._history_user = self.user
                    citation.save()
                    known[excerpt] = citation.pk
                    row.changes["changed"] += 1
                    continue
                known[excerpt] = None
                confidence = row.values.get("confidence") or Confidence.UNKNOWN
                new.append(build(Citation, source_id=source_id, excerpt=excerpt, confidence=confidence, **{f"{row.target_name}_id": target_id}))
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
