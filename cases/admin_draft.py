"""“Start from a source”: paste a statement or news item, confirm what it says, save it in one go.

The draft (cases/drafting.py) proposes people, events and their excerpts;
nothing is written until the editor ticks a proposal and saves, and then
everything ticked is written together or, if anything is wrong, nothing.
Every record made here is internal until a publisher publishes it.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries.fields import CountryField

from . import drafting
from .models import Case, Citation, Confidence, Event, EventKind, Person, Source, Status, normalize_space

DRAFT_PERMISSIONS = ["cases.change_source", "cases.add_person", "cases.add_case", "cases.add_event", "cases.add_citation"]


class TextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("The source's text"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100}),
        help_text=gettext_lazy("Paste the statement or article as published. Nothing is saved until you confirm."),
    )
    keep_text = forms.BooleanField(
        label=gettext_lazy("Keep this text as the source's full text (never shown publicly), so that excerpts are checked against it"),
        required=False,
        initial=True,
    )


class ProposalForm(forms.Form):
    accept = forms.BooleanField(label=gettext_lazy("Save this"), required=False)
    excerpt = forms.CharField(label=gettext_lazy("Excerpt (the source's exact words)"), widget=forms.Textarea(attrs={"rows": 2, "cols": 90}))
    locator = forms.CharField(label=gettext_lazy("Where in the source"), required=False, max_length=100)
    confidence = forms.ChoiceField(label=gettext_lazy("Confidence"), choices=Confidence.choices, initial=Confidence.LIKELY)


class PersonProposalForm(ProposalForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    field_order = ["accept", "name", "excerpt", "locator", "confidence"]


class EventProposalForm(ProposalForm):
    person_name = forms.CharField(label=gettext_lazy("Person"), max_length=200)
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    case_title = forms.CharField(label=gettext_lazy("Case"), max_length=300, help_text=gettext_lazy("The person's case with this title, or a new one."))
    kind = forms.ChoiceField(label=gettext_lazy("What happened"), choices=EventKind.choices)
    date = forms.CharField(label=gettext_lazy("Date (EDTF)"), max_length=100)
    sets_status = forms.ChoiceField(label=gettext_lazy("Puts the case in status"), choices=[("", "—"), *Status.choices], required=False)
    country = CountryField(blank=True).formfield(label=gettext_lazy("Country"), required=False)
    sending_country = CountryField(blank=True).formfield(label=gettext_lazy("Sending country"), required=False)
    sentence_years = forms.IntegerField(label=gettext_lazy("Sentence: years"), required=False, min_value=0, max_value=99)

    field_order = ["accept", "person_name", "case_title", "kind", "date", "sets_status", "country", "sending_country", "sentence_years", "excerpt", "locator", "confidence"]


PersonProposals = forms.formset_factory(PersonProposalForm, extra=0)
EventProposals = forms.formset_factory(EventProposalForm, extra=0)


def urls(admin_site):
    return [path("<int:pk>/draft/", admin_site.admin_view(draft_view), name="cases_source_draft")]


def initial_people(draft):
    return [
        {"name": p.name, "person_id": p.person_id, "excerpt": p.sentence.text, "locator": p.sentence.locator}
        for p in draft.people
    ]


def initial_events(draft):
    cases = {}
    ids = {event.person_id for event in draft.events if event.person_id}
    for case in Case.objects.filter(person_id__in=ids).order_by("pk"):
        cases.setdefault(case.person_id, case.title)
    # One new case a person: named after the first thing the text says happened to them.
    titles = {}
    for e in draft.events:
        titles.setdefault(e.person_id or e.person_name, cases.get(e.person_id) or EventKind(e.kind).label)
    return [
        {
            "person_name": e.person_name,
            "person_id": e.person_id,
            "case_title": titles[e.person_id or e.person_name],
            "kind": e.kind,
            "date": e.date,
            "sets_status": e.sets_status,
            "country": e.country,
            "sending_country": e.sending_country,
            "sentence_years": e.sentence_years,
            "excerpt": e.sentence.text,
            "locator": e.sentence.locator,
        }
        for e in draft.events
    ]


def draft_view(request, pk):
    if not request.user.has_perms(DRAFT_PERMISSIONS):
        raise PermissionDenied
    source = get_object_or_404(Source, pk=pk)
    step = request.POST.get("step")
    people = events = draft = None
    if step == "save":
        text_form = TextForm(request.POST)
        people = PersonProposals(request.POST, prefix="people")
        events = EventProposals(request.POST, prefix="events")
        if text_form.is_valid() and people.is_valid() and events.is_valid():
            saved = save_confirmed(source, text_form.cleaned_data, people, events)
            if saved is not None:
                messages.success(request, saved)
                return redirect(reverse("admin:cases_source_change", args=[source.pk]))
    elif step == "propose":
        text_form = TextForm(request.POST)
        if text_form.is_valid():
            draft = drafting.propose(text_form.cleaned_data["text"], source.published)
            people = PersonProposals(initial=initial_people(draft), prefix="people")
            events = EventProposals(initial=initial_events(draft), prefix="events")
    else:
        text_form = TextForm(initial={"text": source.text})
    context = {
        **admin.site.each_context(request),
        "title": _("Start from this source"),
        "source": source,
        "opts": Source._meta,
        "text_form": text_form,
        "people": people,
        "events": events,
        "dates": draft.dates if draft else [],
    }
    return TemplateResponse(request, "admin/cases/source_draft.html", context)


def save_confirmed(source, text, people, events):
    """Write every ticked proposal, or nothing: returns the message to show, or None with errors on the forms."""
    chosen_people = [form for form in people.forms if form.cleaned_data.get("accept")]
    chosen_events = [form for form in events.forms if form.cleaned_data.get("accept")]
    if not chosen_people and not chosen_events:
        first = (people.forms + events.forms)[:1]
        if not first:
            return _("Nothing was proposed, so nothing was saved.")
        first[0].add_error("accept", _("Nothing is ticked, so nothing was saved. Tick what the source says, or leave this page."))
        return None
    pasted = normalize_space(text["text"])
    failed = False
    with transaction.atomic():
        if text["keep_text"] and source.text != text["text"]:
            source.text = text["text"]
            source.save(update_fields=["text"])
        made = {}  # new people by name, so that two proposals about "A. B." make one person

        def person_for(name, person_id):
            if person_id:
                return Person.objects.get(pk=person_id)
            if name not in made:
                person = Person(name=name)
                person.full_clean()
                person.save()
                made[name] = person
            return made[name]

        counts = {"people": 0, "events": 0}
        touched_cases = []
        for form, kind in [*((f, "person") for f in chosen_people), *((f, "event") for f in chosen_events)]:
            data = form.cleaned_data
            try:
                if normalize_space(data["excerpt"]) not in pasted:
                    raise ValidationError({"excerpt": _("These words are not in the pasted text. Copy them exactly.")})
                if kind == "person":
                    person = person_for(data["name"], data["person_id"])
                    counts["people"] += 1
                    cite(source, data, person=person)
                else:
                    person = person_for(data["person_name"], data["person_id"])
                    case = Case.objects.filter(person=person, title=data["case_title"]).first()
                    if case is None:
                        case = Case(person=person, title=data["case_title"])
                        case.full_clean()
                        case.save()
                    if case not in touched_cases:
                        touched_cases.append(case)
                    event = Event(
                        case=case,
                        kind=data["kind"],
                        date=data["date"],
                        sets_status=data["sets_status"],
                        country=data["country"] or "",
                        sending_country=data["sending_country"] or "",
                        sentence_years=data["sentence_years"],
                        sentence_kind="prison_term" if data["kind"] == EventKind.SENTENCE and data["sentence_years"] else "",
                    )
                    event.full_clean()
                    event.save()
                    counts["events"] += 1
                    cite(source, data, event=event)
            except ValidationError as error:
                failed = True
                problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
                for field, problem in problems.items():
                    form.add_error(field if field in form.fields else None, problem)
        if failed:
            transaction.set_rollback(True)
            return None
    summary = ngettext(
        "Saved from “%(source)s”: %(people)d person cited, %(events)d event with its citation. All are internal until published.",
        "Saved from “%(source)s”: %(people)d people cited, %(events)d events with their citations. All are internal until published.",
        counts["people"] + counts["events"],
    ) % {"source": source, **counts}
    links = format_html_join(
        ", ", '<a href="{}">{}</a>', ((reverse("admin:cases_case_change", args=[case.pk]), case) for case in touched_cases)
    )
    return format_html("{} {}", summary, format_html("{} {}", _("Cases:"), links) if touched_cases else "")


def cite(source, data, **target):
    citation = Citation(source=source, excerpt=data["excerpt"], locator=data["locator"], confidence=data["confidence"], **target)
    citation.full_clean()
    citation.save()
