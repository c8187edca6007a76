"""The case list as CSV and JSON, with the list page's filters.

Every query starts from a `.public()` QuerySet method; the related records a
row shows (spellings, events, citations, sources) are prefetched through
`.public()` too, so the number of queries does not grow with the rows.
"""

import csv
import io
import json

from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse

from .filters import CaseFilter
from .models import Case, Citation, Event, NameVariant

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


def latest_event(case):
    events = case.public_events()
    return events[-1] if events else None


def latest_country(case):
    """The country of the latest public event that names one (ISO code), or ""."""
    for event in reversed(case.public_events()):
        if event.country:
            return event.country.code
    return ""


def source_links(case, request):
    """Our page and the original address of every source cited for the case or its events, once each."""
    citations = list(case.public_citations)
    for event in case.public_events():
        citations.extend(event.public_citations)
    links = []
    for citation in citations:
        source = citation.source
        for link in (request.build_absolute_uri(source.get_absolute_url()), source.url):
            if link and link not in links:
                links.append(link)
    return links


def row(case, request):
    event = latest_event(case)
    links = source_links(case, request)
    site = request.build_absolute_uri("/")
    return {
        "id": case.pk,
        "slug": case.slug,
        "url": request.build_absolute_uri(case.get_absolute_url()),
        "person": case.person.name,
        "other_spellings": [variant.name for variant in case.person.public_variants],
        "status": case.current_status,
        "status_label": str(case.get_current_status_display()),
        "status_since": case.status_since,
        "status_since_lower": case.status_since_lower.isoformat() if case.status_since_lower else None,
        "status_since_upper": case.status_since_upper.isoformat() if case.status_since_upper else None,
        "country": latest_country(case),
        "latest_event_kind": event.kind if event else None,
        "latest_event_date": event.date if event else None,
        "source_links": links,
        "updated": case.updated.isoformat(),
        "case_title": case.title,
        "status_event_type": case.status_event.kind if case.status_event else None,
        "status_event_date": case.status_event.date if case.status_event else None,
        "source_urls": [link for link in links if not link.startswith(site)],
    }


def filtered_cases(request):
    """(the filter, the public cases it selects with what a row needs) for the request's query string."""
    case_filter = CaseFilter(request.GET, queryset=Case.objects.public().for_list())
    if not case_filter.is_valid():
        return case_filter, None
    return case_filter, with_public_related(case_filter.qs)


def error_response(case_filter, as_json):
    errors = {field: [str(message) for message in messages] for field, messages in case_filter.errors.items()}
    if as_json:
        return JsonResponse({"errors": errors}, status=400)
    lines = [f"{field}: {message}" for field, messages in errors.items() for message in messages]
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")


def cases_csv(request):
    case_filter, cases = filtered_cases(request)
    if cases is None:
        return error_response(case_filter, as_json=False)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8 (Cyrillic names)
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for case in cases:
        writer.writerow({key: spreadsheet_safe(value) for key, value in row(case, request).items()})
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=cases.csv"
    return response


def cases_json(request):
    case_filter, cases = filtered_cases(request)
    if cases is None:
        return error_response(case_filter, as_json=True)
    rows = [row(case, request) for case in cases]
    response = HttpResponse(
        json.dumps({"count": len(rows), "results": rows}, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = "inline; filename=cases.json"
    return response
