"""Dates as editors type them ("20 May 2024", "12.05.2024", "before March 2023").

The tracker stores EDTF and never converts what an editor typed by itself:
when a date is refused, `suggest` proposes the EDTF it would store and how a
reader would say it, and the editor accepts it with a click or types another.
The reading of month and day names, in English, Russian and other languages
of the sources, is dateparser's; dotted and slashed dates are read day first,
as Europe and the former Soviet Union write them.
"""

import datetime
import re
from dataclasses import dataclass

from dateparser.date import DateDataParser

from . import dates

# Words before or around a date that say how it relates to what happened,
# each with the EDTF it becomes. Lower case; matched at the start of the text.
BEFORE = ("before", "до", "vor", "avant")
BY = ("by", "no later than", "not later than", "не позднее", "spätestens")
AFTER = ("after", "после", "nach", "après")
FROM = ("since", "from", "с", "со", "seit", "depuis")
ABOUT = ("about", "around", "approximately", "circa", "c.", "ca.", "около", "примерно", "ungefähr", "vers")
BETWEEN = re.compile(
    r"^(?:between|from|между|с|со|zwischen|entre)\s+(?P<start>.+?)\s+(?:and|to|until|и|по|до|und|bis|et)\s+(?P<end>.+)$"
    r"|^(?P<start2>.+?)\s*(?:–|—|\s-\s)\s*(?P<end2>.+)$",
    re.IGNORECASE,
)

# EDTF seasons (Level 1): 21 spring, 22 summer, 23 autumn, 24 winter.
SEASONS = {
    "spring": 21, "summer": 22, "autumn": 23, "fall": 23, "winter": 24,
    "весна": 21, "весной": 21, "лето": 22, "летом": 22, "осень": 23, "осенью": 23, "зима": 24, "зимой": 24,
    "frühling": 21, "frühjahr": 21, "sommer": 22, "herbst": 23,
}
SEASON = re.compile(r"^(?:in\s+)?(?P<season>\w+)\s+(?:of\s+)?(?P<year>\d{4})(?:\s*(?:года|г\.?))?$", re.IGNORECASE)

_parser = DateDataParser(
    languages=["en", "ru", "de", "fr", "tr", "uz", "fa"],
    settings={
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        # Only dates written out: "yesterday" or "two days ago" depend on when the source was written.
        "PARSERS": ["custom-formats", "absolute-time"],
        # A date without a year is not completed with this year.
        "REQUIRE_PARTS": ["year"],
    },
)


@dataclass(frozen=True)
class Suggestion:
    edtf: str
    words: str

    def __str__(self):
        return f"{self.edtf}, {self.words}"


def suggest(text):
    """The EDTF the tracker would store for `text` typed as people write dates, or None.

    Only a suggestion the tracker itself accepts is returned, with its reading in words.
    """
    edtf = to_edtf((text or "").strip())
    if not edtf:
        return None
    try:
        dates.parse(edtf)
    except Exception:  # noqa: BLE001 - a suggestion the tracker would refuse is no suggestion
        return None
    return Suggestion(edtf, dates.humanize(edtf))


def to_edtf(text):
    """`text` in EDTF, keeping exactly the precision and uncertainty written, or "" if it cannot tell."""
    text = re.sub(r"\s+", " ", text).strip(" .,;")
    if not text:
        return ""
    lowered = text.lower()
    between = BETWEEN.match(text)
    if between:
        start = single(between.group("start") or between.group("start2"))
        end = single(between.group("end") or between.group("end2"))
        return f"{start}/{end}" if start and end else ""
    for words, shape in ((BEFORE, "before"), (BY, "by"), (AFTER, "after"), (FROM, "from"), (ABOUT, "about")):
        for word in sorted(words, key=len, reverse=True):
            if lowered.startswith(word + " "):
                rest = text[len(word) + 1 :]
                return qualified(shape, rest)
    return single(text)


def qualified(shape, text):
    if shape == "about":
        date = single(text)
        return f"{date}~" if date else ""
    period = read(text)
    if period is None:
        return ""
    day, precision = period
    if shape == "before":
        # "Before March 2023" is by the end of February 2023 at the latest.
        return f"../{edtf_of(step(day, precision, -1), precision)}"
    if shape == "by":
        return f"../{edtf_of(day, precision)}"
    if shape == "after":
        return f"{edtf_of(step(day, precision, +1), precision)}/.."
    return f"{edtf_of(day, precision)}/.."


def single(text):
    season = SEASON.match(text.strip())
    if season and season.group("season").lower() in SEASONS:
        return f"{season.group('year')}-{SEASONS[season.group('season').lower()]}"
    period = read(text)
    return edtf_of(*period) if period else ""


def read(text):
    """(day, precision) for one written date, precision being "day", "month" or "year"; None if unreadable."""
    text = re.sub(r"\s*(?:года|г\.?)$", "", text.strip())
    if re.fullmatch(r"\d{4}", text):
        return datetime.date(int(text), 1, 1), "year"
    data = _parser.get_date_data(text)
    if data.date_obj is None or data.period not in ("day", "month", "year"):
        return None
    return data.date_obj.date(), data.period


def edtf_of(day, precision):
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def step(day, precision, direction):
    """The day, month or year just before (-1) or after (+1) the one `day` stands for."""
    if precision == "year":
        return day.replace(year=day.year + direction, month=1, day=1)
    if precision == "month":
        return dates.add_term(day.replace(day=1), 0, direction) if direction > 0 else (day.replace(day=1) - datetime.timedelta(days=1))
    return day + datetime.timedelta(days=direction)
