"""The case list as CSV and JSON, with the list page's filters.

Every query starts from a `.public()` QuerySet method, the related records
a row shows (spellings, events, citations, sources) included. Both files are
streamed (short ones are built whole, so the page cache can keep them):
cases are read a chunk at a time with a constant number of
queries per chunk, and each row leaves as soon as it is written, so the
first byte goes out at once and memory stays flat however long the file.
"""

import csv
import io
import json

from django.conf import settings
from django.db.models import CharField, F, Prefetch
from django.db.models.functions import Cast
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse

from .bulk import among
from .filters import CaseFilter
from .models import Case, Citation, Event, NameVariant, Status, Visibility
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
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """One CSV cell as text a spreadsheet shows rather than runs: lists joined, None empty, formulas quoted."""
    if isinstance(value, list):
        value = SEPARATOR.join(value)
    elif value is None:
        value = ""
    else:
        value = str(value)
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return value


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
# memory stays flat however many rows the file has.
CHUNK_SIZE = 1000
# Rows sent to the client at a time: one write per row costs a system call each.
ROWS_PER_WRITE = 200


# What a row needs of the case itself, read as values: model objects for the
# case, its person and its status event cost more than the rest of the row.
CASE_FIELDS = [
    "pk", "slug", "title", "person_id", "person__name", "current_status", "status_since", "status_since_lower",
    "status_since_upper", "updated", "status_event__kind", "status_event__date",
]


def chunks(cases):
    """The cases' values in lists of CHUNK_SIZE, read through one cursor in the list's own order."""
    batch = []
    for case in cases.values(*CASE_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        batch.append(case)
        if len(batch) == CHUNK_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def chronological_key(lower, upper, position, pk):
    """An event's place in `Event.objects.chronological()`: an open beginning by its end, then the end, the editor's order, the id.

    The bounds come as ISO text ("2023-01-18"), which sorts as the dates do.
    """
    start = lower or upper
    return (start is not None, start or "", upper is None, upper or "", position, pk)


def related_rows(cases):
    """What the rows of these cases show, in three queries: spellings, case citations, events with their citations.

    Read as plain values, not model objects: an export of 10,000 cases holds
    100,000 events, and building an object for each took most of its time.
    None of these columns is translated, so the values skip
    modeltranslation's fallback rows (`rewrite(False)`), a dict per row.
    Returns the spellings by person, each case's public events as
    (chronological key, kind, date, country), and each case's
    (source, address) pairs in the order the file lists them.
    """
    ids = [case["pk"] for case in cases]
    spellings, happened, links = {}, {}, {pk: [] for pk in ids}
    variants = NameVariant.objects.public().filter(person_id__in=among([case["person_id"] for case in cases]))
    for person_id, name in variants.order_by("name", "pk").values_list("person_id", "name"):
        spellings.setdefault(person_id, []).append(name)
    # The case's own citations first, then its events' in the events' order.
    # The cases are public (their person too): their citations and events need only their own rules.
    case_citations = Citation.objects.public_of_public().filter(case_id__in=among(ids)).order_by("source", "locator", "pk")
    for case_id, source_id, url in case_citations.rewrite(False).values_list("case_id", "source_id", "source__url"):
        links[case_id].append((source_id, url))
    # An event is public when it, its case and person are, and a public
    # source cites it publicly (`Event.objects.public()`): of these public
    # cases' events, exactly those this join of public citations reaches. So
    # one query gives the public events and their citations, with no EXISTS
    # per event.
    event_citations = (
        Citation.objects.public_of_public()
        .filter(event__visibility=Visibility.PUBLIC, event__case_id__in=among(ids))
        .order_by(
            F("event__date_lower").asc(nulls_first=True), F("event__date_upper").asc(nulls_last=True),
            "event__position", "event", "source", "locator", "pk",
        )
        .rewrite(False)
        .values_list(
            "event__case_id", "event_id", "event__kind", "event__date", "event__country",
            # As text: a hundred thousand date objects cost more than the query.
            Cast("event__date_lower", CharField()), Cast("event__date_upper", CharField()),
            "event__position", "source_id", "source__url",
        )
    )
    last_event = None
    for case_id, event_id, kind, when, country, lower, upper, position, source_id, url in event_citations:
        links[case_id].append((source_id, url))
        if event_id != last_event:  # an event's citations come one after the other
            last_event = event_id
            happened.setdefault(case_id, []).append((chronological_key(lower, upper, position, event_id), kind, when, country))
    return spellings, happened, links


def rows(request, cases):
    """Each case's export row (a dict), a chunk of cases at a time."""
    site = request.build_absolute_uri("/")
    source_page = request.build_absolute_uri(reverse("cases:source", args=[0])).rsplit("0/", 1)[0]
    case_page = request.build_absolute_uri(reverse("cases:detail", args=["x"])).rsplit("x/", 1)[0]
    # Translated once, not once a row.
    labels = {value: str(label) for value, label in Status.choices}
    for batch in chunks(cases):
        spellings, happened, links = related_rows(batch)
        for case in batch:
            events = happened.get(case["pk"], ())
            latest = max(events, default=None)
            placed = max((event for event in events if event[3]), default=None)
            sources = []
            for source_id, url in links[case["pk"]]:
                for link in (f"{source_page}{source_id}/", url):
                    if link and link not in sources:
                        sources.append(link)
            lower, upper = case["status_since_lower"], case["status_since_upper"]
            yield {
                "id": case["pk"],
                "slug": case["slug"],
                "url": f"{case_page}{case['slug']}/",
                "person": case["person__name"],
                "other_spellings": spellings.get(case["person_id"], []),
                "status": case["current_status"],
                "status_label": labels.get(case["current_status"], case["current_status"]),
                "status_since": case["status_since"],
                "status_since_lower": lower.isoformat() if lower else None,
                "status_since_upper": upper.isoformat() if upper else None,
                "country": placed[3] if placed else "",
                "latest_event_kind": latest[1] if latest else None,
                "latest_event_date": latest[2] if latest else None,
                "source_links": sources,
                "updated": case["updated"].isoformat(),
                "case_title": case["title"],
                "status_event_type": case["status_event__kind"],
                "status_event_date": case["status_event__date"],
                "source_urls": [link for link in sources if not link.startswith(site)],
            }


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


def csv_lines(request, cases):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    # The BOM first: Excel then reads the file as UTF-8 (Cyrillic names).
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for n, values in enumerate(rows(request, cases), start=1):
        if n % ROWS_PER_WRITE == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        writer.writerow([spreadsheet_safe(values[column]) for column in COLUMNS])
    yield buffer.getvalue().encode("utf-8")


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
    parts = ['{"results": [']
    count = 0
    for values in rows(request, cases):
        parts.append(("\n" if count == 0 else ",\n") + json.dumps(values, ensure_ascii=False))
        count += 1
        if count % ROWS_PER_WRITE == 0:
            yield "".join(parts).encode("utf-8")
            parts = []
    # The count comes last: it is known once every row has been written.
    parts.append(f'\n], "count": {count}}}\n')
    yield "".join(parts).encode("utf-8")


def cases_json(request):
    case_filter, cases = filtered_cases(request)
    if cases is None:
        return error_response(case_filter, as_json=True)
    response = export_response(cases, json_parts(request, cases), "application/json; charset=utf-8")
    response["Content-Disposition"] = "inline; filename=cases.json"
    return response
