"""Search keys for names, however they were spelled and in whichever script.

A name is cut into words and each word is folded to a key: lower case, Latin
letters, the spelling conventions of English, German, French, Russian and
scholarly sources merged, vowels that transliterations swap merged. Stored
names and what a reader types go through the same `word_key`, so "Abdullokhi",
"Abdullochi" and "Абдуллоҳи" meet on one key. Arabic-script words become a
consonant skeleton (short vowels are not written), which is also what a Latin
word is compared with when the other side is in Arabic script.

Every rule below is data: an ordered table of pairs, each with a real
spelling that needs it. `tokens` gives what the name index stores for a name,
`query_words` what a query is matched with.
"""

import functools
import re
import unicodedata

# --- Characters ---------------------------------------------------------------

# Apostrophes and hyphens join the two halves ("Ma'ruf", Uzbek "G'afur",
# "Shovali-zoda") so the joined spelling is found too. Removed before NFKC,
# which would turn "´" into a space and an accent.
_JOINERS = re.compile("['`´‘’ʻʼʹʺ‐‑-]")

# Russian and Tajik Cyrillic (and the Uzbek and Kazakh letters editors meet)
# to Latin, as an English-language source writes it. The Latin rules below
# then merge what other conventions write differently.
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "ц": "ts", "ч": "ch", "ш": "sh", "ъ": "",
    "ь": "", "э": "e", "ы": "y",
    "х": "kh",  # Худоёров: Khudoyorov
    "щ": "shch",  # Щукин: Shchukin
    "й": "y",  # Юсуфбой: Yusufboy
    "ё": "yo",  # Худоёров: Khudoyorov
    "ю": "yu",  # Юсуф: Yusuf
    "я": "ya",  # Ильяс: Ilyas
    "ҳ": "h",  # Абдуллоҳи: Abdullohi (Tajik ҳ, Russian sources write х)
    "ҷ": "j",  # Ҷамшед: Jamshed
    "қ": "q",  # Қодир: Qodir
    "ғ": "gh",  # Ғафуров: Ghafurov
    "ӣ": "i",  # Саидӣ: Saidi
    "ӯ": "u",  # Ҷӯраев: Juraev
    "ў": "u",  # Uzbek Ўктам: Uktam in Russian sources (Уктам)
    "ү": "u", "ұ": "u", "ө": "o", "ә": "a", "і": "i", "ң": "n", "һ": "h",  # Kazakh, Kyrgyz
}

# Accented Latin letters that stand for a digraph.
LATIN_LETTERS = {
    "š": "sh", "ş": "sh",  # Šamsiddin (scholarly), Şamsiddin (Turkish, 1928 Tajik Latin)
    "č": "ch",  # Čoršanbe (ISO 9)
    "ž": "zh",  # Žamšed (ISO 9)
    "ǧ": "gh", "ğ": "gh",  # Ǧafurov (scholarly)
    "ǰ": "j",  # ǰamšed (scholarly ҷ)
    "ḥ": "h", "ḩ": "h", "ẖ": "h",  # Muḥammad (scholarly Arabic), Ḩizbullo
    "ë": "yo",  # Ëdgor: Ёдгор with its dots kept on a Latin E
    "ı": "i",  # Turkish dotless i: Ilyas in a Turkish court paper
    "ß": "ss",
}

_LETTERS = {**LATIN_LETTERS, **CYRILLIC}

# The Tajik Latin alphabet of 1928-40 ("alifboji toçikī"): c is ч, ç is ҷ, j
# is й, ƣ is ғ, ƶ is ж. A word is read this way only when it holds one of
# the letters no other convention uses, so English "Jamshed" keeps its j.
TAJIK_LATIN_MARKERS = set("çƣƶʙ")
TAJIK_LATIN = {
    "c": "ch",  # Caroʙek: Чоробек
    "ç": "j",  # Çamşed: Ҷамшед
    "j": "y",  # Jusuf: Юсуф
    "ƣ": "gh",  # Ƣafur: Ғафур
    "ƶ": "zh",  # Ƶola: Жола
    "ʙ": "b",  # ʙoʙo: Бобо
}

# Accents go after NFKD. This also drops Arabic vowel signs and hamza, so a
# vowelled "عَبْدُ" finds "عبد". The Basic Multilingual Plane is enough for names.
_MARKS = dict.fromkeys(i for i in range(0x10000) if unicodedata.combining(chr(i)))

# --- Latin spelling conventions ----------------------------------------------

# Letter groups, read in one left-to-right pass: the longest group wins and no
# group reads another's output ("dsch" is taken whole before "sch" could be).
# Each value is the key's own spelling, so keys fold to themselves.
DEFAULT_GROUPS = {
    "tsch": "ch",  # German Tschorschanbe: Чоршанбе
    "dsch": "j",  # German Dschamsched: Ҷамшед
    "sch": "sh",  # German Schamsiddin: Шамсиддин
    "shch": "sh",  # Russian Shchukin: Щукин
    "dzh": "j",  # Russian-English Dzhamshed: Джамшед
    "tch": "ch",  # French Tchorchanbe: Чоршанбе
    "dj": "j",  # French Djamchid: Джамшид
    "kh": "h",  # Abdullokhi: Абдуллоҳи (Russian х and Tajik ҳ meet)
    "gh": "g",  # Ghafurov: Ғафуров
    "x": "h",  # Uzbek Latin Xurshid: Хуршид
    "q": "k",  # Qodir: Кодир in Russian sources
    "ch": "ch", "sh": "sh", "zh": "zh",  # kept whole, so their h is not read alone
    "c": "ts",  # Polish and Czech Cоj: Цой
    "w": "v",  # German Turajew: Тураев
    "ou": "u",  # French Youssouf: Юсуф
    "oo": "u",  # English Rasool, Noor (Afghan and Pakistani usage): Расул, Нур
}
# German sources write х as ch, й as j, з as s and ц as z.
GERMAN_GROUPS = {
    **DEFAULT_GROUPS,
    "ch": "h",  # Chisbullo: Ҳизбулло; Abdullochi: Абдуллоҳи
    "j": "y",  # Jusuf: Юсуф; Iljos: Илёс
    "z": "ts",  # Zoj: Цой
}
# French sources write ш as ch and ж as j.
FRENCH_GROUPS = {
    **DEFAULT_GROUPS,
    "ch": "sh",  # Djamchid: Джамшид; Tchorchanbe: Чоршанбе
    "gue": "ge", "gui": "gi",  # Sergueï: Сергей; Evgueni: Евгений
}
# German sources also write з as s where German says s as z: between vowels
# and before a voiced consonant (Schowalisoda: Шовализода; Chisbullo: Ҳизбулло),
# never at the start of a word (Said is not Zaid). A separate reading, since
# most German texts keep the usual "s" of Saidov.
GERMAN_VOICED_S = re.compile(r"(?<=[aeiouylmnr])s(?=[aeiouybdglmnrvw])")  # and Mirsojew: Мирзоев
# (letter groups, a rewrite before them or None)
GERMAN_VOICED_S_GROUPS = {group: value for group, value in GERMAN_GROUPS.items() if group != "z"}
READINGS = [
    (DEFAULT_GROUPS, None),
    (GERMAN_GROUPS, None),
    (GERMAN_VOICED_S_GROUPS, (GERMAN_VOICED_S, "z")),
    (FRENCH_GROUPS, None),
]
_READING_PATTERNS = [
    (re.compile("|".join(sorted(groups, key=len, reverse=True))), groups, before) for groups, before in READINGS
]

# Rules on whole words after the letter groups, in order; (pattern, replacement).
WORD_RULES = [
    # "ye" after a vowel is the Russian е written out: Gadoyev / Gadoev, Turayev / Turaev.
    (r"(?<=[aeiouy])ye", "e"),
    # At the start too: Yevgeniy / Евгений (inside a word "ie" is two letters: Aliev).
    (r"^ye", "e"),
    # y is й or the glide of я ю ё: Ilyos / Ilios, Yusuf / Iusuf, Saidiy / Saidi.
    (r"y", "i"),
    # Tajik o is Persian long a: Qodir / Qadir, Yodgor / Yadgar, Rahmon / Rahman.
    (r"o", "a"),
    # Tajik e is Persian i (majhul): Jamshed / Jamshid, Emomali / Imomali.
    (r"e", "i"),
    # Doubling is a spelling habit: Abdullo / Abdulo, Sharofiddin / Sharofidin.
    (r"([a-z])\1+", r"\1"),
    # Muhammad in its many forms: Mohammad, Mohammed, Mukhammad, Muhamed; Magomed (Caucasus, Russian).
    (r"^(m[au]ham[ai]d|magamid)", "muhamad"),
    # Russian writes the h of Arabic names as г: Ибрагим (Ibrohim), Гусейн (Husein), Гасан (Hasan).
    (r"^ibragim", "ibrahim"),
    (r"^gus(a?in)", r"hus\1"),
    (r"^gasan", "hasan"),
    # Husayn: Hussein / Hossein / Husain / Husayn / Ҳусейн (but not Hasan).
    (r"^h[au]sa?in", "husin"),
    # The -ud-din of ad-Din names: Shamsuddin / Shamsiddin / Shamseddin / Shamsaddin.
    (r"(?<=[a-z]{3})[aiu]din", "idin"),
    # French writes it -ddine: Muhiddine, Charofiddine, Nouriddine.
    (r"(?<=idin)i$", ""),
    # Allah at the end, with or without final h and the izafa i:
    # Abdullah / Abdullo / Abdulloh / Abdallah, Hizbullah / Hizbullo, Abdullohi / Abdullokhi.
    (r"(?<=[a-z]{3})[au]lah?(i?)$", r"ula\1"),
    # "Born of": Shovalizoda / Shovalizade / Shovalizoda / Rahmonzod / Tursunzadeh.
    (r"(?<=[a-z]{3})zad(a|i|ih|ah)?$", "zada"),
]
_WORD_RULES = [(re.compile(pattern), replacement) for pattern, replacement in WORD_RULES]

# Surname endings, as keys: Sadriddinov, Rakhmonova, Gadoeva, Aliyevich, Karimovna.
# A query word with one of them also finds the bare name (Sadriddinov finds
# Sadriddin) and the name with any other of them (Gadoeva finds Gadoev).
ENDINGS = ["avich", "ivich", "avna", "ivna", "ava", "iva", "av", "iv"]
SURNAME_ENDINGS = ["av", "iv", "ava", "iva"]
MIN_STEM = 3

# --- Arabic script ------------------------------------------------------------

# Letter forms that differ between Arabic and Persian keyboards or typing
# habits, folded to the Persian form.
ARABIC_FORMS = {
    "ي": "ی",  # Arabic yeh: "علي حيدري" typed on an Arabic keyboard is "علی حیدری"
    "ى": "ی",  # alef maksura: "گلستانى" is "گلستانی"
    "ك": "ک",  # Arabic kaf: "كريم" is "کریم"
    "ة": "ه",  # ta marbuta: "فاطمة" is "فاطمه"
    "ۀ": "ه",  # heh with the izafa mark: "زادۀ"
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",  # alef with hamza or madda: "أحمد", "آدینه"
    "ؤ": "و",  # "مؤمن"
    "ئ": "ی",  # "رئیس"
    "ـ": "",  # tatweel, a stretched joint: "محـمد"
    "\u200d": "",  # zero-width joiner
}
# Short vowels are not written, so an Arabic-script word is compared as a
# consonant skeleton. Long vowels (ا و ی), ع and a final ه are left out, as
# Latin vowels are; at the start of a word they read as "a" (a vowel start).
ARABIC_CONSONANTS = {
    "ب": "b", "پ": "p", "ت": "t", "ث": "s", "ج": "j", "چ": "ch", "ح": "h", "خ": "h",
    "د": "d", "ذ": "z", "ر": "r", "ز": "z", "ژ": "zh", "س": "s", "ش": "sh", "ص": "s",
    "ض": "z", "ط": "t", "ظ": "z", "غ": "g", "ف": "f", "ق": "k", "ک": "k", "گ": "g",
    "ل": "l", "م": "m", "ن": "n", "ه": "h",
}
ARABIC_VOWEL_LETTERS = set("اوىیع")
# The article al- joined to the word before: "شمس الدین" and "شمس‌الدین"
# (with a zero-width non-joiner) are Shamsiddin, one Latin word. Before a
# "sun" letter its l is not said: Shamsiddin, Abdurrahmon.
_ARABIC_ARTICLE = re.compile("[\\s\u200c]+ال(?=\\S)")
# Written as one word too: "عبدالرحمن" (Abdurrahmon), "نورالدین" (Nuriddin).
_ARABIC_ABD_ARTICLE = re.compile("عبدال|(?<=\\S)ال(?=دین)")
_SUN_LETTERS = set("تثدذرزسشصضطظلن")
_ARABIC = re.compile("[\u0600-\u06ff]")

_NOT_LETTERS = re.compile(r"[^\w]+|_")
_VOWELS = set("aeiou")

# Bounds on a query (issue 13): words beyond these are dropped, so a query
# never costs more than a fixed number of index lookups.
MAX_QUERY_CHARS = 120
MAX_QUERY_WORDS = 6
MAX_TOKEN_LENGTH = 100


# Uzbek Latin writes ў as o' and ғ as g' (Oʻlugʻbek, Gʻafur); Russian sources
# write ў as у (Улугбек, Jo'raev / Джураев), so o' is read as u.
UZBEK_APOSTROPHES = [("o", "u"), ("g", "gh")]
_UZBEK = re.compile("([og])['`´‘’ʻʼ]")


def _normalize(text):
    text = _UZBEK.sub(lambda match: dict(UZBEK_APOSTROPHES)[match.group(1)], (text or "").lower())
    text = _JOINERS.sub("", text)
    return unicodedata.normalize("NFKC", text).lower()


def _join_arabic_article(text):
    def join(match):
        following = text[match.end()] if match.end() < len(text) else ""
        return "ا" if following in _SUN_LETTERS else "ال"

    text = _ARABIC_ARTICLE.sub(join, text)

    def abd(match):
        following = text[match.end()] if match.end() < len(text) else ""
        return match.group()[:-1] if following in _SUN_LETTERS else match.group()

    return _ARABIC_ABD_ARTICLE.sub(abd, text)


@functools.lru_cache(maxsize=4096)
def _split(text):
    """The words of a name, Arabic-script text with its letter forms folded and al- joined.

    A tuple, kept for the names last seen: an import folds each name for its
    search key and then again for the name index.
    """
    text = _normalize(text)
    if _ARABIC.search(text):
        text = "".join(ARABIC_FORMS.get(char, char) for char in text)
        text = _join_arabic_article(text).replace("\u200c", "")
        text = unicodedata.normalize("NFKD", text).translate(_MARKS)
    return tuple(word for word in _NOT_LETTERS.split(text) if word)


def _latin_letters(word):
    word = word.lower()
    if TAJIK_LATIN_MARKERS & set(word):
        word = "".join(TAJIK_LATIN.get(char, char) for char in word)
    word = "".join(_LETTERS.get(char, char) for char in word)
    word = unicodedata.normalize("NFKD", word).translate(_MARKS)
    return "".join(char for char in word if "a" <= char <= "z")


def _apply_rules(word, reading=0):
    pattern, groups, before = _READING_PATTERNS[reading]
    if before:
        word = before[0].sub(before[1], word)
    word = pattern.sub(lambda match: groups[match.group()], word)
    for rule, replacement in _WORD_RULES:
        word = rule.sub(replacement, word)
    return word


def is_arabic(word):
    return bool(_ARABIC.search(word))


def arabic_skeleton(word):
    """The consonants of an Arabic-script word, in the letters a folded Latin key uses."""
    letters = []
    for index, char in enumerate(word):
        if char in ARABIC_VOWEL_LETTERS:
            if index == 0:
                letters.append("v" if char == "و" else "a")
        elif char == "ه" and index == len(word) - 1 and index > 0:
            continue  # final h is a vowel: "زاده" zoda, "عبدالله" Abdullo
        else:
            letters.append(ARABIC_CONSONANTS.get(char, ""))
    return _collapse("".join(letters))


def latin_skeleton(key):
    """A folded Latin key as Arabic script would write it: no vowels, no medial v, a vowel start as "a"."""
    if not key:
        return ""
    start = "a" if key[0] in _VOWELS else key[0]
    rest = "".join(char for char in key[1:] if char not in _VOWELS and char != "v")
    return _collapse(start + rest)


def _collapse(text):
    return re.sub(r"(.)\1+", r"\1", text)


@functools.lru_cache(maxsize=65536)
def word_key(word, reading=0):
    """The key of one word of a name (Latin, Cyrillic or Arabic script).

    Kept for the words last seen: names repeat (an import of 100,000 rows has
    a few thousand different words), and each key takes dozens of rules.
    """
    if is_arabic(word):
        return arabic_skeleton(word)
    letters = _latin_letters(word)
    # A word of no letters (a number) leaves the rules nothing to work on.
    return _apply_rules(letters, reading) if letters else ""


def word_keys(word):
    """Every reading of a typed word: as an English, German or French source would spell it."""
    if is_arabic(word):
        return [arabic_skeleton(word)]
    letters = _latin_letters(word)
    keys = []
    for reading in range(len(READINGS)):
        key = _apply_rules(letters, reading)
        if key and key not in keys:
            keys.append(key)
    return keys


def fold(text):
    """The search key of a whole name: its words' keys, space-separated."""
    return " ".join(key for key in (word_key(word) for word in _split(text)) if key)


def whole_name_key(keys):
    """One key for a whole name whatever the order of its words ("Shamsiddin Abdullokhi")."""
    return "=" + " ".join(sorted(keys))[: MAX_TOKEN_LENGTH - 1]


def tokens(name):
    """What the name index stores for one spelling of a name.

    Each word's key (matched by prefix); for Latin and Cyrillic words also
    their consonant skeleton marked "%" (found by Arabic-script queries); for
    Arabic-script words their skeleton marked "#" (found by any query); and
    the whole name's key marked "=", for ranking exact hits first.
    """
    result, keys = [], []
    for word in _split(name):
        key, found = _word_tokens(word)
        if not key:
            continue
        keys.append(key)
        result += found
    if keys:
        result.append(whole_name_key(keys))
    return list(dict.fromkeys(result))


def is_word(token):
    """True for a token that is a word's key, False for a marked one (a skeleton, "%" or "#", or a whole name, "=")."""
    return not token.startswith(("=", "%", "#"))


@functools.lru_cache(maxsize=65536)
def _word_tokens(word):
    """(key, the tokens it gives) for one word of a name: see `tokens`."""
    key = word_key(word)[:MAX_TOKEN_LENGTH]
    if not key:
        return key, ()
    if is_arabic(word):
        return key, ("#" + key,)
    skeleton = latin_skeleton(key)
    return key, ((key, "%" + skeleton) if len(skeleton) >= 2 else (key,))


class QueryWord:
    """One typed word and the index tokens it matches."""

    def __init__(self, word):
        self.word = word
        self.arabic = is_arabic(word)
        self.keys = word_keys(word)
        self.key = self.keys[0] if self.keys else ""

    @property
    def prefixes(self):
        """Tokens that start with one of these match (word start)."""
        if self.arabic:
            return ["#" + self.key] if len(self.key) >= 3 else []
        return self.keys

    @property
    def exact(self):
        """Tokens equal to one of these match: the same word with another surname ending, or in another script."""
        found = []
        for key in self.keys:
            stem = surname_stem(key)
            if stem:
                found += [stem] + [stem + ending for ending in SURNAME_ENDINGS]
            skeleton = key if self.arabic else latin_skeleton(key)
            if len(skeleton) >= 2:
                found.append("#" + skeleton)
                if self.arabic:
                    found.append("%" + skeleton)
        return list(dict.fromkeys(found))

    @property
    def whole_words(self):
        """Tokens that are this word exactly, in one of its readings: a whole-word hit, ranked first."""
        return ["#" + self.key] if self.arabic else self.keys


def surname_stem(key):
    """The name without its surname ending: "sadridinav" gives "sadridin"; None without one."""
    for ending in ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= MIN_STEM:
            return key[: -len(ending)]
    return None


def query_words(query):
    """The words of a query, bounded: cut to MAX_QUERY_CHARS, repeats merged, at most MAX_QUERY_WORDS."""
    words, seen = [], set()
    for word in _split((query or "")[:MAX_QUERY_CHARS]):
        parsed = QueryWord(word)
        if parsed.key and parsed.key not in seen:
            seen.add(parsed.key)
            words.append(parsed)
        if len(words) == MAX_QUERY_WORDS:
            break
    return words


def matches(query, *spellings):
    """Whether `query` finds a person with these spellings, by the rule the name index applies (no near misses)."""
    stored = {token for spelling in spellings for token in tokens(spelling)}
    words = query_words(query)
    return bool(words) and all(
        any(token in stored for token in word.exact) or any(token.startswith(prefix) for token in stored for prefix in word.prefixes)
        for word in words
    )


def search_terms(query):
    """The folded keys of a query's words, bounded as `query_words` bounds them."""
    return [word.key for word in query_words(query)]


def latin(text):
    """The name in Latin letters, spelled as written (no spelling pairs merged): for web addresses."""
    text = unicodedata.normalize("NFKC", _JOINERS.sub("", text or "")).lower()
    if not text.isascii():
        text = "".join(_LETTERS.get(char, char) for char in text)
        text = unicodedata.normalize("NFKD", text).translate(_MARKS)
    return text
