"""One search key for a name, however it was spelled or in whichever script.

Stored names and what a reader types are folded the same way, so that
"Abdullokhi", "Abdullohi" and "Абдуллоҳи" meet on one key.
"""

import re
import unicodedata

# Apostrophes and hyphens join the two halves ("Ma'ruf", Uzbek "G'afur",
# "Shovali-zoda") so the joined spelling is found too. Removed before NFKC,
# which would turn "´" into a space and an accent.
_JOINERS = re.compile("['`´‘’ʻʼʹʺ‐‑-]")

# Russian and Tajik Cyrillic (plus a few Uzbek and Kazakh letters) to Latin.
# Each target is already the canonical form of the Latin pairs below, so they
# leave it alone: х ҳ give "h", ҷ "j", й ы ӣ "i", қ "k", ғ "g", ц "ts", щ "sh".
# These run before accents are stripped, or й ё ӣ ӯ would lose their marks
# and ё its "y".
_TO_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "io",
        "ж": "zh", "з": "z", "и": "i", "ӣ": "i", "й": "i", "к": "k", "қ": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ӯ": "u", "ф": "f", "х": "h", "ҳ": "h", "ц": "ts", "ч": "ch", "ҷ": "j", "ш": "sh",
        "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
        "ў": "o", "ү": "u", "ұ": "u", "ө": "o", "ә": "a", "і": "i", "ң": "n", "һ": "h",
        # Accented Latin letters that are digraphs in English spelling:
        # "Šamsiddin" is Shamsiddin, not Samsiddin.
        "š": "sh", "ş": "sh", "č": "ch", "ç": "ch", "ž": "zh",
    }
)

# Accents go after NFKD. This also drops Arabic vowel signs and hamza, so a
# vowelled "عَبْدُ" finds "عبد". Scanning the Basic Multilingual Plane is
# enough for names and costs ~10 ms at import (all of Unicode, ~130 ms).
_MARKS = dict.fromkeys(i for i in range(0x10000) if unicodedata.combining(chr(i)))

_NOT_LETTERS = re.compile(r"[\W_]+")

# Transliteration pairs, in one left-to-right pass so that no rule reads
# another's output and the longest pair wins: "dzh" is taken whole before its
# "zh" could be, "shch" before "sh", and "ch" is matched as itself so its "c"
# does not become "ts"; "sh" needs no guard as no pair starts with its "h".
# "zh" stays apart from "j" because "Azhar" is з+ҳ, not ҷ. "y" becomes "i" in
# the same pass, so "ya"/"yu"/"yo" become "ia"/"iu"/"io", the keys я ю ё give;
# "j" belongs to ҷ (Jamshed), so "ja"/"ju" are not read as я/ю.
_PAIRS = {
    "dzh": "j", "dj": "j", "shch": "sh", "kh": "h", "gh": "g", "x": "h",
    "q": "k", "ch": "ch", "c": "ts", "w": "v", "y": "i",
}
_PAIR_PATTERN = re.compile("|".join(sorted(_PAIRS, key=len, reverse=True)))

# Only at the start of a word: Russian initial Е is written "Ye" (Yevgeny,
# Евгений), but inside a word "ie" is two letters, and dropping its "i" would
# stop "Ali" from finding "Aliev".
_INITIAL_YE = re.compile(r"\bie")

# Doubling is a spelling habit (Abdullo/Abdulo). Only Latin letters are
# collapsed, so Arabic script stays as written ("الله"). Deleting every letter
# followed by its twin is several times faster than a "\1" template.
_DOUBLED = re.compile(r"([a-z])(?=\1)")


def fold(text):
    """The search key of a name: lower case, Latin letters, spelling pairs merged."""
    text = _JOINERS.sub("", text or "")
    text = unicodedata.normalize("NFKC", text).lower()
    # Translate tables cost a dict lookup per character, so names that are
    # plain ASCII (most, once transliterated) skip them.
    if not text.isascii():
        text = text.translate(_TO_LATIN)
        if not text.isascii():
            text = unicodedata.normalize("NFKD", text).translate(_MARKS)
    # Punctuation becomes a space before the pairs, so no pair spans two words.
    text = _NOT_LETTERS.sub(" ", text)
    text = _PAIR_PATTERN.sub(lambda match: _PAIRS[match.group()], text)
    text = _INITIAL_YE.sub("e", text)
    text = _DOUBLED.sub("", text)
    return " ".join(text.split())


def latin(text):
    """The name in Latin letters, spelled as written (no spelling pairs merged): for web addresses."""
    text = unicodedata.normalize("NFKC", _JOINERS.sub("", text or "")).lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_TO_LATIN)).translate(_MARKS)
    return text


def search_terms(query):
    """The folded words of a query; a name matches when it contains each of them."""
    return fold(query).split()
