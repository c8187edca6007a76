"""Publishing and unpublishing: the one place visibility changes in bulk.

Every path that changes what readers see ends here or in `Publishable.save()`
inside `publishing(user)`: the admin's forms and actions, the "Publish this
case" and "Take down" screens, the background task, the shell. A change is
one transaction with the statuses it moves, its history entries (who and
why) and the public `updated` times of the pages it touches.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    CITATION_TARGETS,
    Affiliation,
    Case,
    Citation,
    Event,
    NameVariant,
    Person,
    Relationship,
    Source,
    StatisticClaim,
    Visibility,
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
        return queryset.exclude(summary="").exclude(publicly_cited(model))
    return queryset.none()


def refusals(queryset):
    reason = _("No public citation supports it: publish a citation from a public source for it first.")
    if queryset.model in (Case, Person):
        reason = _("Its summary cites no source: publish a citation from a public source for it first.")
    return [(record, reason) for record in uncited(queryset)]


def affected_cases(model, pks):
    """Cases whose public status may move when these records are published or taken down."""
    if model is Event:
        return Case.objects.filter(Exists(Event.objects.filter(case=OuterRef("pk"), pk__in=pks)))
    if model is Citation:
        return Case.objects.filter(Exists(Event.objects.filter(case=OuterRef("pk"), citations__pk__in=pks)))
    if model is Source:
        return Case.objects.filter(Exists(Event.objects.filter(case=OuterRef("pk"), citations__source__in=pks)))
    return Case.objects.none()


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
            model.history.bulk_history_create(
                model.objects.filter(pk__in=chunk),
                update=True,
                default_user=user,
                default_change_reason=reason[:100],
                default_date=now,
            )
            touch_shown_on(model, chunk, now)
            affected_cases(model, chunk).refresh_statuses()
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
    if not may_publish(user):
        return Outcome(), [model.objects.get(pk=pk) for model, pk, _visibility in requests]
    wanted = {}
    for model, pk, visibility in requests:
        wanted.setdefault((model, visibility), []).append(pk)
    order = sorted(wanted, key=lambda key: key[0] not in APPLY_FIRST)
    total = Outcome()
    for model, visibility in order:
        outcome = model.objects.filter(pk__in=wanted[model, visibility]).set_visibility(visibility, by=user, reason=reason)
        total.changed += outcome.changed
        total.refused += outcome.refused
    return total, []
