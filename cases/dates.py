"""Uncertain dates written in EDTF, as sources give them.

A date is kept as the editor wrote it ("2023-01", "2020-03-05/2023-03",
"../2023-03") and turned here into the earliest and latest day it can mean,
for sorting and filtering, and into words a reader would use.
"""

import datetime
import functools
import math
import re
import time

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException
from edtf.parser.parser_classes import (
    Date,
    Interval,
    Level1Interval,
    UncertainOrApproximate,
    Unspecified,
)

EDTF_HELP = gettext_noop(
    "Write the date only as precisely as the source gives it: "
    "2023-01-18 (a day), 2023-01 (a month), 2023 (a year), 2023~ (about 2023), "
    "2023? (2023, but the source is unsure), 2020-03-05/2023-03 (some time between), "
    "../2023-03 (some time before the end of March 2023), 2023-03/.. (some time from March 2023)."
)


def _to_date(value):
    """A bound from the edtf package as a date, or None for an open end."""
    if value is None:
        return None
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, time.struct_time):
        # 'XXXX' (year unknown) reaches year 0 or 9999: that is no bound at all.
        if value.tm_year < 1 or value.tm_year >= 9999:
            return None
        return datetime.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _bound(parsed, method):
    try:
        return _to_date(getattr(parsed, method)())
    except (ValueError, TypeError, AttributeError, OverflowError):
        # edtf raises on the open side of "../2023-03"; an open end has no bound.
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

    Raises ValidationError with a message an editor can act on.
    """
    text = (text or "").strip()
    plain = _plain_bounds(text)
    if plain:
        return plain
    if "/" in text and text.count("/") == 1:
        start, end = (_plain_bounds(part) for part in text.split("/"))
        if start and end and start[0] <= end[1]:
            return start[0], end[1]
    return _parse_edtf(text)


@functools.lru_cache(maxsize=4096)
def _parse_edtf(text):
    if not text:
        raise ValidationError(_("Enter a date. %(help)s") % {"help": _(EDTF_HELP)}, code="edtf_empty")
    try:
        parsed = parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError):
        raise ValidationError(
            _("“%(value)s” is not a date this tracker can read. %(help)s") % {"value": text, "help": _(EDTF_HELP)},
            code="edtf_invalid",
        ) from None
    lower = _bound(parsed, "lower_strict")
    upper = _bound(parsed, "upper_strict")
    if lower and upper and lower > upper:
        raise ValidationError(
            _("“%(value)s” ends before it begins: put the earlier date first.") % {"value": text},
            code="edtf_reversed",
        )
    return lower, upper


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


def _words_for_single(parsed):
    """A single (non-interval) EDTF date in words."""
    qualifier = ""
    if isinstance(parsed, UncertainOrApproximate):
        text = str(parsed)
        if text.endswith("%"):
            qualifier = gettext_noop("about, perhaps")
        elif text.endswith("~"):
            qualifier = gettext_noop("about")
        elif text.endswith("?"):
            qualifier = gettext_noop("perhaps")
        parsed = parsed.date
    if isinstance(parsed, (Date, Unspecified)) or hasattr(parsed, "precision"):
        words = _precise_words(str(parsed))
    else:
        words = str(parsed)
    if qualifier:
        return _("%(qualifier)s %(date)s") % {"qualifier": _(qualifier), "date": words}
    return words


def _precise_words(text):
    """'2023-01-18' -> '18 January 2023'; '2023-01' -> 'January 2023'; '2023' -> '2023'."""
    parts = text.split("-")
    year = parts[0]
    if "X" in year.upper():
        return _("an unknown year") if year.upper() == "XXXX" else _("the %(decade)ss") % {"decade": year.upper().replace("X", "0")}
    if len(parts) == 1 or "X" in parts[1].upper():
        return year
    month_number = int(parts[1])
    if month_number > 12:
        return text  # seasons (21-24) are rare in sources; show them as written
    month = _month_name(month_number)
    if len(parts) == 2 or "X" in parts[2].upper():
        return f"{month} {year}"
    return f"{int(parts[2])} {month} {year}"


def _month_name(number):
    from django.utils.dates import MONTHS

    return str(MONTHS[number])


def humanize(text):
    """An EDTF date as a person would say it, keeping its uncertainty."""
    from django.utils.translation import get_language

    return _humanize((text or "").strip(), get_language())


@functools.lru_cache(maxsize=4096)
def _humanize(text, language):
    # Parsing is slow and a page repeats dates: cache the words per language.
    if not text:
        return _("date unknown")
    try:
        parsed = parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError):
        return text
    if isinstance(parsed, (Interval, Level1Interval)):
        start = "" if str(parsed.lower) in ("", "..", "None") else str(parsed.lower)
        end = "" if str(parsed.upper) in ("", "..", "None") else str(parsed.upper)
        if start and end:
            return _("between %(start)s and %(end)s") % {
                "start": _words_for_single(parse_edtf(start)),
                "end": _words_for_single(parse_edtf(end)),
            }
        if end:
            words = _words_for_single(parse_edtf(end))
            if len(end.rstrip("~?%")) >= len("2023-03-21"):
                return _("on or before %(end)s") % {"end": words}
            return _("before the end of %(end)s") % {"end": words}
        if start:
            return _("from %(start)s on") % {"start": _words_for_single(parse_edtf(start))}
        return _("date unknown")
    return _words_for_single(parsed)


def _day_words(day):
    return f"{day.day} {_month_name(day.month)} {day.year}"


def describe_range(lower, upper):
    """Two computed days (say, when a term ends) in words, as narrow as they allow."""
    if lower is None and upper is None:
        return ""
    if lower == upper:
        return _day_words(lower)
    if lower is None:
        return _("on or before %(end)s") % {"end": _day_words(upper)}
    if upper is None:
        return _("on or after %(start)s") % {"start": _day_words(lower)}
    if (lower.year, lower.month) == (upper.year, upper.month) and lower.day == 1 and add_term(lower, 0, 1) - datetime.timedelta(days=1) == upper:
        return f"{_month_name(lower.month)} {lower.year}"
    return _("between %(start)s and %(end)s") % {"start": _day_words(lower), "end": _day_words(upper)}


def months_between(start, end):
    """Whole calendar months from `start` to `end` (0 when `end` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def _months_words(months):
    years, months = divmod(months, 12)
    parts = []
    if years:
        parts.append(ngettext("%(n)d year", "%(n)d years", years) % {"n": years})
    if months or not years:
        parts.append(ngettext("%(n)d month", "%(n)d months", months) % {"n": months})
    return _(" and ").join(parts)


def describe_duration(lower, upper, today):
    """How long ago something began that began between `lower` and `upper`, in words.

    A known day gives "3 years and 10 months"; an uncertain one only what is
    sure, "at least 3 years and 8 months" (counted from its latest possible day).
    """
    if upper is None:
        return ""
    shortest = months_between(upper, today)
    if lower == upper:
        return _months_words(shortest)
    return _("at least %(duration)s") % {"duration": _months_words(shortest)}
