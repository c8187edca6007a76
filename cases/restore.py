"""Finding deleted records in the history and bringing them back with what was deleted with them."""

import datetime

from django.db import models, transaction
from django.db.models import Exists, OuterRef

from .models import visibility_requests
from .publishing import apply_requests

# Records deleted by one click (a case and its events, an event and its
# citations) are written to the history within moments of each other.
CASCADE_WINDOW = datetime.timedelta(minutes=1)


def tracked_models():
    from . import models as case_models

    return [
        case_models.Case,
        case_models.Person,
        case_models.Source,
        case_models.Organization,
        case_models.Event,
        case_models.Citation,
        case_models.StatisticClaim,
        case_models.Affiliation,
        case_models.Relationship,
        case_models.NameVariant,
    ]


def deleted(model, limit=200):
    """The latest deletion entry of each record of `model` that does not exist now, newest first."""
    still_there = model._default_manager.filter(pk=OuterRef("id"))
    entries = (
        model.history.filter(history_type="-")
        .exclude(Exists(still_there))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    seen, result = set(), []
    for entry in entries[: limit * 2]:
        if entry.id not in seen:
            seen.add(entry.id)
            result.append(entry)
    result = result[:limit]
    # Each entry's record as it was, with the records its name mentions
    # (a case's person, a citation's source) fetched in one query per kind.
    for entry in result:
        entry.record = entry.instance
    relations = [field.name for field in model._meta.concrete_fields if field.is_relation]
    models.prefetch_related_objects([entry.record for entry in result], *relations)
    return result


def _cascading_children(model):
    """(child model, foreign key name) for every tracked model deleted along with `model`."""
    for child in tracked_models():
        for field in child._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model is model
                and field.remote_field.on_delete is models.CASCADE
            ):
                yield child, field.attname


@transaction.atomic
def restore(entry, user):
    """Bring back the record of a deletion entry, and what was deleted with it, as `user`.

    Records come back internal, and public again only if `user` may publish
    (through `set_visibility`, so a fact without a public citation stays
    internal). Returns (how many records, the visibility outcome, the records
    left internal because `user` may not publish).
    """
    with visibility_requests() as requests:
        count = _restore(entry, user)
    return count, *apply_requests(requests, user, reason="restored")


def _restore(entry, user):
    model = entry.instance_type
    instance = entry.instance
    instance._history_user = user
    instance.save(force_insert=True)
    count = 1
    for child, fk_name in _cascading_children(model):
        still_there = child._default_manager.filter(pk=OuterRef("id"))
        siblings = (
            child.history.filter(
                history_type="-",
                history_date__gte=entry.history_date - CASCADE_WINDOW,
                history_date__lte=entry.history_date + CASCADE_WINDOW,
                **{fk_name: entry.id},
            )
            .exclude(Exists(still_there))
            .order_by("history_date")
        )
        restored = set()
        for child_entry in siblings:
            if child_entry.id not in restored:
                restored.add(child_entry.id)
                count += _restore(child_entry, user)
    return count
