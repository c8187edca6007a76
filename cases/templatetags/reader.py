"""Texts editors write, as a reader in the page's language gets them."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from cases import dates

register = template.Library()


class Written:
    """A text in the reader's language, or the English original when it has no translation yet.

    `translated` says that the text shown is an editor's translation of the
    original, `untranslated` that it is the original, in another language
    than the page's.
    """

    def __init__(self, text, lang, untranslated=False, translated=False):
        self.text, self.lang, self.untranslated, self.translated = text, lang, untranslated, translated

    def __str__(self):
        return self.text or ""

    def __bool__(self):
        return bool(self.text)


@register.filter
def written(record, field):
    """`record.<field>` for this page's reader: `.text`, its `.lang`, and whether it is `.untranslated`."""
    language = get_language()
    original_language = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    if language == original_language:
        return Written(getattr(record, field), language)
    own = getattr(record, f"{field}_{language}", None)
    if own:
        return Written(own, language, translated=True)
    original = getattr(record, field)
    return Written(original, original_language, untranslated=bool(original))


@register.filter
def day_in_words(value):
    """A date (or the day of a datetime) in words in the page's language: "18 января 2023"."""
    if not value:
        return ""
    day = value.date() if hasattr(value, "date") else value
    return dates.describe_range(day, day)


@register.filter
def excerpt_translation(citation):
    """An editor's translation of the excerpt into the page's language, or None: never another language's."""
    text = getattr(citation, f"excerpt_translation_{get_language()}", None)
    return Written(text, get_language(), translated=True) if text else None
