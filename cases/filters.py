"""The public case list's filters. Every one also drives the exports and the API.

Filters on events use `Exists` over public events only, so that an internal
event can neither make a case appear under a filter nor multiply its row.
"""

from html import escape

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe
from django.db.models import Exists, Min, OuterRef, Q
from django.utils.translation import get_language, gettext_lazy as _
from django_countries import countries

from . import caching
from .models import (
    Affiliation,
    Case,
    Event,
    EventKind,
    NameSearch,
    Organization,
    SentenceKind,
    Status,
)


def countries_in_use():
    """Countries where a public event happened or a deportation started, by name; kept in the cache until anything public changes."""
    return caching.cached("countries-in-use", _public_event_countries, get_language())


def organizations_in_use():
    """Public organizations by name, as (web address, name): the list's choices, cached like the countries."""
    return caching.cached("organizations", _public_organizations)


def _public_organizations():
    organizations = Organization.objects.public().only("slug", "name", "abbreviation")
    return [(organization.slug, str(organization)) for organization in organizations]


def _public_event_countries():
    # Reading every public event for its country took a second at 100,000
    # cases, paid by the first reader after every change to anything public.
    # Instead each country any event names is found by one seek in the index
    # on the column, and kept if a public event names it: one EXISTS each,
    # which stops at the first public event.
    public = Event.objects.public().order_by()
    codes = set()
    for field in ("country", "sending_country"):
        codes.update(code for code in distinct_values(Event.objects.order_by(), field) if public.filter(**{field: code}).exists())
    return sorted(((code, countries.name(code)) for code in codes), key=lambda pair: pair[1])


def distinct_values(queryset, field):
    """The distinct values of an indexed column but the empty one, in order: one seek in its index each (a loose index scan)."""
    value = ""
    while (value := queryset.filter(**{f"{field}__gt": value}).aggregate(next=Min(field))["next"]) is not None:
        yield value


class QuickSelect(forms.Select):
    """A select whose options are written in Python, not by a template include each.

    The list's organization and country selects grow with the data; their
    options cost a template include apiece, most of the list page's time.
    The markup is the same as Django's own select.
    """

    def render(self, name, value, attrs=None, renderer=None):
        # Django's own builds a dictionary of attributes for every option
        # first; here each option is one line of text.
        selected = set(self.format_value(value))
        lines = []
        for choice, label in self.choices:
            choice = "" if choice is None else str(choice)
            mark = ""
            if choice in selected:
                mark = " selected"
                if not self.allow_multiple_selected:
                    selected = set()
            lines.append(f'\n  <option value="{escape(choice)}"{mark}>{escape(str(label))}</option>')
        attributes = flatatt({key: value for key, value in self.build_attrs(self.attrs, attrs).items() if key != "name"})
        return mark_safe(f'<select name="{escape(str(name))}"{attributes}>{"".join(lines)}\n</select>')


class QuickCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes written in Python, as `QuickSelect` writes its options: Django's own took half a millisecond a page.

    The markup is Django's: a box in its label, each in a div, all in a div
    with the field's id.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        attributes = self.build_attrs(self.attrs, attrs)
        field_id = attributes.get("id", "")
        name = escape(str(name))
        lines = []
        for index, (choice, label) in enumerate(self.choices):
            choice = str(choice)
            box_id = f"{field_id}_{index}" if field_id else ""
            mark = " checked" if choice in selected else ""
            id_attribute, for_attribute = (f' id="{escape(box_id)}"', f' for="{escape(box_id)}"') if box_id else ("", "")
            lines.append(
                f'<div><label{for_attribute}><input type="checkbox" name="{name}" value="{escape(choice)}"{id_attribute}{mark}>'
                f" {escape(str(label))}</label></div>"
            )
        container = f' id="{escape(field_id)}"' if field_id else ""
        return mark_safe(f"<div{container}>{''.join(lines)}</div>")


def public_events_of_case():
    return Event.objects.public().filter(case=OuterRef("pk"))


class CaseFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        happened = cleaned.get("happened")
        if happened and happened.start and happened.stop and happened.start > happened.stop:
            self.add_error("happened", _("The first date is after the second: swap them."))
        return cleaned


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name"),
        method="filter_name",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Any spelling, Latin or Cyrillic")}),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Current status"),
        field_name="current_status",
        lookup_expr="exact",
        choices=Status.choices,
        widget=QuickCheckboxes,
        # One status per case: no row can repeat, so no DISTINCT over every column.
        distinct=False,
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        choices=countries_in_use,
        method="filter_country",
        empty_label=_("Any country"),
        widget=QuickSelect,
        help_text=_("Where an event happened, or the country a person was deported from."),
    )
    event = django_filters.ChoiceFilter(
        label=_("Event"),
        choices=EventKind.choices,
        method="filter_event",
        empty_label=_("Any event"),
        widget=QuickSelect,
    )
    happened = django_filters.DateFromToRangeFilter(
        label=_("An event happened between"),
        method="filter_happened",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
        help_text=_("Events with uncertain dates count when they may have happened in the range."),
    )
    organization = django_filters.ChoiceFilter(
        label=_("Organization involved"),
        choices=organizations_in_use,
        method="filter_organization",
        empty_label=_("Any organization"),
        widget=QuickSelect,
    )
    sentence = django_filters.ChoiceFilter(
        label=_("Sentence"),
        choices=SentenceKind.choices,
        method="filter_sentence",
        empty_label=_("Any sentence"),
        widget=QuickSelect,
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("sort_name", "name"),
            ("status_since_lower", "status_date"),
            ("updated", "updated"),
        ),
        field_labels={
            "name": _("Name (A–Z)"),
            "-name": _("Name (Z–A)"),
            "status_date": _("Status date (oldest first)"),
            "-status_date": _("Status date (newest first)"),
            "updated": _("Last update (oldest first)"),
            "-updated": _("Last update (newest first)"),
        },
        empty_label=_("Best match, then name"),
        widget=QuickSelect,
    )

    class Meta:
        model = Case
        fields = []
        form = CaseFilterForm

    def filter_queryset(self, queryset):
        # The name search last, so that the list can read a page of its
        # matches from the cases every other filter leaves (`unsearched`).
        values = dict(self.form.cleaned_data)
        query = values.pop("q", None)
        for name, value in values.items():
            queryset = self.filters[name].filter(queryset, value)
        self.unsearched = queryset
        return self.filters["q"].filter(queryset, query)

    def filter_name(self, queryset, name, value):
        search = self.name_search = NameSearch(value)
        if not search.words:
            return queryset.none()
        # The index holds public names of public people only; the case list is public already.
        queryset = queryset.filter(search.found("person"))
        self.ranked = not self.data.get("sort")
        if self.ranked:
            queryset = queryset.annotate(name_rank=search.rank("person")).order_by("-name_rank", "sort_name", "person_id", "pk")
        return queryset

    def filter_country(self, queryset, name, value):
        in_country = public_events_of_case().filter(Q(country=value) | Q(sending_country=value))
        return queryset.filter(Exists(in_country))

    def filter_event(self, queryset, name, value):
        return queryset.filter(Exists(public_events_of_case().filter(kind=value)))

    def filter_happened(self, queryset, name, value):
        # An uncertain date may fall in the range when its bounds overlap it.
        events = public_events_of_case()
        if value.start:
            events = events.filter(Q(date_upper__gte=value.start) | Q(date_upper__isnull=True))
        if value.stop:
            events = events.filter(Q(date_lower__lte=value.stop) | Q(date_lower__isnull=True))
        return queryset.filter(Exists(events))

    def filter_organization(self, queryset, name, value):
        # `value` is the slug of a public organization: the choices hold no other.
        acted = public_events_of_case().filter(authority__slug=value)
        affiliated = Affiliation.objects.public().filter(person=OuterRef("person"), organization__slug=value)
        return queryset.filter(Exists(acted) | Exists(affiliated))

    def filter_sentence(self, queryset, name, value):
        sentenced = public_events_of_case().filter(kind=EventKind.SENTENCE, sentence_kind=value)
        return queryset.filter(Exists(sentenced))
