"""Texts editors may write in each language (django-modeltranslation).

Each field below gets `_en`, `_ru` and `_tg` columns. English is the
original: exports, the API and the importer read and write it, at the
site's root addresses. A reader in Russian or Tajik sees their language's
version, or the English one marked as not yet translated. Excerpts are not
here: a source's words are never translated in place; an editor's
translation of them is a field of its own, shown as a translation.
"""

from django.utils.module_loading import import_string
from modeltranslation.translator import TranslationOptions, register, translator

from .models import Case, Citation, Event, Organization, StatisticClaim


@register(Case)
class CaseTranslation(TranslationOptions):
    fields = ("title", "summary")


@register(Event)
class EventTranslation(TranslationOptions):
    fields = ("description",)


@register(StatisticClaim)
class StatisticClaimTranslation(TranslationOptions):
    fields = ("statement",)


@register(Citation)
class CitationTranslation(TranslationOptions):
    # The excerpt stays as the source wrote it; an editor may add its translation into each language.
    fields = ("excerpt_translation",)


@register(Organization)
class OrganizationTranslation(TranslationOptions):
    fields = ("name", "description")


def keep_translations_in_history(model):
    """Give the model's history table the per-language columns too.

    django-simple-history builds the history model when the model class is
    made, before modeltranslation adds the `_en`, `_ru`, `_tg` fields; without
    this, saving a record would hand the history model fields it lacks, and
    reverting would lose the translations.
    """
    history_model = model.history.model
    translated = translator.get_options_for_model(model).all_fields
    for localized_fields in translated.values():
        for field in sorted(localized_fields, key=lambda field: field.name):
            if any(existing.name == field.name for existing in history_model._meta.fields):
                continue
            name, path, args, kwargs = field.deconstruct()
            history_model.add_to_class(field.name, import_string(path)(*args, **kwargs))


for _model in (Case, Citation, Event, Organization, StatisticClaim):
    keep_translations_in_history(_model)
