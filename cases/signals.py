"""Keep derived values right however a record is saved."""

from .models import Case, Publishable


def fill_derived_fields(sender, instance, **kwargs):
    if isinstance(instance, Publishable):
        instance.fill_derived_fields()


def _refresh_cases(*case_ids):
    for case in Case.objects.filter(pk__in={pk for pk in case_ids if pk}):
        case.refresh_status()


def event_saved(sender, instance, raw=False, **kwargs):
    _refresh_cases(instance.case_id, getattr(instance, "_loaded_case_id", None))
    instance._loaded_case_id = instance.case_id


def event_deleted(sender, instance, **kwargs):
    _refresh_cases(instance.case_id)
