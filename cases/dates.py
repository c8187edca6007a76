"""Uncertain dates written in EDTF, as sources give them.

A date is kept as the editor wrote it ("2023-01", "2020-03-05/2023-03",
"../2023-03") and turned here into the earliest and latest day it can mean,
for sorting and filtering, and into words a reader would use. This is the
one place dates become words: a form this module cannot say in words is
refused, so no page ever shows EDTF code to a reader.

The forms said in words (and so accepted):
- a day, a month, a year: 2023-01-18, 2023-01, 2023; a season: 2023-21..24;
- the same with ~ (about), ? (unsure) or % (both);
- unspecified digits: 202X (a decade), 2023-XX, 2023-03-XX, XXXX (unknown);
- one of a set [2020,2021] ("2020 or 2021"), all of a set {2020,2021};
- an interval of two of those, either end left empty or open ("..").
Refused: negative or five-digit years, times of day, partly qualified dates
(2004-06~-11) and the rarer Level 2 seasons.
"""

import datetime
import functools
import re

from babel import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _, gettext_noop, ngettext, pgettext
from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException

EDTF_HELP = gettext_noop(
    "Write the date only as precisely as the source gives it: "
    "2023-01-18 (a day), 2023-01 (a month), 2023 (a year), 2023-21 (spring 2023; 22 summer, 23 autumn, 24 winter), "
    "2023~ (about 2023), 2023? (2023, but the source is unsure), "
    "2020-03-05/2023-03 (some time between), ../2023-03 (before: by the end of March 2023 at the latest), "
    "2023-03/.. (after: from March 2023 on), [2020,2021] (2020 or 2021), {2020,2021} (2020 and 2021), "
    "XXXX (the date is unknown)."
)

# One date inside a set or at one end of an interval.
_SINGLE = re.compile(
    r"^(?P<year>\d{4}|\d{3}X|XXXX)"
    r"(?:-(?P<month>\d{2}|XX)(?:-(?P<day>\d{2}|XX))?)?"
    r"(?P<qualifier>[~?%])?$"
)
_SEASONS = {
    21: gettext_noop("spring %(year)s"),
    22: gettext_noop("summer %(year)s"),
    23: gettext_noop("autumn %(year)s"),
    24: gettext_noop("winter %(year)s"),
}
_QUALIFIERS = {
    "~": gettext_noop("about %(date)s"),
    "?": gettext_noop("perhaps %(date)s"),
    "%": gettext_noop("perhaps about %(date)s"),
}
_OPEN = ("", "..")


class Unsayable(ValueError):
    """An EDTF form the tracker does not say in words (and so refuses)."""


def _unreadable(text):
    return ValidationError(
        _("“%(value)s” is not a date this tracker can read. %(help)s") % {"value": text, "help": _(EDTF_HELP)},
        code="edtf_invalid",
    )


def _to_date(value):
    """A bound from the edtf package as a date, or None for an unknown or open one."""
    try:
        year, month, day = value[:3]
    except (TypeError, ValueError):
        return None
    # 'XXXX' (year unknown) reaches year 0 or 9999: that is no bound at all.
    if year < 1 or year >= 9999:
        return None
    return datetime.date(year, month, day)


def _bound(parsed, method):
    try:
        return _to_date(getattr(parsed, method)())
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None


_PLAIN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _plain_bounds(text):
    """Bounds of a plain year, month or day ("2023", "2023-01", "2023-01-18"), or None for anything else.

    The edtf parser takes milliseconds per date; spreadsheets are mostly these
    three forms, which need no parser.
    """
    match = _PLAIN.match(text)
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    if year < 1 or (month is not None and not 1 <= month <= 12):
        return None
    try:
        if day is not None:
            lower = upper = datetime.date(year, month, day)
        elif month is not None:
            lower = datetime.date(year, month, 1)
            upper = add_term(lower, 0, 1) - datetime.timedelta(days=1)
        else:
            lower, upper = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    except ValueError:
        return None
    return lower, upper


def parse(text):
    """Check an EDTF string and return its (lower, upper) bounds as dates.

    An empty or open interval end ("/2023", "../2023", "2020-03-05/") has no
    bound on that side: None, never a day the source does not give. Raises
    ValidationError with a message an editor can act on.
    """
    return _parse((text or "").strip())


# Kept for the dates last seen: an import reads the same few hundred again and again. A refusal is not kept.
@functools.lru_cache(maxsize=4096)
def _parse(text):
    plain = _plain_bounds(text)
    if plain:
        return plain
    if text.count("/") == 1:
        # Intervals of plain dates, either end open or empty, need no parser either.
        start, end = text.split("/")
        lower, upper = (None if part in _OPEN else _plain_bounds(part) for part in (start, end))
        if (lower or upper) and (lower or start in _OPEN) and (upper or end in _OPEN):
            lower, upper = lower and lower[0], upper and upper[1]
            if not (lower and upper and lower > upper):
                return lower, upper
    return _parse_edtf(text)


@functools.lru_cache(maxsize=4096)
def _parse_edtf(text):
    if not text:
        raise ValidationError(_("Enter a date. %(help)s") % {"help": _(EDTF_HELP)}, code="edtf_empty")
    try:
        parsed = parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError):
        raise _unreadable(text) from None
    try:
        _words(text)
    except Unsayable:
        raise ValidationError(
            _("“%(value)s” is a form of date this tracker cannot say in words. %(help)s")
            % {"value": text, "help": _(EDTF_HELP)},
            code="edtf_unsayable",
        ) from None
    except ValueError:  # a day or month that does not exist
        raise _unreadable(text) from None
    if text.count("/") == 1:
        start, end = text.split("/")
        lower = None if start in _OPEN else _single_bounds(start)[0]
        upper = None if end in _OPEN else _single_bounds(end)[1]
    else:
        lower, upper = _bound(parsed, "lower_strict"), _bound(parsed, "upper_strict")
    if lower and upper and lower > upper:
        raise ValidationError(
            _("“%(value)s” ends before it begins: put the earlier date first.") % {"value": text},
            code="edtf_reversed",
        )
    return lower, upper


def _single_bounds(text):
    plain = _plain_bounds(text)
    if plain:
        return plain
    parsed = parse_edtf(text)
    return _bound(parsed, "lower_strict"), _bound(parsed, "upper_strict")


def bounds(text):
    """Bounds of a date already validated; (None, None) for a blank or bad one."""
    try:
        return parse(text)
    except ValidationError:
        return None, None


def add_term(day, years=0, months=0):
    """The day a term of years and months ends, counted from `day`."""
    if day is None:
        return None
    month_index = day.month - 1 + months
    year = day.year + years + month_index // 12
    month = month_index % 12 + 1
    # 29 February plus a year, or the 31st plus a month, lands on the month's last day.
    for last_day in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    return None


# Words ------------------------------------------------------------------------
#
# Month names come from the Unicode CLDR data that Babel ships: the form used
# with a day ("18 января", genitive in Russian) and the form used alone
# ("январь 2023"). How a day, a month and a year are put together (the Tajik
# izofa: "18 январи 2023") is in each language's translation of the patterns
# below. A phrase that governs a case (Russian "до конца марта 2023",
# "около 2023 года") asks for the words "after a preposition".

# CLDR capitalises Tajik month names; Tajik prose writes them in lower case.
_LOWER_CASE_MONTHS = {"tg"}


@functools.lru_cache(maxsize=None)
def _month_names(language, context):
    """{1: "January", …} in `language`: context "format" goes with a day, "stand-alone" stands alone."""
    try:
        locale = Locale.parse(translation.to_locale(language or "en"))
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    names = dict(locale.months[context]["wide"])
    if locale.language in _LOWER_CASE_MONTHS:
        names = {number: name.lower() for number, name in names.items()}
    return names


def _month_name(month, context):
    return _month_names(translation.get_language(), context)[month]


def _year_words(year, after_preposition=False):
    if after_preposition:
        return pgettext("after a preposition", "%(year)s") % {"year": year}
    return str(year)


def _month_words(month, year, after_preposition=False):
    if after_preposition:
        return pgettext("after a preposition", "%(month)s %(year)s") % {"month": _month_name(month, "format"), "year": year}
    return _("%(month)s %(year)s") % {"month": _month_name(month, "stand-alone"), "year": year}


def _day_words(day, with_year=True):
    if not with_year:
        return _("%(day)d %(month)s") % {"day": day.day, "month": _month_name(day.month, "format")}
    return _("%(day)d %(month)s %(year)s") % {"day": day.day, "month": _month_name(day.month, "format"), "year": day.year}


def _between_days(start, end):
    """Two days in words, the year said once when both are in it: "between 18 January and 21 March 2023"."""
    return pgettext("two days", "between %(start)s and %(end)s") % {
        "start": _day_words(start, with_year=start.year != end.year),
        "end": _day_words(end),
    }


def _plain_day(text):
    """The day `text` names when it is a plain day ("2023-01-18"), else None."""
    match = _SINGLE.match(text)
    if not match or match.group("qualifier") or None in match.group("month", "day") or "X" in text:
        return None
    try:
        return datetime.date(*(int(part) for part in match.group("year", "month", "day")))
    except ValueError:
        return None


def _single_words(text, after_preposition=False):
    """One date (not a set or interval) in words; raises Unsayable for a form not said.

    `after_preposition`: the words follow "before the end of", "from", "about"…,
    which in Russian and Tajik take another form of the month or the year.
    """
    match = _SINGLE.match(text)
    if not match:
        raise Unsayable(text)
    year, month, day, qualifier = match.group("year", "month", "day", "qualifier")
    if year == "XXXX":
        if month or day or qualifier:
            raise Unsayable(text)
        return _("an unknown date")
    if "X" in year:
        if month or day:
            raise Unsayable(text)
        words = _("the %(decade)ss") % {"decade": year.replace("X", "0")}
    elif month is None or month == "XX":
        if day not in (None, "XX"):
            raise Unsayable(text)
        words = _year_words(int(year), after_preposition or qualifier in ("~", "%"))
    elif int(month) in _SEASONS:
        if day is not None:
            raise Unsayable(text)
        words = _(_SEASONS[int(month)]) % {"year": int(year)}
    elif not 1 <= int(month) <= 12:
        raise Unsayable(text)
    elif day is None or day == "XX":
        words = _month_words(int(month), int(year), after_preposition or qualifier in ("~", "%"))
    else:
        words = _day_words(datetime.date(int(year), int(month), int(day)))
    if qualifier:
        words = _(_QUALIFIERS[qualifier]) % {"date": words}
    return words


def _list_words(items, conjunction):
    if len(items) == 1:
        return items[0]
    return conjunction % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _words(text):
    """An EDTF string in words, in the active language; raises Unsayable."""
    if text.startswith("[") and text.endswith("]") or text.startswith("{") and text.endswith("}"):
        items = [_single_words(item.strip()) for item in text[1:-1].split(",")]
        if text.startswith("["):
            return _list_words(items, _("%(items)s or %(last)s"))
        return _list_words(items, _("%(items)s and %(last)s"))
    if text.count("/") == 1:
        start, end = text.split("/")
        if start in _OPEN and end in _OPEN:
            return _("date unknown")
        if end in _OPEN:
            words = _single_words(start, after_preposition=True)
            if _SINGLE.match(start).group("day") not in (None, "XX"):
                return _("on or after %(start)s") % {"start": words}
            return _("from %(start)s on") % {"start": words}
        if start in _OPEN:
            words = _single_words(end, after_preposition=True)
            if _SINGLE.match(end).group("day") not in (None, "XX"):
                return _("on or before %(end)s") % {"end": words}
            return _("before the end of %(end)s") % {"end": words}
        if start == end:
            return _single_words(start)
        if _plain_day(start) and _plain_day(end):
            return _between_days(_plain_day(start), _plain_day(end))
        return _("between %(start)s and %(end)s") % {
            "start": _single_words(start, after_preposition=True),
            "end": _single_words(end),
        }
    if text == "XXXX":
        return _("date unknown")
    return _single_words(text)


def humanize(text, language=None):
    """An EDTF date as a person would say it, keeping its uncertainty, in `language` (default: the active one)."""
    language = language or translation.get_language()
    return _humanize((text or "").strip(), language)


@functools.lru_cache(maxsize=4096)
def _humanize(text, language):
    # A page repeats dates: cache the words per language.
    with translation.override(language):
        if not text:
            return _("date unknown")
        try:
            return _words(text)
        except ValueError:
            return text  # stored before the rules: shown as written rather than hidden


def describe_range(lower, upper, language=None):
    """Two computed days (say, when a term ends) in words, as narrow as they allow."""
    with translation.override(language or translation.get_language()):
        if lower is None and upper is None:
            return ""
        if lower == upper:
            return _day_words(lower)
        if lower is None:
            return _("on or before %(end)s") % {"end": _day_words(upper)}
        if upper is None:
            return _("on or after %(start)s") % {"start": _day_words(lower)}
        if (lower.year, lower.month) == (upper.year, upper.month) and lower.day == 1 and add_term(lower, 0, 1) - datetime.timedelta(days=1) == upper:
            return _month_words(lower.month, lower.year)
        return _between_days(lower, upper)


def months_between(start, end):
    """Whole calendar months from `start` to `end` (0 when `end` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def months_words(months):
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(ngettext("%(n)d year", "%(n)d years", years) % {"n": years})
    if months or not years:
        parts.append(ngettext("%(n)d month", "%(n)d months", months) % {"n": months})
    return _(" and ").join(parts)


def describe_duration(lower, upper, until):
    """How long something lasted up to `until` that began between `lower` and `upper`, in words.

    A known day gives "3 years and 10 months"; an uncertain one only what is
    sure, "at least 3 years and 8 months" (counted from its latest possible day);
    less than a sure month gives nothing.
    """
    if upper is None or until is None:
        return ""
    shortest = months_between(upper, until)
    if shortest == 0:
        return ""  # nothing sure to say: not even a whole month
    if lower == upper:
        return months_words(shortest)
    return _("at least %(duration)s") % {"duration": months_words(shortest)}
