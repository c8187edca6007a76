"""Keep derived values right however a record is saved."""

import threading
from contextlib import contextmanager

from .models import Case, Event, NameSearch, Person, Publishable, rebuild_name_tokens

_deferred = threading.local()


@contextmanager
def deferred_status_refresh():
    """Refresh each touched case's status once at the end, not after every event (bulk imports)."""
    _deferred.case_ids = set()
    try:
        yield
        case_ids = _deferred.case_ids
    finally:
        del _deferred.case_ids
    _refresh_cases(*case_ids)


def set_trigram_threshold(sender, connection, **kwargs):
    """On PostgreSQL, make the trigram index answer `%` at the near-miss similarity rather than pg_trgm's 0.3.

    The index then hands over only the close tokens: a near miss read and
    rechecked 12,000 tokens to keep 200 (43 ms at 100,000 cases; 16 ms
    now). A setting of the session, so it is made on every new connection.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(NameSearch.NEAR_MISS_SIMILARITY)])


def fill_derived_fields(sender, instance, **kwargs):
    if isinstance(instance, Publishable):
        instance.fill_derived_fields()


def _refresh_cases(*case_ids):
    if hasattr(_deferred, "case_ids"):
        _deferred.case_ids.update(pk for pk in case_ids if pk)
        return
    for case in Case.objects.filter(pk__in={pk for pk in case_ids if pk}):
        case.refresh_status()


def record_saved(sender, instance, raw=False, **kwargs):
    """A change readers can see moves the public time of the pages that show the record."""
    if raw or not isinstance(instance, Publishable):
        return
    from .publishing import touch_shown_on

    if getattr(instance, "shown_change", False):
        touch_shown_on(type(instance), [instance.pk], instance.updated)
    if getattr(instance, "visibility_changed", False) and not hasattr(_deferred, "case_ids"):
        # A source or citation published or taken down can start or stop supporting a status.
        cases = type(instance).objects.filter(pk=instance.pk).status_cases()
        if cases is not None:
            cases.refresh_statuses()


def record_deleted(sender, instance, **kwargs):
    if isinstance(instance, Publishable) and instance.is_public:
        from .publishing import touch_shown_on

        touch_shown_on(type(instance), [instance.pk])


def event_saved(sender, instance, raw=False, **kwargs):
    _refresh_cases(instance.case_id, getattr(instance, "_loaded_case_id", None))
    instance._loaded_case_id = instance.case_id


def event_deleted(sender, instance, **kwargs):
    _refresh_cases(instance.case_id)


def citation_changed(sender, instance, raw=False, **kwargs):
    # A status is as current as the sources its event cites.
    if instance.event_id:
        _refresh_cases(*Event.objects.filter(pk=instance.event_id).values_list("case_id", flat=True))


def source_saved(sender, instance, raw=False, **kwargs):
    # A new publication date or visibility changes how current the statuses it supports are.
    _refresh_cases(*Case.objects.filter(status_event__citations__source=instance).values_list("pk", flat=True))


def person_saved(sender, instance, raw=False, **kwargs):
    # The list sorts cases by a copy of their person's name.
    if isinstance(instance, Person):
        Case.objects.filter(person_id=instance.pk).exclude(sort_name=instance.name).update(sort_name=instance.name)


def name_saved(sender, instance, **kwargs):
    """Keep the name index right: a person's or a spelling's name or visibility may have changed."""
    if isinstance(instance, Person):
        rebuild_name_tokens([instance.pk])
        return
    rebuild_name_tokens([instance.person_id, getattr(instance, "_loaded_person_id", None)])
    instance._loaded_person_id = instance.person_id
