"""Public pages. Every query starts from a `.public()` QuerySet method."""

import functools
import mimetypes

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django_filters.views import FilterView

from tracker.errors import RETRY_AFTER_SECONDS

from . import caching, dossier, timeline, uploads
from .filters import CaseFilter
from .paging import MAX_PAGES, SEARCH_COUNT_LIMIT, PublicPaginator, SearchPaginator, requested_page
from .models import (
    Affiliation,
    Case,
    Citation,
    Confidence,
    Event,
    NameSearch,
    NameVariant,
    Organization,
    Person,
    Relationship,
    Source,
    StatisticClaim,
    Status,
    names_for_reader,
    public_or_none,
)


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def public_status_counts():
    cases = Case.objects.public().order_by().values_list("current_status").annotate(n=Count("pk"))
    return dict(cases.values_list("current_status", "n"))


@functools.cache
def public_cases_for_list(language):
    """Public cases as a list shows them (`for_list_rows`), with the person's name in the reader's script.

    Built once per process and language, like `public_cases_with_events`,
    and only ever narrowed: its two subqueries took 0.65 ms to put together
    on every list page and search.
    """
    return Case.objects.public().for_list_rows().with_reader_names(language)


def home(request):
    counts = caching.cached("status-counts", public_status_counts)
    claims = StatisticClaim.objects.public().prefetch_related(Prefetch("citations", queryset=Citation.objects.public().with_source()))
    return render(
        request,
        "cases/home.html",
        {
            "status_counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
            "total": sum(counts.values()),
            "recent": public_cases_for_list(get_language()).order_by("-updated", "-pk")[:8],
            "claims": claims,
            "filter": CaseFilter(queryset=Case.objects.none()),
        },
    )


class CaseListView(FilterView):
    filterset_class = CaseFilter
    paginate_by = 25
    template_name = "cases/case_list.html"
    context_object_name = "cases"

    def get_queryset(self):
        return public_cases_for_list(get_language())

    paginator_class = PublicPaginator

    def get_paginator(self, queryset, per_page, **kwargs):
        filterset = self.filterset
        if getattr(filterset, "ranked", False):
            return SearchPaginator(
                queryset, per_page, filterset.name_search, filterset.unsearched, "person", "sort_name", limit=SEARCH_COUNT_LIMIT
            )
        return super().get_paginator(queryset, per_page, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        # A page number out of range or mistyped shows the nearest page, not an
        # error; a page past the limit says how to narrow the list instead.
        paginator = self.get_paginator(queryset, page_size)
        number = requested_page(self.request.GET.get(self.page_kwarg), paginator)
        if number > MAX_PAGES:
            self.beyond_limit = True
            return paginator, None, [], True
        page = paginator.page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["beyond_limit"] = getattr(self, "beyond_limit", False)
        context["max_pages"] = MAX_PAGES
        context["max_rows"] = MAX_PAGES * self.paginate_by
        query = self.request.GET.copy()
        query.pop(self.page_kwarg, None)
        context["query_without_page"] = query.urlencode()
        context["is_filtered"] = any(value for key, value in self.request.GET.items() if key != self.page_kwarg)
        search = getattr(context["filter"], "name_search", None)
        if search and context["cases"]:
            context["near_misses"] = search.near_only
            show_matched_spellings(search, context["cases"], lambda case: case.person_id)
        return context


def show_matched_spellings(search, rows, person_id):
    """Set `matched_spelling` on each row whose person the search found by another spelling than the main name."""
    matched = search.matched_spellings({person_id(row) for row in rows})
    for row in rows:
        row.matched_spelling = matched.get(person_id(row))


def people_list(request):
    """Public people, with or without a case; `q` searches their names in any spelling or script."""
    query = request.GET.get("q", "").strip()
    search = NameSearch(query) if query else None
    people = Person.objects.public().prefetch_related(
        Prefetch("cases", queryset=Case.objects.public().order_by("title", "pk"), to_attr="public_cases")
    )
    if search and search.words:
        paginator = SearchPaginator(people.search(search), 25, search, people, "pk", "name", limit=SEARCH_COUNT_LIMIT)
    else:
        paginator = PublicPaginator(people.search(search) if search else people.order_by("name", "pk"), 25)
    page = paginator.get_page(request.GET.get("page"))
    near_misses = bool(search and search.words and page.object_list and search.near_only)
    if search and page.object_list:
        show_matched_spellings(search, page.object_list, lambda person: person.pk)
    context = {"page": page, "people": page.object_list, "query": query, "near_misses": near_misses}
    return render(request, "cases/people_list.html", context)


def about(request):
    """Who keeps the record, what is included, how facts are checked, how to send a correction."""
    from django.conf import settings

    return render(
        request,
        "cases/about.html",
        {
            "confidences": Confidence.choices,
            "statuses": Status.choices,
            "stale_after_days": settings.STATUS_STALE_AFTER_DAYS,
        },
    )


def case_detail(request, slug):
    return render(request, "cases/case_detail.html", case_context(slug))


@functools.cache
def public_cases_with_events(language):
    """Public cases with what their page reads in the same queries: their events, and those events' citations.

    Built once per process and language and only ever narrowed (`get`
    clones it), never evaluated itself: putting its five EXISTS and two
    prefetches together took 1.6 ms of every case page. The language is
    part of the key because django-modeltranslation turns a translated
    field's name into the column of the language active when a query is
    built.
    """
    # The case and its person are public (the query below), so its events and
    # their citations need only their own rules (`own_public`, `public_of_public`).
    events = (
        Event.objects.own_public()
        .chronological()
        .select_related("authority")
        .prefetch_related(Prefetch("citations", queryset=Citation.objects.public_of_public().with_source()))
    )
    return (
        Case.objects.public()
        .for_list()
        .annotate(**related_records_exist())
        .prefetch_related(Prefetch("events", queryset=events, to_attr="prefetched_public_events"))
    )


def case_context(slug):
    """A public case and everything its page and its dossier show; 404 if there is no such public case."""
    case = get_object_or_404(public_cases_with_events(get_language()), slug=slug)
    person = case.person
    # Most cases cite no source of their own and most people have one spelling:
    # their public ones are read only where some exist.
    case.shown_citations = list(Citation.objects.public_of_public().with_source().filter(case=case)) if case.has_citations else []
    variants = list(NameVariant.objects.public().filter(person=person)) if case.has_spellings else []
    events = case.public_events()
    for event in events:
        event.shown_authority = public_or_none(event.authority)
    authorities = {event.authority.pk: event.authority for event in events if event.shown_authority}
    shown_name, other_names = names_for_reader(person, variants, get_language())
    return {
        "case": case,
        "person": person,
        "events": events,
        "timeline": timeline.build(events, attested_lower=case.attested_lower, attested=case.attested_until),
        "shown_name": shown_name,
        "other_names": other_names,
        # Most people have none of these: the public records are looked for only where some record exists.
        "affiliations": (
            Affiliation.objects.public().filter(person=person).select_related("organization") if case.has_affiliations else []
        ),
        "relatives": related_people(person) if case.has_relationships else [],
        "authorities": sorted(authorities.values(), key=lambda organization: organization.name),
        "other_cases": Case.objects.public().filter(person=person).exclude(pk=case.pk) if case.has_other_cases else [],
    }


def related_records_exist():
    """Annotations for a case query: whether the case has citations of its own, and its person other spellings,
    affiliations, relationships or other cases, public or not.

    Only tells the page whether to look for the public ones (each a query
    of several joins), never shown: one EXISTS each in the case's own query
    instead of empty queries on most pages.
    """
    person = OuterRef("person")
    return {
        "has_citations": Exists(Citation.objects.filter(case=OuterRef("pk"))),
        "has_spellings": Exists(NameVariant.objects.filter(person=person)),
        "has_affiliations": Exists(Affiliation.objects.filter(person=person)),
        "has_relationships": Exists(Relationship.objects.filter(Q(person=person) | Q(relative=person))),
        "has_other_cases": Exists(Case.objects.filter(person=person).exclude(pk=OuterRef("pk"))),
    }


@never_cache
def case_dossier(request, slug):
    """The case as an exhibit a lawyer can file: every source in full, printed with its address and time."""
    context = dossier_context(request, slug)
    return render(request, "cases/case_dossier.html", context)


@never_cache
def case_dossier_pdf(request, slug):
    """The dossier as a PDF drawn on the server (WeasyPrint), nothing fetched from anywhere."""
    context = dossier_context(request, slug)
    try:
        pdf = dossier.pdf(render_to_string("cases/case_dossier.html", {**context, "for_pdf": True}, request=request))
    except dossier.PdfUnavailable as error:
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="dossier-{context["case"].slug}.pdf"'
    return response


def dossier_context(request, slug):
    context = case_context(slug)
    case = context["case"]
    citations = [*case.shown_citations, *(c for event in context["events"] for c in event.citations.all())]
    context.update(
        {
            "sources": dossier.numbered_sources(citations),
            "case_url": request.build_absolute_uri(case.get_absolute_url()),
            "dossier_url": request.build_absolute_uri(),
            "printed": timezone.now(),
        }
    )
    return context


def related_people(person):
    """(relationship, the other person, how they relate) for the person's public relationships, both ways."""
    relationships = Relationship.objects.public().filter(Q(person=person) | Q(relative=person))
    result = []
    for relationship in relationships.select_related("person", "relative"):
        if relationship.person_id == person.pk:
            result.append((relationship, relationship.relative, relationship.get_kind_display()))
        else:
            result.append((relationship, relationship.person, None))
    return result


def person_detail(request, slug):
    person = get_object_or_404(Person.objects.public(), slug=slug)
    shown_name, other_names = names_for_reader(person, list(NameVariant.objects.public().filter(person=person)), get_language())
    return render(
        request,
        "cases/person_detail.html",
        {
            "person": person,
            "shown_name": shown_name,
            "other_names": other_names,
            "cases": Case.objects.public().filter(person=person).select_related("status_event"),
            "affiliations": Affiliation.objects.public()
            .filter(person=person)
            .select_related("organization")
            .prefetch_related(Prefetch("citations", queryset=Citation.objects.public().with_source())),
            "relatives": related_people(person),
            "citations": Citation.objects.public().with_source().filter(person=person),
        },
    )


def organization_detail(request, slug):
    organization = get_object_or_404(Organization.objects.public(), slug=slug)
    return render(
        request,
        "cases/organization_detail.html",
        {
            "organization": organization,
            "affiliations": Affiliation.objects.public()
            .filter(organization=organization)
            .select_related("person"),
            "events": Event.objects.public()
            .filter(authority=organization)
            .chronological()
            .select_related("case__person"),
            "sources": Source.objects.public().filter(publisher=organization),
            "citations": Citation.objects.public().with_source().filter(organization=organization),
        },
    )


CITATIONS_PER_PAGE = 50


def source_detail(request, pk):
    source = get_object_or_404(Source.objects.public().select_related("publisher"), pk=pk)
    source.publisher = public_or_none(source.publisher)
    citations = Citation.objects.public().filter(source=source).select_related(
        "event__case__person",
        "case__person",
        "person",
        "organization",
        "affiliation__person",
        "affiliation__organization",
        "relationship__person",
        "relationship__relative",
        "claim",
    )
    # A report may support thousands of facts: a page of them at a time.
    page = Paginator(citations, CITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    # Every citation here is of this source: give each the one already read
    # (the excerpt's language comes from it) instead of a query per citation.
    for citation in page.object_list:
        citation.source = source
    return render(request, "cases/source_detail.html", {"source": source, "citations": page.object_list, "page": page})


def file_response(field_file, download_name):
    """A stored upload, typed by its content, never sniffed by the browser as something else."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = uploads.detect_type(handle.read(2048), handle)
    handle.seek(0)
    extension = uploads.EXTENSIONS.get(kind, "bin")
    content_type = mimetypes.types_map.get(f".{extension}", "application/octet-stream")
    if kind == "text":
        content_type = "text/plain; charset=utf-8"
    inline = kind in ("pdf", "text", *uploads.IMAGE_TYPES)
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=f"{download_name}.{extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def source_file(request, pk):
    source = get_object_or_404(Source.objects.public().exclude(file=""), pk=pk)
    return file_response(source.file, f"source-{source.pk}")


def person_photo(request, slug):
    person = get_object_or_404(Person.objects.public().exclude(photo=""), slug=slug)
    return file_response(person.photo, person.slug)


# Who may open a stored upload: those who may see the records it belongs to.
FILE_PERMISSIONS = {"sources": "cases.view_source", "photos": "cases.view_person"}


@staff_member_required
def staff_file(request, path):
    """Uploaded files for staff who may see their records: internal sources must not be reachable by address.

    A staff account in no group has no permission, so it gets nothing here either.
    """
    permission = FILE_PERMISSIONS.get(path.split("/", 1)[0])
    if permission is None or not request.user.has_perm(permission):
        raise PermissionDenied
    if not default_storage.exists(path):
        raise Http404
    return file_response(default_storage.open(path), path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
