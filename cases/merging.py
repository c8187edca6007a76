"""Finding people entered twice, and making them one (and back again).

Imports bring the same person in twice under slightly different spellings.
`possible_duplicates` finds pairs whose folded names nearly match and whose
birth years do not disagree; `merge` moves everything of one onto the other,
in history, and keeps what it did in a PersonMerge so that `undo` can put it
back.
"""

from collections import defaultdict

from django.core import serializers
from django.db import transaction
from django.utils import timezone
from rapidfuzz import fuzz, process

from .importing import detect_script, people_written
from .models import Affiliation, Case, Citation, ImportedRow, NameVariant, Person, PersonMerge, Relationship, visibility_requests

# Records that belong to a person through a foreign key, moved on a merge: model, field.
MOVED = [
    (Case, "person"),
    (NameVariant, "person"),
    (Citation, "person"),
    (Affiliation, "person"),
    (Relationship, "person"),
    (Relationship, "relative"),
]
FILLED_FIELDS = ("birth_date", "gender", "citizenship", "summary", "external_id")
LARGEST_BLOCK = 400


def possible_duplicates(threshold=88, limit=200):
    """Pairs (score, a, b) of people whose folded names match or nearly match and whose birth years agree where known.

    People are compared only with those who share a word of their folded
    name (so a 100,000-person table is not compared pair by pair), with
    rapidfuzz's token-sort ratio: word order and small spelling differences
    do not matter.
    """
    people = list(Person.objects.values_list("pk", "search_key", "birth_date_lower", "birth_date_upper"))
    blocks = defaultdict(list)
    for index, (_, key, _, _) in enumerate(people):
        for word in set(key.split()):
            if len(word) >= 3:
                blocks[word].append(index)
    pairs = {}
    for members in blocks.values():
        if len(members) < 2 or len(members) > LARGEST_BLOCK:
            continue
        keys = [people[i][1] for i in members]
        for a, key in enumerate(keys):
            later = keys[a + 1 :]
            for _, score, offset in process.extract(key, later, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None):
                first, second = people[members[a]], people[members[a + 1 + offset]]
                if _years_agree(first, second):
                    pair = tuple(sorted((first[0], second[0])))
                    pairs[pair] = max(pairs.get(pair, 0), score)
    best = sorted(pairs.items(), key=lambda item: -item[1])[:limit]
    found = Person.objects.in_bulk({pk for pair, _ in best for pk in pair})
    return [(round(score), found[a], found[b]) for (a, b), score in best]


def _years_agree(first, second):
    """Birth dates overlap within a year, or one of them is not known."""
    if not (first[2] or first[3]) or not (second[2] or second[3]):
        return True
    low_a, high_a = (first[2] or first[3]).year, (first[3] or first[2]).year
    low_b, high_b = (second[2] or second[3]).year, (second[3] or second[2]).year
    return low_a - 1 <= high_b and low_b - 1 <= high_a


@transaction.atomic
def merge(kept, other, user=None):
    """Move `other`'s cases, spellings, citations, affiliations and relationships onto `kept`, then delete `other`."""
    if kept.pk == other.pk:
        raise ValueError("A person cannot be merged with themselves.")
    moved = {}
    names = {name.casefold() for name in kept.name_variants.values_list("name", flat=True)} | {kept.name.casefold()}
    dropped = []
    for model, field in MOVED:
        for record in model.objects.filter(**{field: other}):
            if model is NameVariant and record.name.casefold() in names:
                # The kept person has this spelling already: keep a copy to bring back on undo.
                dropped.append(serializers.serialize("json", [record]))
                record._history_user = user
                record.delete()
                continue
            if model is Relationship and getattr(record, "relative_id" if field == "person" else "person_id") == kept.pk:
                dropped.append(serializers.serialize("json", [record]))
                record._history_user = user
                record.delete()
                continue
            setattr(record, field, kept)
            record._history_user = user
            record.save()
            moved.setdefault(f"{model.__name__}.{field}", []).append(record.pk)
            if model is NameVariant:
                names.add(record.name.casefold())
    rows = list(ImportedRow.objects.filter(person=other).values_list("pk", flat=True))
    ImportedRow.objects.filter(pk__in=rows).update(person=kept)
    moved["ImportedRow.person"] = rows
    merged = PersonMerge(
        kept=kept,
        merged_name=other.name,
        merged_fields={"person": serializers.serialize("json", [other]), "dropped": dropped,
                       "kept_before": {name: str(getattr(kept, name) or "") for name in FILLED_FIELDS}},
        moved=moved,
        user=user,
    )
    other_values = {name: getattr(other, name) for name in FILLED_FIELDS}
    other._history_user = user
    other.delete()
    if other.name.casefold() not in names:
        variant = NameVariant(person=kept, name=other.name, script=detect_script(other.name), note=f"merged from {other.slug}"[:200])
        variant._history_user = user
        variant.save()
        merged.added_variant = variant.pk
    changed = {name: value for name, value in other_values.items() if value and not getattr(kept, name)}
    for name, value in changed.items():
        setattr(kept, name, value)
    if changed:
        kept._history_user = user
        kept.save()
    merged.save()
    people_written({kept.pk})
    return merged


@transaction.atomic
def undo(merged, user=None):
    """Bring the merged person back with everything that was moved from them.

    What comes back public is public again only if `user` may publish;
    otherwise it comes back internal (see `publishing.apply_requests`).
    """
    from .publishing import apply_requests

    with visibility_requests() as requests:
        person = _undo(merged, user)
    apply_requests(requests, user, reason="merge undone")
    person.refresh_from_db()
    return person


def _undo(merged, user):
    if merged.undone:
        raise ValueError("This merge has been undone already.")
    kept = merged.kept
    if merged.added_variant:
        for variant in NameVariant.objects.filter(pk=merged.added_variant):
            variant._history_user = user
            variant.delete()
    for name, value in merged.merged_fields["kept_before"].items():
        setattr(kept, name, value)
    kept._history_user = user
    kept.save()
    person = next(serializers.deserialize("json", merged.merged_fields["person"])).object
    person._history_user = user
    person.save(force_insert=True)
    models = {model.__name__: model for model, _ in MOVED}
    for key, pks in merged.moved.items():
        model_name, field = key.split(".")
        if model_name == "ImportedRow":
            ImportedRow.objects.filter(pk__in=pks).update(person=person)
            continue
        for record in models[model_name].objects.filter(pk__in=pks):
            setattr(record, field, person)
            record._history_user = user
            record.save()
    for text in merged.merged_fields["dropped"]:
        record = next(serializers.deserialize("json", text)).object
        record._history_user = user
        record.save(force_insert=True)
    merged.undone = timezone.now()
    merged.save(update_fields=["undone"])
    people_written({kept.pk, person.pk})
    return person
