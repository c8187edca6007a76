"""The read-only public JSON API at /api/ (Django REST framework).

Every viewset starts from a `.public()` QuerySet method and every serializer
names its fields one by one, so internal records and the fields for editors
only (internal notes, contact details, a source's full text) never appear.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Prefetch
from django.utils.dateparse import parse_date, parse_datetime
from django.utils import timezone
from django.urls import include, path
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter

from .exports import with_public_related
from .filters import CaseFilter
from .paging import PublicPaginator
from .models import Case, Citation, Event, EventKind, NameVariant, Organization, Person, Source, public_or_none

# --- Pagination and sync ---------------------------------------------------


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = PublicPaginator
    # Deep pages read every row before them: a copy is kept in sync with
    # `updated_after` instead, which starts where the last one ended.
    max_rows = 10_000

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        page = paginator.num_pages if number in self.last_page_strings else number
        try:
            deep = (int(page) - 1) * paginator.per_page >= self.max_rows
        except (TypeError, ValueError):
            deep = False
        if deep:
            raise NotFound(
                f"Pages reach the first {self.max_rows:,} records only. Narrow the list with filters, "
                "or keep a copy in sync with updated_after."
            )
        return number

    def get_page_size(self, request):
        # A page size that is not a positive whole number is refused, not silently replaced; a larger one gets 200.
        value = request.query_params.get(self.page_size_query_param, "").strip()
        if value == "":
            return self.page_size
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise ValidationError({"page_size": ["Give a whole number of at least 1 (at most 200 are given)."]})
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = f"Records per page; at most {self.max_page_size} are given."
        return parameters


class UpdatedAfterFilter(BaseFilterBackend):
    """`?updated_after=<ISO 8601 date-time>`: records changed after then, oldest change first."""

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get("updated_after", "")
        if value.strip() == "":  # like every other filter, an empty value is no filter
            return queryset
        when = parse_updated_after(value)
        return queryset.filter(updated__gt=when).order_by("updated", "pk")

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "updated_after",
                "required": False,
                "in": "query",
                "description": "Only records changed after this moment (ISO 8601, e.g. 2026-01-31T12:00:00Z), "
                "ordered by their last change, then id. For keeping a copy in sync.",
                "schema": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]},
            }
        ]


class NameSearchFilter(BaseFilterBackend):
    """`?q=<name>`: people whose public names match, in any spelling or script, best match first."""

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get("q", "").strip()
        return queryset.search(value) if value else queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "q",
                "required": False,
                "in": "query",
                "description": "A name in any spelling or script (Latin, Cyrillic, Arabic script). Each word must "
                "start a word of one of the person's public names; exact hits come first.",
                "schema": {"type": "string"},
            }
        ]


def parse_updated_after(value):
    value = value.strip()
    try:
        when = parse_datetime(value)
        if when is None:
            day = parse_date(value)
            when = datetime.datetime.combine(day, datetime.time.min) if day else None
    except ValueError:
        when = None
    if when is None:
        raise ValidationError({"updated_after": ["Give an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z."]})
    try:
        if timezone.is_naive(when):
            when = when.replace(tzinfo=datetime.timezone.utc)
        # In UTC: the database refuses odd offsets (e.g. -20:28) on odd dates.
        return when.astimezone(datetime.timezone.utc)
    except (OverflowError, ValueError):
        raise ValidationError({"updated_after": ["This moment is out of range."]}) from None


# --- Serializers -----------------------------------------------------------


class PageUrlField(serializers.Field):
    """The absolute address of the record's public page."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return self.context["request"].build_absolute_uri(instance.get_absolute_url())


PageUrlField = extend_schema_field(OpenApiTypes.URI)(PageUrlField)


def shown_as(serializer_class, parent, record):
    """`record` as `serializer_class` shows it inside `parent`, with one nested serializer per parent.

    A serializer builds its fields when it is made: one made for each event
    and each citation of a case cost a third of the API's time.
    """
    nested = parent.__dict__.setdefault("_nested", {})
    if serializer_class not in nested:
        nested[serializer_class] = serializer_class(context=parent.context)
    return nested[serializer_class].to_representation(record)


class PersonRefSerializer(serializers.ModelSerializer):
    page_url = PageUrlField()

    class Meta:
        model = Person
        fields = ["id", "slug", "name", "page_url"]


class OrganizationRefSerializer(serializers.ModelSerializer):
    page_url = PageUrlField()

    class Meta:
        model = Organization
        fields = ["id", "slug", "name", "abbreviation", "page_url"]


class SourceRefSerializer(serializers.ModelSerializer):
    page_url = PageUrlField()

    class Meta:
        model = Source
        fields = ["id", "title", "url", "archived_url", "page_url"]


class CitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = SourceRefSerializer()
    excerpt = serializers.CharField(help_text="The source's words, copied exactly; empty while they have not been copied yet.")
    locator = serializers.CharField()
    confidence = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)
    sending_country = serializers.CharField(source="sending_country.code", read_only=True)
    authority = serializers.SerializerMethodField()
    citations = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "case",
            "kind",
            "kind_label",
            "date",
            "date_lower",
            "date_upper",
            "place",
            "country",
            "sending_country",
            "authority",
            "description",
            "sets_status",
            "sentence_kind",
            "sentence_years",
            "sentence_months",
            "term_start",
            "release_reason",
            "citations",
            "created",
            "updated",
        ]

    @extend_schema_field(OrganizationRefSerializer(allow_null=True))
    def get_authority(self, event):
        authority = public_or_none(event.authority)
        return shown_as(OrganizationRefSerializer, self, authority) if authority else None

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, event):
        return [shown_as(CitationSerializer, self, citation) for citation in event.public_citations]


class CaseSerializer(serializers.ModelSerializer):
    person = PersonRefSerializer()
    other_spellings = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_current_status_display", read_only=True)
    page_url = PageUrlField()

    class Meta:
        model = Case
        fields = [
            "id",
            "slug",
            "title",
            "person",
            "other_spellings",
            "summary",
            "current_status",
            "status_label",
            "status_since",
            "status_since_lower",
            "status_since_upper",
            "attested_until",
            "attested_lower",
            "last_verified",
            "page_url",
            "created",
            "updated",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_other_spellings(self, case):
        return [variant.name for variant in case.person.public_variants]

    @extend_schema_field(serializers.CharField())
    def get_summary(self, case):
        return cited_summary(case)


class CaseDetailSerializer(CaseSerializer):
    events = serializers.SerializerMethodField()
    citations = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "citations", "events"]

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, case):
        return [shown_as(EventSerializer, self, event) for event in case.public_events()]

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, case):
        return [shown_as(CitationSerializer, self, citation) for citation in case.public_citations]


def cited_summary(record):
    """A case's or person's summary, only while a public citation supports it (every public fact cites a source)."""
    return record.summary if record.public_citations else ""


class PersonSerializer(serializers.ModelSerializer):
    other_spellings = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    citizenship = serializers.CharField(source="citizenship.code", read_only=True)
    page_url = PageUrlField()

    class Meta:
        model = Person
        fields = [
            "id",
            "slug",
            "name",
            "other_spellings",
            "birth_date",
            "birth_date_lower",
            "birth_date_upper",
            "gender",
            "citizenship",
            "summary",
            "page_url",
            "created",
            "updated",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_other_spellings(self, person):
        return [variant.name for variant in person.public_variants]

    @extend_schema_field(serializers.CharField())
    def get_summary(self, person):
        return cited_summary(person)


class OrganizationSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)
    page_url = PageUrlField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "slug",
            "name",
            "abbreviation",
            "kind",
            "country",
            "city",
            "description",
            "page_url",
            "created",
            "updated",
        ]


class SourceSerializer(serializers.ModelSerializer):
    publisher = serializers.SerializerMethodField()
    page_url = PageUrlField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "kind",
            "title",
            "publisher",
            "author",
            "published",
            "published_lower",
            "published_upper",
            "url",
            "archived_url",
            "language",
            "reliability_note",
            "sha256",
            "file_url",
            "page_url",
            "created",
            "updated",
        ]

    @extend_schema_field(OrganizationRefSerializer(allow_null=True))
    def get_publisher(self, source):
        publisher = public_or_none(source.publisher)
        return shown_as(OrganizationRefSerializer, self, publisher) if publisher else None

    @extend_schema_field(serializers.URLField(allow_null=True, help_text="The stored file, or null when the source has none."))
    def get_file_url(self, source):
        if not source.file:
            return None
        from django.urls import reverse

        return self.context["request"].build_absolute_uri(reverse("cases:source_file", args=[source.pk]))


# --- Viewsets ----------------------------------------------------------------

SLUG = r"[-a-zA-Z0-9_]+"
NUMBER = r"[0-9]+"


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination
    filter_backends = [UpdatedAfterFilter]


class ApiCaseFilter(CaseFilter):
    """The list page's filters, taking what any valid request may send.

    The page offers countries and organizations as choices from the data; an
    API client may ask for any, and "no case there yet" is an answer, not a
    mistake. Likewise a date range that ends before it begins finds nothing,
    and `?status=` means no filter.
    """

    country = django_filters.CharFilter(
        method="filter_country_code",
        help_text="Two-letter ISO 3166 code of a country where an event happened or that deported the person.",
    )
    organization = django_filters.CharFilter(
        method="filter_organization_slug", help_text="An organization's slug: it acted in the case or the person belongs to it."
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            # `?status=` is no filter, as an empty single value is.
            data = data.copy()
            for key in list(data):
                data.setlist(key, [value for value in data.getlist(key) if value.strip()])
        super().__init__(data, *args, **kwargs)

    class Meta(CaseFilter.Meta):
        form = forms.Form  # a range that ends before it begins finds nothing (below) rather than an error

    def filter_happened(self, queryset, name, value):
        if value.start and value.stop and value.start > value.stop:
            return queryset.none()
        return super().filter_happened(queryset, name, value)

    def filter_country_code(self, queryset, name, value):
        return self.filter_country(queryset, name, value.strip().upper())

    def filter_organization_slug(self, queryset, name, value):
        organization = Organization.objects.public().filter(slug=value.strip()).first()
        if organization is None:
            return queryset.none()
        return self.filter_organization(queryset, name, organization)


class CaseViewSet(PublicViewSet):
    """Public cases. Filters are those of the case list page (`q` is the name search)."""

    lookup_field = "slug"
    lookup_value_regex = SLUG
    filter_backends = [DjangoFilterBackend, UpdatedAfterFilter]
    filterset_class = ApiCaseFilter

    def get_queryset(self):
        cases = Case.objects.public().for_list().order_by("sort_name", "pk")
        if self.action == "retrieve":
            return with_public_related(cases)
        # A list row shows the other spellings only, and its summary while a
        # public citation of the case supports it: the page's citations are
        # read in one query. As an EXISTS beside each row, PostgreSQL at
        # times read every citation to answer it for 50 rows (18 ms).
        variants = Prefetch("person__name_variants", queryset=NameVariant.objects.public(), to_attr="public_variants")
        citations = Prefetch("citations", queryset=Citation.objects.public_of_public().only("pk", "case"), to_attr="public_citations")
        return cases.prefetch_related(variants, citations)

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer


class PersonViewSet(PublicViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG
    serializer_class = PersonSerializer
    filter_backends = [NameSearchFilter, UpdatedAfterFilter]

    def get_queryset(self):
        return Person.objects.public().prefetch_related(
            Prefetch("name_variants", queryset=NameVariant.objects.public(), to_attr="public_variants"),
            Prefetch("citations", queryset=Citation.objects.public(), to_attr="public_citations"),
        )


class OrganizationViewSet(PublicViewSet):
    lookup_field = "slug"
    lookup_value_regex = SLUG
    serializer_class = OrganizationSerializer

    def get_queryset(self):
        return Organization.objects.public()


class SourceViewSet(PublicViewSet):
    lookup_value_regex = NUMBER
    serializer_class = SourceSerializer

    def get_queryset(self):
        return Source.objects.public().select_related("publisher").order_by("-published_lower", "title", "pk")


class EventFilter(django_filters.FilterSet):
    case = django_filters.CharFilter(field_name="case__slug", label="Case (its slug)")
    kind = django_filters.ChoiceFilter(choices=EventKind.choices)

    class Meta:
        model = Event
        fields = []


class EventViewSet(PublicViewSet):
    """Public events of public cases, oldest first, with their public citations."""

    lookup_value_regex = NUMBER
    serializer_class = EventSerializer
    filter_backends = [DjangoFilterBackend, UpdatedAfterFilter]
    filterset_class = EventFilter

    def get_queryset(self):
        return (
            Event.objects.public()
            .select_related("case", "authority")
            .prefetch_related(Prefetch("citations", queryset=Citation.objects.public().with_source(), to_attr="public_citations"))
            .order_by("case__slug", "date_lower", "date_upper", "position", "pk")
        )


# --- The schema's answers besides 200 ------------------------------------------

NO_NUL = "^[^\\x00]*$"
_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "For each parameter that was refused, what is wrong with it.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_every_answer(result, generator, request, public):
    """drf-spectacular hook: the answers every operation may give besides 200, and empty parameters.

    An empty query parameter (`?country=`) means no filter on every list,
    as it does on the list page, so each optional one allows an empty value.
    """
    retry_after = {"Retry-After": {"description": "Seconds to wait before asking again.", "schema": {"type": "integer"}}}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            if any(parameter["in"] == "query" for parameter in parameters) and "schema" not in operation["operationId"]:
                responses.setdefault("400", _json("A parameter was refused.", _FIELD_ERRORS))
            responses.setdefault("404", _json("No such public record, or no such page of the list.", _DETAIL))
            responses.setdefault("429", {**_json("Too many requests from this address.", _DETAIL), "headers": retry_after})
            responses.setdefault("503", {**_json("The database is unavailable; try again shortly.", _DETAIL), "headers": retry_after})
            for parameter in parameters:
                if parameter["in"] != "query":
                    continue
                if not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema):
                    schema["pattern"] = NO_NUL  # Django refuses a NUL character in any text field
    return result


router = DefaultRouter()
router.include_root_view = True
router.register("cases", CaseViewSet, basename="api-case")
router.register("people", PersonViewSet, basename="api-person")
router.register("organizations", OrganizationViewSet, basename="api-organization")
router.register("sources", SourceViewSet, basename="api-source")
router.register("events", EventViewSet, basename="api-event")


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files, its start-up script a separate file (no inline script)."""

    url_name = "cases:api-schema"
    template_name = "cases/api_docs.html"


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(), name="api-docs"),
    path("", include(router.urls)),
]
