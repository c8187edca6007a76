"""One search key for a name, however it was spelled or in whichever script.

Stored names and what a reader types are folded the same way, so that
"Abdullokhi", "Abdullohi" and "Абдуллоҳи" meet on one key.
"""

import re
import unicodedata

# Russian and Tajik Cyrillic (plus a few Uzbek and Kazakh letters) to Latin.
# Targets are already the canonical forms of the rules below: х and ҳ give
# "h" (kh/h/x), ҷ gives "j" (dzh/j), й ы ӣ give "i" (y/i), қ gives "k" (q/k).
_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "io",
        "ж": "zh", "з": "z", "и": "i", "ӣ": "i", "й": "i", "к": "k", "қ": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ӯ": "u", "ф": "f", "х": "h", "ҳ": "h", "ц": "ts", "ч": "ch", "ҷ": "j", "ш": "sh",
        "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
        "ү": "u", "ұ": "u", "ө": "o", "ә": "a", "і": "i", "ң": "n", "һ": "h", "ҝ": "k",
    }
)

# Scholarly Latin letters whose accent changes the sound: "Šamsiddin" is Shamsiddin.
_LATIN = str.maketrans({"š": "sh", "č": "ch", "ž": "zh", "ǰ": "j", "ḫ": "h", "ẖ": "h"})

# Apostrophes inside a name ("Ma'ruf", "Ғ" written as "G'") join, not split.
_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bb\u02bc\u0060\u00b4]")
_NOT_LETTERS = re.compile(r"[\W_]+")

# Latin spelling pairs, in an order that matters: "dzh" before "zh" is
# touched, "shch" before "sh", and "y" -> "i" before "ie" -> "e" so that
# "Yevgeny" and "Евгений" meet.
_PAIRS = [
    ("dzh", "j"),
    ("dj", "j"),
    ("shch", "sh"),
    ("kh", "h"),
    ("gh", "g"),
    ("q", "k"),
    ("x", "h"),
    ("w", "v"),
    ("y", "i"),
    ("ie", "e"),
]
_PAIR_PATTERN = re.compile("|".join(re.escape(old) for old, _new in _PAIRS[:-2]))
_PAIR_MAP = dict(_PAIRS[:-2])
_DOUBLED = re.compile(r"(\w)\1+")


def _strip_marks(text):
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(text):
    """The search key of a name: lower case, Latin letters, spelling pairs merged."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = text.translate(_CYRILLIC).translate(_LATIN)
    text = _strip_marks(text)
    text = _APOSTROPHES.sub("", text)
    text = _NOT_LETTERS.sub(" ", text)
    text = _PAIR_PATTERN.sub(lambda match: _PAIR_MAP[match.group(0)], text)
    text = text.replace("y", "i").replace("ie", "e")
    text = _DOUBLED.sub(r"\1", text)
    return " ".join(text.split())


def search_terms(query):
    """The folded words of a query; a name matches when it contains each of them."""
    return fold(query).split()
