"""Publishing and unpublishing: the one place visibility changes in bulk.

Every path that changes what readers see ends here or in `Publishable.save()`
inside `publishing(user)`: the admin's forms and actions, the "Publish this
case" and "Take down" screens, the background task, the shell. A change is
one transaction with the statuses it moves, its history entries (who and
why) and the public `updated` times of the pages it touches.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .history import copy_to_history
from .models import (
    CITATION_TARGETS,
    Affiliation,
    Case,
    Citation,
    Event,
    NameVariant,
    Organization,
    Person,
    Relationship,
    Source,
    StatisticClaim,
    TakeDown,
    Visibility,
    VisibilityJob,
    VisibilityRefused,
    may_publish,
    publicly_cited,
    publishing,
)

# Rows written per statement: well under SQLite's limit on query parameters.
CHUNK = 2000

# Where a record is shown besides its own page: when it changes for readers,
# these pages' public `updated` times move too.
SHOWN_ON = {
    Event: ["case"],
    Case: ["person"],
    NameVariant: ["person"],
    Affiliation: ["person", "organization"],
    Relationship: ["person", "relative"],
    Citation: [*CITATION_TARGETS, "event__case"],
}


@dataclass
class Outcome:
    changed: int = 0
    # (record, why) for each record left internal.
    refused: list = field(default_factory=list)


def chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def uncited(queryset):
    """The facts in `queryset` a reader may not be told yet: no public citation from a public source supports them."""
    model = queryset.model
    if queryset.needs_citation:
        return queryset.exclude(publicly_cited(model))
    if model in (Case, Person):
        # A case or person may be public without a citation; its summary, a stated fact, may not.
        stated = Q()
        for name in summary_fields(model):
            stated |= Q(**{f"{name}__gt": ""})
        return queryset.filter(stated).exclude(publicly_cited(model))
    return queryset.none()


def summary_fields(model):
    """The summary and its translations, if the model keeps any (`summary_ru`…)."""
    return [field.name for field in model._meta.concrete_fields if field.name == "summary" or field.name.startswith("summary_")]


def refusals(queryset):
    reason = _("No public citation supports it: publish a citation from a public source for it first.")
    if queryset.model in (Case, Person):
        reason = _("Its summary cites no source: publish a citation from a public source for it first.")
    return [(record, reason) for record in uncited(queryset)]


def touch_shown_on(model, pks, when=None):
    """Move the public `updated` time of every page that shows these records."""
    when = when or timezone.now()
    for path in SHOWN_ON.get(model, []):
        parent = model
        for name in path.split("__"):
            parent = parent._meta.get_field(name).related_model
        shown = model.objects.filter(pk__in=pks).exclude(**{f"{path}__isnull": True}).values(path)
        parent.objects.filter(pk__in=shown).update(updated=when)


def change_visibility(queryset, visibility, user, reason=""):
    """Set `visibility` on the records of `queryset`, as `user`; see `PublishableQuerySet.set_visibility`."""
    if not may_publish(user):
        raise VisibilityRefused(_("Only a publisher can publish or unpublish records."))
    model = queryset.model
    outcome = Outcome()
    with transaction.atomic():
        targets = queryset.exclude(visibility=visibility)
        if visibility == Visibility.PUBLIC:
            outcome.refused = refusals(targets)
            targets = targets.exclude(pk__in=uncited(targets).values("pk"))
        pks = list(targets.values_list("pk", flat=True))
        now = timezone.now()
        for chunk in chunks(pks):
            model.objects.filter(pk__in=chunk).update(visibility=visibility, updated=now, edited=now)
            copy_to_history(model, chunk, user, "~", reason[:100], now)
            touch_shown_on(model, chunk, now)
            cases = model.objects.filter(pk__in=chunk).status_cases()
            if cases is not None:
                cases.refresh_statuses()
        outcome.changed = len(pks)
    return outcome


def save_as(record, user):
    """Save one record as `user`: a publisher's change of visibility goes through, anyone else's is refused."""
    with publishing(user):
        record.save()


def facts_without_citation():
    """Public facts no public citation supports, per kind: the admin's list of what needs a source."""
    kinds = [Event, Affiliation, Relationship, StatisticClaim, Case, Person]
    return [(model, uncited(model.objects.filter(visibility=Visibility.PUBLIC))) for model in kinds]


# Applied first, so that a fact published on the same page as its citation finds it public.
APPLY_FIRST = [Source, Citation]


def apply_requests(requests, user, reason=""):
    """Apply what a `visibility_requests` block noted, as `user`.

    Returns (outcome, withheld): withheld lists the records whose visibility
    stayed as it was because `user` may not publish.
    """
    if not requests:
        return Outcome(), []
    wanted = {}
    for model, pk, visibility in requests:
        wanted.setdefault((model, visibility), []).append(pk)
    if not may_publish(user):
        return Outcome(), [record for (model, _v), pks in wanted.items() for record in model.objects.filter(pk__in=pks)]
    order = sorted(wanted, key=lambda key: key[0] not in APPLY_FIRST)
    total = Outcome()
    for model, visibility in order:
        outcome = model.objects.filter(pk__in=wanted[model, visibility]).set_visibility(visibility, by=user, reason=reason)
        total.changed += outcome.changed
        total.refused += outcome.refused
    return total, []


# Larger selections are published by the background worker, not inside the request.
BACKGROUND_ABOVE = 2000


def queue_visibility_job(queryset, visibility, user):
    """Record a large publish or unpublish and hand it to the worker; returns the job."""
    from . import tasks

    ids = list(queryset.values_list("pk", flat=True))
    job = VisibilityJob.objects.create(
        model=queryset.model._meta.label,
        record_ids=ids,
        total=len(ids),
        visibility=visibility,
        requested_by=user,
    )
    transaction.on_commit(lambda: tasks.change_visibility.enqueue(job.pk))
    return job


def run_visibility_job(job_id):
    """Do a queued job in one transaction: all of it, or (on an error) none of it."""
    job = VisibilityJob.objects.select_related("requested_by").get(pk=job_id)
    if job.state != VisibilityJob.State.QUEUED:
        return
    job.state = VisibilityJob.State.RUNNING
    job.save(update_fields=["state"])
    model = apps.get_model(job.model)
    outcome = Outcome()
    try:
        with transaction.atomic():
            # In slices, so that no query carries more ids than a database takes.
            for ids in chunks(job.record_ids):
                part = model.objects.filter(pk__in=ids).set_visibility(job.visibility, by=job.requested_by)
                outcome.changed += part.changed
                outcome.refused += part.refused
    except Exception as error:
        job.state, job.message = VisibilityJob.State.FAILED, str(error)
        raise
    else:
        job.state, job.changed, job.refused = VisibilityJob.State.DONE, outcome.changed, len(outcome.refused)
        job.message = "; ".join(f"{record}: {reason}" for record, reason in outcome.refused[:20])
    finally:
        job.finished = timezone.now()
        job.save()


# "Publish this case" and "Take down" -----------------------------------------


@dataclass
class PlanRow:
    """One record a reader would see on the case's pages."""

    record: object
    depth: int = 0
    # Why it cannot be published yet, if it cannot.
    blocked: str = ""

    @property
    def key(self):
        return f"{self.record._meta.label_lower}:{self.record.pk}"

    @property
    def kind(self):
        return self.record._meta.verbose_name

    @property
    def choosable(self):
        return not self.record.is_public and not self.blocked


NO_SOURCE = _("No source cites it yet: add a citation first.")


def _needs_source(record, citations):
    if isinstance(record, (Case, Person)) and not any(getattr(record, name) for name in summary_fields(type(record))):
        return ""
    return "" if citations else NO_SOURCE


def case_plan(case):
    """Everything a reader would see of `case`, by section: [(title, [PlanRow])]."""
    with_sources = Citation.objects.select_related("source")
    person = Person.objects.prefetch_related(Prefetch("citations", queryset=with_sources)).get(pk=case.person_id)
    case = Case.objects.prefetch_related(Prefetch("citations", queryset=with_sources)).get(pk=case.pk)
    events = list(
        Event.objects.filter(case=case)
        .chronological()
        .select_related("authority")
        .prefetch_related(Prefetch("citations", queryset=with_sources))
    )
    affiliations = list(
        Affiliation.objects.filter(person=person)
        .select_related("organization")
        .prefetch_related(Prefetch("citations", queryset=with_sources))
    )
    sources, organizations = {}, {}

    def with_citations(record):
        citations = list(record.citations.all())
        rows = [PlanRow(record, blocked=_needs_source(record, citations))]
        for citation in citations:
            rows.append(PlanRow(citation, depth=1))
            sources.setdefault(citation.source_id, citation.source)
        return rows

    people = with_citations(person) + with_citations(case)
    people += [PlanRow(variant) for variant in NameVariant.objects.filter(person=person)]
    event_rows = [row for event in events for row in with_citations(event)]
    affiliation_rows = [row for affiliation in affiliations for row in with_citations(affiliation)]
    for record in [*events, *affiliations]:
        organization = getattr(record, "authority", None) or getattr(record, "organization", None)
        if organization:
            organizations.setdefault(organization.pk, organization)
    return [
        (_("The person and the case"), people),
        (_("Events, each with the citations that support it"), event_rows),
        (_("Affiliations"), affiliation_rows),
        (_("Organizations named"), [PlanRow(organization) for organization in organizations.values()]),
        (_("Sources"), [PlanRow(source) for source in sources.values()]),
    ]


# Published in this order, so that a fact finds its citation, and the citation its source, already public.
PUBLISH_ORDER = [Source, Organization, Citation, Person, Case, NameVariant, Event, Affiliation]


def publish_chosen(plan, keys, user, reason=""):
    """Publish the records of `plan` whose keys were ticked, in one transaction. Returns an `Outcome`."""
    chosen = {}
    for _title, rows in plan:
        for row in rows:
            if row.key in keys and row.choosable:
                chosen.setdefault(type(row.record), []).append(row.record.pk)
    total = Outcome()
    with transaction.atomic():
        for model in PUBLISH_ORDER:
            if model in chosen:
                outcome = model.objects.filter(pk__in=chosen[model]).set_visibility(Visibility.PUBLIC, by=user, reason=reason)
                total.changed += outcome.changed
                total.refused += outcome.refused
    return total


def taken_down_with(record):
    """What goes internal with a case or a person: everything of theirs a reader would see, sources aside."""
    if isinstance(record, Case):
        return [
            Case.objects.filter(pk=record.pk),
            Event.objects.filter(case=record),
            Citation.objects.filter(Q(case=record) | Q(event__case=record)),
        ]
    return [
        Person.objects.filter(pk=record.pk),
        Case.objects.filter(person=record),
        Event.objects.filter(case__person=record),
        NameVariant.objects.filter(person=record),
        Affiliation.objects.filter(person=record),
        Relationship.objects.filter(Q(person=record) | Q(relative=record)),
        Citation.objects.filter(
            Q(person=record)
            | Q(case__person=record)
            | Q(event__case__person=record)
            | Q(affiliation__person=record)
            | Q(relationship__person=record)
            | Q(relationship__relative=record)
        ),
    ]


def take_down(record, user, reason):
    """Make a case or a person internal with everything of theirs, in one step; returns the `TakeDown`."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why it is taken down: the record keeps the reason."), code="reason_required")
    if not may_publish(user):
        raise VisibilityRefused(_("Only a publisher can take a record down."))
    with transaction.atomic():
        count = sum(
            queryset.set_visibility(Visibility.INTERNAL, by=user, reason=_("Taken down: %(reason)s") % {"reason": reason}).changed
            for queryset in taken_down_with(record)
        )
        return TakeDown.objects.create(
            case=record if isinstance(record, Case) else None,
            person=record if isinstance(record, Person) else None,
            record=str(record)[:300],
            reason=reason,
            records=count,
            taken_by=user,
        )
