"""The read-only public JSON API at /api/ (Django REST framework).

Every viewset starts from a `.public()` QuerySet method and every serializer
names its fields one by one, so internal records and the fields for editors
only (internal notes, contact details, a source's full text) never appear.
"""

import datetime

import django_filters
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
from .models import Case, Citation, Event, EventKind, NameVariant, Organization, Person, Source, public_or_none, publicly_cited

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


class UpdatedAfterFilter(BaseFilterBackend):
    """`?updated_after=<ISO 8601 date-time>`: records changed after then, oldest change first."""

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get("updated_after")
        if value is None:
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
                "schema": {"type": "string", "format": "date-time"},
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
        return OrganizationRefSerializer(authority, context=self.context).data if authority else None

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, event):
        return CitationSerializer(event.public_citations, many=True, context=self.context).data


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
        return EventSerializer(case.public_events(), many=True, context=self.context).data

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, case):
        return CitationSerializer(case.public_citations, many=True, context=self.context).data


def cited_summary(record):
    """A case's or person's summary, only while a public citation supports it (every public fact cites a source)."""
    cited = getattr(record, "summary_cited", None)
    if cited is None:
        cited = bool(record.public_citations)
    return record.summary if cited else ""


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
        return OrganizationRefSerializer(publisher, context=self.context).data if publisher else None

    @extend_schema_field(OpenApiTypes.URI)
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


# The list page's filters whose choices come from the database: strings in the schema.
extend_schema_field(OpenApiTypes.STR)(CaseFilter.base_filters["country"])
extend_schema_field(OpenApiTypes.STR)(CaseFilter.base_filters["organization"])


class CaseViewSet(PublicViewSet):
    """Public cases. Filters are those of the case list page (`q` is the name search)."""

    lookup_field = "slug"
    lookup_value_regex = SLUG
    filter_backends = [DjangoFilterBackend, UpdatedAfterFilter]
    filterset_class = CaseFilter

    def get_queryset(self):
        cases = Case.objects.public().for_list().order_by("sort_name", "pk")
        if self.action == "retrieve":
            return with_public_related(cases)
        # A list row shows the other spellings only: no events or citations to read.
        variants = Prefetch("person__name_variants", queryset=NameVariant.objects.public(), to_attr="public_variants")
        return cases.prefetch_related(variants).annotate(summary_cited=publicly_cited(Case))

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
