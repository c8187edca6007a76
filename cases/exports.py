"""The case list as CSV and JSON, with the list page's filters.

Every query starts from a `.public()` QuerySet method, the related records
a row shows (spellings, events, citations, sources) included. Both files are
streamed (short ones are built whole, so the page cache can keep them):
cases are read a chunk at a time with a constant number of
queries per chunk, and each row leaves as soon as it is written, so the
first byte goes out at once and memory stays flat however long the file.
"""

import csv
import json
from datetime import datetime, timezone
from operator import itemgetter

from django.conf import settings
from django.db.models import CharField, Prefetch
from django.db.models.functions import Cast
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from modeltranslation.utils import build_localized_fieldname, resolution_order

from .bulk import among, read_ahead
from .filters import CaseFilter
from .models import Case, Citation, Event, NameVariant, Source, Status, Visibility, event_ordering
from .paging import count_of

COLUMNS = [
    "id",
    "slug",
    "url",
    "person",
    "other_spellings",
    "status",
    "status_label",
    "status_since",
    "status_since_lower",
    "status_since_upper",
    "country",
    "latest_event_kind",
    "latest_event_date",
    "source_links",
    "updated",
    # With these the file can be imported again (see the README): the event
    # that set the status, the case's title and the sources' own addresses.
    "case_title",
    "status_event_type",
    "status_event_date",
    "source_urls",
]

# Lists in a CSV cell are joined with this.
SEPARATOR = " | "
# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP's list for CSV injection).
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def make_spreadsheet_safe(values, positions):
    """Make the cells at these positions text a spreadsheet shows rather than runs: lists joined, formulas quoted.

    In place, on a row of the CSV writer (which writes None as an empty
    cell): one call a row, as a call a cell cost a tenth of the file.
    """
    for position in positions:
        value = values[position]
        if value.__class__ is list:
            value = values[position] = SEPARATOR.join(value)
        if value and value[0] in FORMULA_STARTS:
            values[position] = "'" + value
    return values


def with_public_related(queryset):
    """Prefetch what an export row or an API case shows, public records only."""
    events = (
        Event.objects.public()
        .chronological()
        .select_related("authority")
        .prefetch_related(Prefetch("citations", queryset=Citation.objects.public().with_source(), to_attr="public_citations"))
    )
    return queryset.prefetch_related(
        Prefetch("person__name_variants", queryset=NameVariant.objects.public(), to_attr="public_variants"),
        Prefetch("events", queryset=events, to_attr="prefetched_public_events"),
        Prefetch("citations", queryset=Citation.objects.public().with_source(), to_attr="public_citations"),
    )


# Cases read and written per round: a constant number of queries each, so
# memory stays flat however many rows the file has (a few MB a round).
# Rounds of 1,000 cost 5 % more time; of 4,000, PostgreSQL's sort of the
# events' citations no longer fits its default working memory.
CHUNK_SIZE = 2000
# Rows sent to the client at a time: one write per row costs a system call each.
ROWS_PER_WRITE = 200


# What a row needs of the case itself, read as plain values (model objects
# for the case, its person and its status event cost more than the rest of
# the row), in this order. The title is added in the reader's language.
CASE_FIELDS = [
    "pk", "slug", "person_id", "person__name", "current_status", "status_since",
    # As ISO text, as the file writes them: date objects cost more than the query.
    Cast("status_since_lower", CharField()), Cast("status_since_upper", CharField()),
    # As the database writes it (see `iso_timestamp`): PostgreSQL's time
    # zones are read by Django in Python, which cost a tenth of the export.
    Cast("updated", CharField()),
    # The status event's kind and date are read with the case's other
    # events (`Related`): joined here, they cost as much as the rest of the query.
    "status_event_id",
]


def iso_timestamp(text):
    """A time as the database writes it, in UTC, as ISO 8601 with its offset (as Django's `isoformat()` gives it).

    PostgreSQL writes "2026-11-23 10:00:00.12+00" (the connection is in
    UTC), SQLite "2026-11-23 10:00:00.120000" (stored in UTC).
    """
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def title_columns():
    """The title's columns in the order modeltranslation falls back through for the active language."""
    return [build_localized_fieldname("title", language) for language in resolution_order(get_language())]


def chunks(cases):
    """The cases' values (tuples: CASE_FIELDS, then the title) in lists of CHUNK_SIZE, in the list's own order.

    Read through one cursor, without modeltranslation's rewriting (a dict
    per row): the title is the first of its languages that is filled in.
    """
    titles = title_columns()
    width = len(CASE_FIELDS)
    batch = []
    for values in cases.rewrite(False).values_list(*CASE_FIELDS, *titles).iterator(chunk_size=CHUNK_SIZE):
        batch.append((*values[:width], next((title for title in values[width:] if title), "")))
        if len(batch) == CHUNK_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


class Related:
    """What the rows of a chunk of cases show besides the case itself, in four queries.

    Read as plain values, not model objects: an export of 10,000 cases holds
    100,000 events, and building an object for each took most of its time.
    None of these columns is translated, so the values skip modeltranslation
    (`rewrite(False)`). Three of the queries (`queries`) can be sent ahead,
    while the previous chunk's rows are written; the sources are read when
    the rows are made, so that a source taken down meanwhile is left out.
    """

    @staticmethod
    def queries(cases):
        """The spellings, the case citations and the event citations of these cases, as `values_list` querysets."""
        ids = [case[0] for case in cases]
        variants = NameVariant.objects.public().filter(person_id__in=among([case[2] for case in cases]))
        # The case's own citations first, then its events' in the events' order.
        # The cases are public (their person too): their citations and events need only their own rules.
        case_citations = Citation.objects.public_of_public().filter(case_id__in=among(ids)).order_by("source", "locator", "pk")
        # An event is public when it, its case and person are, and a public
        # source cites it publicly (`Event.objects.public()`): of these public
        # cases' events, exactly those reached by a public citation of a
        # public source. So one query gives the public events and their
        # citations, with no EXISTS per event, each case's rows together in
        # its events' order, so that the last row of a case is its latest
        # event. The sources' visibility is read with their addresses, in
        # one query for the chunk: a join to every citation's source cost a
        # tenth of the export.
        event_citations = (
            Citation.objects.filter(visibility=Visibility.PUBLIC, event__visibility=Visibility.PUBLIC, event__case_id__in=among(ids))
            .order_by("event__case_id", *event_ordering("event__"), "source_id", "locator", "pk")
            .rewrite(False)
            .values_list("event__case_id", "event__kind", "event__date", "event__country", "source_id", "event_id")
        )
        return [
            variants.order_by("name", "pk").values_list("person_id", "name"),
            case_citations.rewrite(False).values_list("case_id", "source_id"),
            event_citations,
        ]

    def __init__(self, cases, source_page, variants, case_citations, event_citations):
        # Spellings by person; the latest public event (kind, date) and the
        # country of the latest that names one, by case; the status events'
        # (kind, date) by event; each case's public sources (ids) in the
        # order the file lists them, and their addresses.
        self.spellings, self.latest, self.placed = {}, {}, {}
        self.status_events = dict.fromkeys(case[9] for case in cases)
        self.sources = {case[0]: [] for case in cases}
        for person_id, name in variants:
            self.spellings.setdefault(person_id, []).append(name)
        for case_id, source_id in case_citations:
            self.sources[case_id].append(source_id)
        cited = {source_id for sources in self.sources.values() for source_id in sources}
        cited.update(map(itemgetter(4), event_citations))
        self.links = {
            pk: (f"{source_page}{pk}/", url)
            for pk, url in Source.objects.public().filter(pk__in=among(cited)).values_list("pk", "url")
        }
        links, sources, latest, placed, status_events = self.links, self.sources, self.latest, self.placed, self.status_events
        for case_id, kind, when, country, source_id, event_id in event_citations:
            if source_id in links:
                sources[case_id].append(source_id)
                latest[case_id] = (kind, when)
                if country:
                    placed[case_id] = country
                if event_id in status_events:
                    status_events[event_id] = (kind, when)

    def source_links(self, case_id):
        """(every link, the sources' own addresses) of a case, each once, in the order cited."""
        links, own, known = [], [], self.links
        for source_id in dict.fromkeys(self.sources[case_id]):
            if source_id not in known:  # a case citation's source taken down since it was read
                continue
            page, url = known[source_id]
            links.append(page)
            if url and url not in links:
                links.append(url)
                own.append(url)
        return links, own


def rounds(request, cases, write):
    """What `write` makes of each chunk's rows (lists in the order of COLUMNS), made while the database reads the next chunk's.

    The next chunk's cases are read first, then its related records are
    asked for (`read_ahead`), and only then are this chunk's rows made and
    written: on PostgreSQL the database works while Python writes.
    """
    source_page = request.build_absolute_uri(reverse("cases:source", args=[0])).rsplit("0/", 1)[0]
    case_page = request.build_absolute_uri(reverse("cases:detail", args=["x"])).rsplit("x/", 1)[0]
    # Translated once, not once a row.
    labels = {value: str(label) for value, label in Status.choices}
    nothing = (None, None)

    def rows(batch, related):
        latest, spellings, placed, source_links = related.latest, related.spellings, related.placed, related.source_links
        status_events = related.status_events
        for (pk, slug, person_id, person, status, since, lower, upper, updated, status_event, title) in batch:
            latest_kind, latest_date = latest.get(pk, nothing)
            # A status event no public source supports any more is not shown (the status is refreshed after).
            status_kind, status_date = status_events.get(status_event) or nothing
            links, urls = source_links(pk)
            yield [
                pk, slug, f"{case_page}{slug}/", person, spellings.get(person_id, []),
                status, labels.get(status, status), since,
                lower, upper,
                placed.get(pk, ""), latest_kind, latest_date, links, iso_timestamp(updated),
                title, status_kind, status_date, urls,
            ]

    batches = chunks(cases)
    batch = next(batches, None)
    if batch is None:
        return
    with read_ahead(Related.queries(batch)) as read:
        fetched = read()
    while batch:
        # After the last round was sent: its sources are read now.
        related = Related(batch, source_page, *fetched)
        following = next(batches, None)
        with read_ahead(Related.queries(following) if following else []) as read:
            written = write(rows(batch, related))
            fetched = read()
        yield written
        batch = following


def filtered_cases(request):
    """(the filter, the public cases it selects) for the request's query string; (filter, None) when invalid."""
    case_filter = CaseFilter(request.GET, queryset=Case.objects.public().for_list())
    if not case_filter.is_valid():
        return case_filter, None
    return case_filter, case_filter.qs


def error_response(case_filter, as_json):
    errors = {field: [str(message) for message in messages] for field, messages in case_filter.errors.items()}
    if as_json:
        return JsonResponse({"errors": errors}, status=400)
    lines = [f"{field}: {message}" for field, messages in errors.items() for message in messages]
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")


# The columns that hold what editors type, and lists: a spreadsheet could
# take them for formulas. The others are numbers, codes, ISO dates and this
# site's own addresses, which the CSV writer writes as they are (None empty).
TYPED_COLUMNS = {
    "slug", "person", "other_spellings", "status_since", "latest_event_date", "source_links", "case_title",
    "status_event_date", "source_urls",
}
TYPED_POSITIONS = [position for position, column in enumerate(COLUMNS) if column in TYPED_COLUMNS]


class Lines(list):
    """The CSV writer's output as a list of lines: quicker than a StringIO with Cyrillic text in it."""

    write = list.append

    def take(self):
        text = "".join(self)
        self.clear()
        return text.encode("utf-8")


def csv_lines(request, cases):
    lines = Lines()
    writer = csv.writer(lines, lineterminator="\r\n")
    # The BOM first: Excel then reads the file as UTF-8 (Cyrillic names).
    lines.write("\ufeff")
    writer.writerow(COLUMNS)
    yield lines.take()

    def write(rows):
        parts = []
        for n, values in enumerate(rows, start=1):
            writer.writerow(make_spreadsheet_safe(values, TYPED_POSITIONS))
            if n % ROWS_PER_WRITE == 0:
                parts.append(lines.take())
        if lines:
            parts.append(lines.take())
        return parts

    for parts in rounds(request, cases, write):
        yield from parts


# An export of at most this many cases (a name search's, a narrow filter's)
# is built whole, so that the page cache keeps it like a page: readers and
# crawlers ask for the same few again and again. About 1 KB a CSV row, so it
# fits PUBLIC_PAGE_CACHE_MAX_BYTES. A longer one is streamed, its header
# sent before the first cases are read.
WHOLE_EXPORT_MAX_ROWS = 400


def export_response(cases, parts, content_type):
    """The file whole when it is short, else sent as it is written."""
    if settings.PUBLIC_PAGE_CACHE and count_of(cases.order_by().values("pk")[: WHOLE_EXPORT_MAX_ROWS + 1]) <= WHOLE_EXPORT_MAX_ROWS:
        return HttpResponse(b"".join(parts), content_type=content_type)
    return StreamingHttpResponse(parts, content_type=content_type)


def cases_csv(request):
    case_filter, cases = filtered_cases(request)
    if cases is None:
        return error_response(case_filter, as_json=False)
    response = export_response(cases, csv_lines(request, cases), "text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=cases.csv"
    return response


def json_parts(request, cases):
    yield b'{"results": ['
    count = 0

    def write(rows):
        nonlocal count
        parts, texts = [], []
        for values in rows:
            texts.append(("\n" if count == 0 else ",\n") + json.dumps(dict(zip(COLUMNS, values)), ensure_ascii=False))
            count += 1
            if count % ROWS_PER_WRITE == 0:
                parts.append("".join(texts).encode("utf-8"))
                texts = []
        if texts:
            parts.append("".join(texts).encode("utf-8"))
        return parts

    for parts in rounds(request, cases, write):
        yield from parts
    # The count comes last: it is known once every row has been written.
    yield f'\n], "count": {count}}}\n'.encode("utf-8")


def cases_json(request):
    case_filter, cases = filtered_cases(request)
    if cases is None:
        return error_response(case_filter, as_json=True)
    response = export_response(cases, json_parts(request, cases), "application/json; charset=utf-8")
    response["Content-Disposition"] = "inline; filename=cases.json"
    return response
