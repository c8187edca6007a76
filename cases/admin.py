import nested_admin
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline
from modeltranslation.utils import get_translation_fields
from simple_history.admin import SimpleHistoryAdmin

from . import admin_draft, admin_import, admin_merge, dates, publishing, restore
from .forms import LockedModelForm
from .models import (
    Affiliation,
    Case,
    Citation,
    Event,
    ImportMapping,
    NameVariant,
    Organization,
    Person,
    Relationship,
    Source,
    StatisticClaim,
    TakeDown,
    order_problems,
    Visibility,
    VisibilityJob,
    WORDS_NOT_COPIED,
    visibility_requests,
)
from .names import fold

admin.site.site_header = settings.ORGANIZATION_NAME or _("Case tracker")
admin.site.site_title = settings.ORGANIZATION_NAME or _("Case tracker")
admin.site.index_title = _("Records")


def country_filter(field_path, title):
    """A list filter offering only the countries that occur, not all 250."""

    class CountryFilter(admin.SimpleListFilter):
        parameter_name = field_path

        def lookups(self, request, model_admin):
            codes = set(model_admin.model.objects.values_list(field_path, flat=True).distinct()) - {"", None}
            return sorted(((code, countries.name(code)) for code in codes), key=lambda item: item[1])

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{field_path: self.value()}).distinct()
            return queryset

    CountryFilter.title = title
    return CountryFilter


def can_publish(request):
    return request.user.has_perm("cases.publish")


class AutocompleteSelect(widgets.AutocompleteSelect):
    """The admin's autocomplete box, whose empty choice has text: an empty <option> is invalid HTML."""

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        for _group, options, _index in groups:
            for option in options:
                if option["value"] == "" and not option["label"]:
                    option["label"] = "—"
        return groups


class RecordAdminMixin:
    """What every record's admin and inline share: history-aware locking and publishing rights.

    Only publishers may change a record's visibility: for everyone else the
    field is read-only, so a posted value is ignored by the server, not only
    hidden from the page. New records stay internal.
    """

    form = LockedModelForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_publish(request):
            fields.append("visibility")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if "loaded_version" in flatten_fieldsets(fieldsets):
            return fieldsets
        return [*fieldsets, (None, {"fields": ["loaded_version"]})]


def report_visibility(request, outcome, withheld=()):
    """Tell the user what a publish or unpublish did, and what it left as it was and why."""
    if outcome.changed:
        messages.success(
            request,
            ngettext("Visibility changed on %(n)d record.", "Visibility changed on %(n)d records.", outcome.changed)
            % {"n": outcome.changed},
        )
    for record, reason in outcome.refused[:MAX_LISTED]:
        messages.error(request, _("“%(record)s” was not published. %(reason)s") % {"record": record, "reason": reason})
    if len(outcome.refused) > MAX_LISTED:
        messages.error(
            request,
            _("%(n)d more records were not published for the same reason.") % {"n": len(outcome.refused) - MAX_LISTED},
        )
    for record in withheld[:MAX_LISTED]:
        if record.is_public:
            message = _("“%(record)s” is still public: only a publisher can unpublish it.")
        else:
            message = _("“%(record)s” is internal: only a publisher can publish it.")
        messages.warning(request, message % {"record": record})


# Messages name at most this many records; the rest are counted.
MAX_LISTED = 10


# Admins of records with per-language texts add modeltranslation's
# TranslationAdmin after RecordAdmin, so that the publishing rights above
# still decide which fields are read-only.
class RecordAdmin(RecordAdminMixin, SimpleHistoryAdmin):
    """Every record's admin. Whatever a page saves (the form, its inlines, a
    version from the history), a change of visibility is applied afterwards
    through `set_visibility`, as the signed-in user: a publisher's goes
    through (facts without a public citation excepted), anyone else's leaves
    the record as it was, or internal if it is brought back, and says so.
    """

    actions = ["publish", "unpublish"]
    change_list_template = "admin/cases/record_change_list.html"

    def has_publish_permission(self, request):
        return can_publish(request)

    def changeform_view(self, request, *args, **kwargs):
        with transaction.atomic(), visibility_requests() as requests:
            response = super().changeform_view(request, *args, **kwargs)
            report_visibility(request, *publishing.apply_requests(requests, request.user))
        self.check_saved(request)
        return response

    def history_form_view(self, request, *args, **kwargs):
        with transaction.atomic(), visibility_requests() as requests:
            response = super().history_form_view(request, *args, **kwargs)
            report_visibility(request, *publishing.apply_requests(requests, request.user))
        self.check_saved(request)
        return response

    def check_saved(self, request):
        """After a save and its change of visibility: warn of what the editor probably did not mean."""
        case = getattr(request, "case_to_check", None)
        if case is not None:
            warn_of_likely_mistakes(request, case)

    @admin.action(description=_("Publish the selected records"), permissions=["publish"])
    def publish(self, request, queryset):
        self.change_visibility(request, queryset, Visibility.PUBLIC)

    @admin.action(description=_("Unpublish the selected records (make them internal)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        self.change_visibility(request, queryset, Visibility.INTERNAL)

    def change_visibility(self, request, queryset, visibility):
        if queryset.count() > publishing.BACKGROUND_ABOVE:
            job = publishing.queue_visibility_job(queryset, visibility, request.user)
            link = reverse("admin:cases_visibilityjob_change", args=[job.pk])
            messages.info(
                request,
                format_html(
                    "{} <a href=\"{}\">{}</a>",
                    _("%(n)d records are being changed by the background worker, in one step.") % {"n": job.total},
                    link,
                    _("See its progress."),
                ),
            )
            return
        report_visibility(request, queryset.set_visibility(visibility, by=request.user))


class CitationInlineFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # On an add form the record cited has no id yet: hand the citation the
        # record itself, so that its check sees the one fact it supports.
        setattr(form.instance, self.fk.name, self.instance)
        return form


class CitationInline(RecordAdminMixin, TranslationStackedInline):
    model = Citation
    formset = CitationInlineFormSet
    extra = 0
    fields = [("source", "confidence", "visibility"), "excerpt", "excerpt_translation", "locator"]
    autocomplete_fields = ["source"]
    verbose_name = _("citation")
    verbose_name_plural = _("citations: which source says so")


class NestedCitationInline(nested_admin.NestedStackedInlineMixin, CitationInline):
    """Citations inside the case form, and inside each of its event rows."""


class NameVariantInline(RecordAdminMixin, admin.TabularInline):
    model = NameVariant
    extra = 1
    fields = ["name", "script", "transliteration", "note", "visibility"]


class AffiliationInline(RecordAdminMixin, admin.TabularInline):
    model = Affiliation
    extra = 0
    fields = ["organization", "role", "period", "visibility"]
    autocomplete_fields = ["organization"]
    show_change_link = True


class RelationshipInline(RecordAdminMixin, admin.TabularInline):
    model = Relationship
    fk_name = "person"
    extra = 0
    fields = ["relative", "kind", "description", "visibility"]
    autocomplete_fields = ["relative"]
    show_change_link = True


class TakeDownMixin:
    """A "Take down" button and page on a case's or a person's admin page, for publishers."""

    change_form_template = "admin/cases/publishing_change_form.html"

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_publish"] = can_publish(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self):
        name = f"cases_{self.model._meta.model_name}_take_down"
        view = self.admin_site.admin_view(self.take_down_view)
        return [path("<int:object_id>/take-down/", view, name=name), *super().get_urls()]

    def take_down_view(self, request, object_id):
        record = get_object_or_404(self.model, pk=object_id)
        if not can_publish(request):
            raise PermissionDenied
        error, reason = "", request.POST.get("reason", "")
        if request.method == "POST":
            try:
                done = publishing.take_down(record, request.user, reason)
            except ValidationError as refused:
                error = refused.messages[0]
            else:
                messages.success(
                    request,
                    ngettext(
                        "“%(record)s” was taken down: %(n)d record made internal.",
                        "“%(record)s” was taken down: %(n)d records made internal.",
                        done.records,
                    )
                    % {"record": record, "n": done.records},
                )
                return redirect(reverse(f"admin:cases_{self.model._meta.model_name}_change", args=[record.pk]))
        querysets = publishing.taken_down_with(record)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Take down “%(record)s”") % {"record": record},
            "opts": self.model._meta,
            "record": record,
            "reason": reason,
            "error": error,
            "what": ", ".join(str(queryset.model._meta.verbose_name_plural) for queryset in querysets),
            "public": sum(queryset.filter(visibility=Visibility.PUBLIC).count() for queryset in querysets),
        }
        return TemplateResponse(request, "admin/cases/take_down.html", context)


@admin.register(Person)
class PersonAdmin(TakeDownMixin, RecordAdmin):
    list_display = ["name", "other_names", "citizenship", "visibility", "updated"]
    list_filter = ["visibility", country_filter("citizenship", _("citizenship")), "gender"]
    search_fields = ["name", "name_variants__name"]
    inlines = [NameVariantInline, AffiliationInline, RelationshipInline, CitationInline]
    fieldsets = [
        (None, {"fields": ["name", "summary", "visibility"]}),
        (_("Details"), {"fields": ["birth_date", "gender", "citizenship", "photo"]}),
        (_("For editors only"), {"fields": ["contact_details", "internal_notes"]}),
        (_("Web address"), {"classes": ["collapse"], "fields": ["slug"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("name_variants")

    @admin.display(description=_("other names"))
    def other_names(self, person):
        return ", ".join(variant.name for variant in person.name_variants.all())

    def get_search_results(self, request, queryset, search_term):
        # Also find people by any spelling or script: "Абдуллоҳи" finds "Abdullokhi".
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if fold(search_term):
            folded = queryset.filter(pk__in=Person.objects.matching(search_term).values("pk"))
            results = results | folded
        return results, may_have_duplicates

    def get_urls(self):
        return [*admin_merge.urls(self.admin_site), *super().get_urls()]


@admin.register(Organization)
class OrganizationAdmin(RecordAdmin, TranslationAdmin):
    list_display = ["name", "abbreviation", "kind", "country", "city", "visibility"]
    list_filter = ["kind", "visibility", country_filter("country", _("country"))]
    search_fields = [*get_translation_fields("name"), "abbreviation", "city"]
    fieldsets = [
        (None, {"fields": ["name", "abbreviation", "kind", "visibility"]}),
        (_("Where"), {"fields": ["country", "city"]}),
        (None, {"fields": ["description", "internal_notes"]}),
        (_("Web address"), {"classes": ["collapse"], "fields": ["slug"]}),
    ]
    inlines = [CitationInline]


@admin.register(Affiliation)
class AffiliationAdmin(RecordAdmin):
    list_display = ["person", "role", "organization", "period", "visibility"]
    list_filter = ["visibility", "organization__kind"]
    list_select_related = ["person", "organization"]
    search_fields = ["person__name", "organization__name", "role"]
    autocomplete_fields = ["person", "organization"]
    fields = ["person", "organization", "role", "period", "visibility", "internal_notes"]
    inlines = [CitationInline]


@admin.register(Relationship)
class RelationshipAdmin(RecordAdmin):
    list_display = ["person", "kind", "relative", "visibility"]
    list_filter = ["visibility", "kind"]
    list_select_related = ["person", "relative"]
    search_fields = ["person__name", "relative__name"]
    autocomplete_fields = ["person", "relative"]
    fields = ["person", "relative", "kind", "description", "visibility", "internal_notes"]
    inlines = [CitationInline]


@admin.register(NameVariant)
class NameVariantAdmin(RecordAdmin):
    list_display = ["name", "person", "script", "visibility"]
    list_filter = ["script", "visibility"]
    list_select_related = ["person"]
    search_fields = ["name", "person__name"]
    autocomplete_fields = ["person"]
    fields = ["person", "name", "script", "transliteration", "note", "visibility", "internal_notes"]


class EventInlineForm(LockedModelForm):
    def _post_clean(self):
        # The formset checks the order of the whole page at once (see below).
        self.instance.order_checked_elsewhere = True
        super()._post_clean()


class EventInlineFormSet(BaseInlineFormSet):
    def clean(self):
        """Check the order of the case's events as this page would leave them, whichever rows changed."""
        super().clean()
        kept = [form for form in self.forms if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")]
        on_page = {form.instance.pk for form in self.forms if form.instance.pk}
        stored = list(Event.objects.filter(case_id=self.instance.pk).exclude(pk__in=on_page)) if self.instance.pk else []
        before = list(Event.objects.filter(case_id=self.instance.pk)) if self.instance.pk else []
        already = {(event.pk, message) for event, message in order_problems(before)}
        forms_by_event = {id(form.instance): form for form in kept}
        for event, message in order_problems(stored + [form.instance for form in kept]):
            if (event.pk, message) in already and event.pk is not None:
                continue
            form = forms_by_event.get(id(event))
            if form is not None:
                form.add_error("date", message)
            else:
                raise ValidationError(message, code="impossible_order")


class EventInline(RecordAdminMixin, nested_admin.NestedStackedInlineMixin, TranslationStackedInline):
    model = Event
    form = EventInlineForm
    formset = EventInlineFormSet
    # A case with its events and their citations is one form and one save.
    inlines = [NestedCitationInline]
    extra = 0
    show_change_link = True
    autocomplete_fields = ["authority"]
    fields = [
        ("kind", "date", "position"),
        ("sets_status", "visibility"),
        ("place", "country", "sending_country", "authority"),
        "description",
        ("sentence_kind", "sentence_years", "sentence_months", "term_start", "release_reason"),
    ]
    ordering = ["date_lower", "date_upper", "position", "pk"]


# A case page edits this many events in place; a case with more lists them,
# each linked to its own page. Each event is about 19 form fields, and Django
# refuses a form of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (see settings).
EVENTS_ON_CASE_PAGE = 30


@admin.register(Case)
class CaseAdmin(TakeDownMixin, nested_admin.NestedModelAdminMixin, RecordAdmin, TranslationAdmin):
    list_display = ["person", "title", "current_status", "status_since_words", "last_verified", "visibility", "updated"]
    list_filter = [
        "current_status",
        "visibility",
        country_filter("events__country", _("country of an event")),
        country_filter("events__sending_country", _("sending country")),
        "events__kind",
    ]
    list_select_related = ["person"]
    # Every language's title, whichever language the editor's admin is in.
    search_fields = ["person__name", "person__name_variants__name", *get_translation_fields("title")]
    autocomplete_fields = ["person"]
    readonly_fields = ["current_status", "status_since_words", "attested_words", "status_history_table", "event_links"]
    inlines = [EventInline, NestedCitationInline]
    fieldsets = [
        (None, {"fields": ["person", "title", "summary", "visibility"]}),
        (
            _("Status (worked out from the public events below)"),
            {"fields": ["current_status", "status_since_words", "attested_words", "last_verified", "status_history_table"]},
        ),
        (_("For editors only"), {"fields": ["internal_notes"]}),
        (_("Web address"), {"classes": ["collapse"], "fields": ["slug"]}),
    ]

    def has_many_events(self, case):
        if case is None:
            return False
        if not hasattr(case, "_has_many_events"):  # asked several times while one page is built
            case._has_many_events = case.events.count() > EVENTS_ON_CASE_PAGE
        return case._has_many_events

    def get_inlines(self, request, obj):
        # A long case's events are edited one by one on their own pages, so
        # the case page stays small enough to open and to save.
        if self.has_many_events(obj):
            return [inline for inline in self.inlines if inline is not EventInline]
        return self.inlines

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_many_events(obj):
            fieldsets = [*fieldsets, (_("Events"), {"fields": ["event_links"]})]
        return fieldsets

    @admin.display(description=_("events"))
    def event_links(self, case):
        events = case.events.chronological()
        event_list = reverse("admin:cases_event_changelist") + f"?case__id__exact={case.pk}"
        add_event = reverse("admin:cases_event_add") + f"?case={case.pk}"
        intro = format_html(
            '<p>{} <a href="{}">{}</a> · <a href="{}">{}</a></p>',
            _("This case has %(count)d events, too many to edit on one page: open an event to change it.")
            % {"count": len(events)},
            add_event,
            _("Add an event to this case"),
            event_list,
            _("Search and filter this case's events"),
        )
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:cases_event_change", args=[event.pk]),
                    event.date_display or event.date,
                    event.get_kind_display(),
                    event.get_sets_status_display() or "—",
                    event.get_visibility_display(),
                )
                for event in events
            ),
        )
        return format_html(
            "{}<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            intro,
            _("date"),
            _("event"),
            _("puts the case in status"),
            _("visibility"),
            rows,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tell_order_used(request, form.instance)
        request.case_to_check = form.instance  # once its visibility is applied: see `check_saved`

    @admin.display(description=_("status since"), ordering="status_since_lower")
    def status_since_words(self, case):
        return case.status_since_display or "—"

    @admin.display(description=_("latest evidence for the status"))
    def attested_words(self, case):
        if case.attested_until:
            return case.attested_display
        return _("None: the status event cites no dated public source and nobody has verified the status.")

    @admin.display(description=_("status history"))
    def status_history_table(self, case):
        history = case.status_history(include_internal=True) if case.pk else []
        if not history:
            return _("No event sets a status yet. Add an event and choose “puts the case in status”.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    event.date_display,
                    event.get_sets_status_display(),
                    event.get_kind_display(),
                    _("public") if event.is_public else _("internal: does not count for the public status"),
                )
                for event in history
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("date"),
            _("status"),
            _("event"),
            _("visibility"),
            rows,
        )

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if fold(search_term):
            results = results | queryset.filter(person__in=Person.objects.matching(search_term))
        return results, True

    def get_urls(self):
        site = self.admin_site
        return [
            path("deleted/", site.admin_view(deleted_records_view), name="cases_deleted_records"),
            path("uncited/", site.admin_view(uncited_facts_view), name="cases_uncited"),
            path("<int:object_id>/publish/", site.admin_view(self.publish_case_view), name="cases_case_publish"),
            *admin_import.urls(site),
            *super().get_urls(),
        ]

    def publish_case_view(self, request, object_id):
        """One screen to publish a case: everything a reader would see, ticked and confirmed once."""
        case = get_object_or_404(Case, pk=object_id)
        if not can_publish(request):
            raise PermissionDenied
        plan = publishing.case_plan(case)
        if request.method == "POST":
            outcome = publishing.publish_chosen(
                plan, set(request.POST.getlist("record")), request.user, reason=_("Published with the case")
            )
            report_visibility(request, outcome)
            return redirect(reverse("admin:cases_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish “%(case)s”") % {"case": case},
            "case": case,
            "plan": plan,
            "tick_all": bool(request.GET.get("all")),
            "internal": sum(1 for _title, rows in plan for row in rows if not row.record.is_public),
        }
        return TemplateResponse(request, "admin/cases/publish_case.html", context)


def tell_order_used(request, case):
    """Say, after a save, which order overlapping status-setting events were put in and why."""
    for note in case.overlap_notes():
        messages.info(request, note)


def warn_of_likely_mistakes(request, case):
    """Saved, but probably not what the editor meant: say so after the save, refuse nothing."""
    case.refresh_from_db()
    if case.is_public and not case.status_event_id:
        messages.warning(
            request,
            _("“%(case)s” is public but no public event sets its status, so readers see “Unknown”. "
              "Choose “puts the case in status” on the event that says where the person is.") % {"case": case},
        )
    uncited = [str(event) for event in case.events.filter(citations__isnull=True)]
    if uncited:
        messages.warning(
            request,
            ngettext(
                "This event cites no source yet: %(events)s. Readers should see which source says so.",
                "These events cite no source yet: %(events)s. Readers should see which source says so.",
                len(uncited),
            ) % {"events": "; ".join(uncited)},
        )
    if case.is_public and case.status_event_id and case.is_status_stale:
        messages.warning(
            request,
            _("Nobody has verified this status for more than %(days)d days: check it and set “status last verified”.")
            % {"days": settings.STATUS_STALE_AFTER_DAYS},
        )


@admin.register(Event)
class EventAdmin(RecordAdmin, TranslationAdmin):
    list_display = ["case", "kind", "date", "sets_status", "country", "visibility"]
    list_filter = [
        "kind",
        "sets_status",
        "visibility",
        country_filter("country", _("country")),
        country_filter("sending_country", _("sending country")),
    ]
    list_select_related = ["case__person"]
    search_fields = ["case__person__name", "case__title_en", *get_translation_fields("description"), "place"]
    autocomplete_fields = ["case", "authority"]
    inlines = [CitationInline]
    fieldsets = [
        (None, {"fields": ["case", "kind", "date", "position", "sets_status", "visibility"]}),
        (_("Where and who"), {"fields": ["place", "country", "sending_country", "authority"]}),
        (None, {"fields": ["description"]}),
        (
            _("Sentence or release"),
            {
                "classes": ["collapse"],
                "fields": ["sentence_kind", "sentence_years", "sentence_months", "term_start", "release_reason"],
            },
        ),
        (_("For editors only"), {"fields": ["internal_notes"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tell_order_used(request, form.instance.case)
        request.case_to_check = form.instance.case  # once its visibility is applied: see `check_saved`


@admin.register(Source)
class SourceAdmin(RecordAdmin):
    list_display = ["title", "kind", "publisher", "published", "language", "visibility"]
    list_filter = ["kind", "visibility", "language"]
    list_select_related = ["publisher"]
    search_fields = ["title", "author", "publisher__name", "url"]
    autocomplete_fields = ["publisher"]
    readonly_fields = ["sha256"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_urls(self):
        return [*admin_draft.urls(self.admin_site), *super().get_urls()]
    fieldsets = [
        (None, {"fields": ["kind", "title", "publisher", "author", "published", "language", "visibility"]}),
        (_("Where to find it"), {"fields": ["url", "archived_url", "file", "sha256"]}),
        (None, {"fields": ["reliability_note"]}),
        (_("Full text and notes (editors only)"), {"classes": ["collapse"], "fields": ["text", "internal_notes"]}),
    ]


@admin.register(Citation)
class CitationAdmin(RecordAdmin, TranslationAdmin):
    list_display = ["source", "short_excerpt", "confidence", "locator", "visibility"]
    list_filter = ["confidence", "visibility", "source"]
    list_select_related = ["source"]
    search_fields = ["excerpt", "source__title"]
    autocomplete_fields = ["source", "event", "case", "person", "organization", "affiliation", "relationship", "claim"]
    fieldsets = [
        (None, {"fields": ["source", "excerpt", "excerpt_translation", "locator", "confidence", "visibility"]}),
        (
            _("The one fact it supports"),
            {"fields": ["event", "case", "person", "organization", "affiliation", "relationship", "claim"]},
        ),
        (_("For editors only"), {"fields": ["internal_notes"]}),
    ]

    @admin.display(description=_("excerpt"))
    def short_excerpt(self, citation):
        if not citation.words_copied:
            return f"({WORDS_NOT_COPIED})"
        return citation.excerpt if len(citation.excerpt) <= 90 else f"{citation.excerpt[:88]}…"


@admin.register(StatisticClaim)
class StatisticClaimAdmin(RecordAdmin, TranslationAdmin):
    list_display = ["statement", "quantifier", "count", "country", "visibility"]
    list_filter = ["visibility", country_filter("country", _("country")), "quantifier"]
    search_fields = [*get_translation_fields("statement"), "subject"]
    fields = ["statement", "subject", "quantifier", "count", "country", "date", "visibility", "internal_notes"]
    inlines = [CitationInline]



def deleted_records_view(request):
    """Every deleted record an editor may bring back, with a button to restore it."""
    restorable = [
        model for model in restore.tracked_models()
        if request.user.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")
    ]
    if not restorable:
        raise PermissionDenied
    if request.method == "POST":
        model = next((m for m in restorable if m._meta.model_name == request.POST.get("model")), None)
        entry = model.history.filter(history_id=request.POST.get("entry"), history_type="-").first() if model else None
        if entry is None or model._default_manager.filter(pk=entry.id).exists():
            messages.error(request, _("That record cannot be restored: it is not deleted, or you may not add it."))
        else:
            count, *visibility = restore.restore(entry, request.user)
            messages.success(
                request,
                ngettext(
                    "“%(record)s” was restored.",
                    "“%(record)s” was restored with %(others)d records deleted along with it.",
                    count,
                )
                % {"record": entry.instance, "others": count - 1},
            )
            report_visibility(request, *visibility)
        return redirect(request.path)
    sections = [(model._meta.verbose_name_plural, model._meta.model_name, restore.deleted(model)) for model in restorable]
    context = {
        **admin.site.each_context(request),
        "title": _("Deleted records"),
        "sections": sections,
    }
    return TemplateResponse(request, "admin/cases/deleted_records.html", context)


def uncited_facts_view(request):
    """Public facts that no public citation supports: hidden from readers until an editor adds one."""
    if not request.user.has_perm("cases.view_event"):
        raise PermissionDenied
    sections = []
    for model, records in publishing.facts_without_citation():
        shown = list(records[:MAX_UNCITED_SHOWN])
        more = records.count() - len(shown) if len(shown) == MAX_UNCITED_SHOWN else 0
        sections.append((model._meta.verbose_name_plural, model._meta.model_name, shown, more))
    context = {**admin.site.each_context(request), "title": _("Public facts without a source"), "sections": sections}
    return TemplateResponse(request, "admin/cases/uncited.html", context)


MAX_UNCITED_SHOWN = 200


class RecordOfWhatWasDoneAdmin(admin.ModelAdmin):
    """A record the app writes when something is done (a take-down, a bulk publish): read, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TakeDown)
class TakeDownAdmin(RecordOfWhatWasDoneAdmin):
    list_display = ["record", "reason", "records", "taken_by", "taken_at"]
    list_select_related = ["taken_by"]
    readonly_fields = ["case", "person", "record", "reason", "records", "taken_by", "taken_at"]


@admin.register(VisibilityJob)
class VisibilityJobAdmin(RecordOfWhatWasDoneAdmin):
    list_display = ["__str__", "state", "progress", "requested_by", "created", "finished"]
    list_select_related = ["requested_by"]
    fields = ["model", "visibility", "state", "progress", "message", "requested_by", "created", "finished"]
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def progress(self, job):
        return _("%(changed)d of %(total)d changed, %(refused)d left internal (no public citation)") % {
            "changed": job.changed,
            "total": job.total,
            "refused": job.refused,
        }

    def get_queryset(self, request):
        return super().get_queryset(request).defer("record_ids")


@admin.register(ImportMapping)
class ImportMappingAdmin(SimpleHistoryAdmin):
    list_display = ["name", "created"]
    search_fields = ["name"]
