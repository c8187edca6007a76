"""“Start from a source”: read a statement or news item and propose what to record.

Nothing here saves anything. `propose(text)` returns proposals (people named,
dates with their sentences, events from phrases such as “deported from
Germany to Tajikistan”), each carrying the exact sentence it comes from as its
excerpt; the editor accepts, corrects or drops each one in the admin.

Which phrases mean which event is data: the RULES table below, one row a
phrase, with the kind of event and the status it usually puts the case in.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Count
from django_countries import countries

from . import date_input
from .models import EventKind, Person, SentenceKind, Status

# Phrase → what happened. Every row is a pattern a real statement or news item
# uses; several rows may match one sentence (“under torture … was sentenced”
# gives a torture report and a sentence).
RULES = [
    # "was deported on March 5, 2020 from Austria to Tajikistan" (NAT statement)
    (r"\bdeport(?:ed|ation of)\b|\bдепортирова", EventKind.DEPORTATION, Status.DEPORTED),
    # "extradited to Tajikistan"; "handed over to Tajikistan" (news reports of returns from Turkey and Russia)
    (r"\bextradit(?:ed|ion of)\b|\bhanded (?:him |her |them )?over to\b|\bэкстрадирова|\bвыдан[аы]?\b", EventKind.EXTRADITION, Status.DEPORTED),
    # "denied political asylum", "his asylum claim was rejected"
    (r"\b(?:denied|refused|rejected)\b.*?\basylum\b|\basylum\b.*?\b(?:denied|refused|rejected)\b|\bв убежище отказ", EventKind.ASYLUM_REFUSED, Status.AT_RISK),
    (r"\bdeportation order\b|\bordered (?:to be )?deported\b", EventKind.DEPORTATION_ORDER, Status.AT_RISK),
    (r"\barrested\b|\bарестова", EventKind.ARREST, Status.DETAINED),
    # "was detained in Istanbul by Turkish police"
    (r"\bdetained\b|\bзадержа", EventKind.DETENTION, Status.DETAINED),
    (r"\babduct(?:ed|ion)\b|\bkidnapp(?:ed|ing)\b|\bпохищ", EventKind.ABDUCTION, ""),
    # "He was transferred to the hands of the Tajikistan KGB."
    (r"\btransferred to\b|\bпереведен", EventKind.TRANSFER, ""),
    # "is kept in complete isolation"
    (r"\bincommunicado\b|\bcomplete isolation\b|\bwithout (?:any )?contact\b|\bв полной изоляции", EventKind.INCOMMUNICADO, Status.INCOMMUNICADO),
    (r"\bcharged with\b|\bобвин", EventKind.CHARGE, ""),
    # "was sentenced in a closed session to 20 years in prison": a trial behind closed doors, and its sentence
    (r"\b(?:closed|secret) (?:session|trial|hearing)\b|\btried\b|\bзакрыт\w* (?:заседани|суд)", EventKind.TRIAL, ""),
    (r"\bsentenced\b|\bприговор", EventKind.SENTENCE, Status.SENTENCED),
    # "is kept … as hostage" (a son held for his father's opposition work)
    (r"\b(?:as|a) hostages?\b|\bзаложник", EventKind.HELD_HOSTAGE, ""),
    (r"\breleased\b|\bfreed\b|\bосвобожден", EventKind.RELEASE, Status.RELEASED),
    (r"\bdied\b|\bdeath in custody\b|\bскончал|\bумер", EventKind.DEATH, Status.DECEASED),
    (r"\bdisappeared\b|\bwhereabouts (?:are |remain )?unknown\b|\bпропал", EventKind.DISAPPEARANCE, Status.INCOMMUNICADO),
    # "Under torture he self-incriminated himself"; "subjected to moral and physical torture"
    (r"\btortur(?:e|ed)\b|\bпытк", EventKind.TORTURE_REPORTED, ""),
    # "calls on … to demand … immediate release of the kidnapped Abdullohi Shamsiddin"
    (r"\b(?:calls?|called|urges?|urged|demands?|demanded)\b.*?\b(?:release|free)\b", EventKind.ADVOCACY, ""),
]
RULES = [(re.compile(pattern, re.IGNORECASE), kind, status) for pattern, kind, status in RULES]

# "sentenced … to 20 years", "к 20 годам"
TERM = re.compile(r"\bto (\d{1,2}) years?\b|\bк (\d{1,2}) (?:годам|году|лет)", re.IGNORECASE)
# "from Germany to Tajikistan"
ROUTE = re.compile(r"\bfrom ([A-Z][\w]+(?: [A-Z][\w]+)?) to ([A-Z][\w]+(?: [A-Z][\w]+)?)")
TO_COUNTRY = re.compile(r"\bto ([A-Z][\w]+(?: [A-Z][\w]+)?)")
IN_COUNTRY = re.compile(r"\bin ([A-Z][\w]+(?: [A-Z][\w]+)?)")
REPORTING = re.compile(r",?\s*\b(?:according to|said|reported|published|wrote|writes)\b", re.IGNORECASE)
PRONOUN = re.compile(r"\b(?:he|she|him|his|her|он|она|его|её|ее)\b", re.IGNORECASE)
# "handed over … two days later": counted from the day the sentence gives.
DAYS_LATER = re.compile(r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a) days? later\b|\bthe next day\b", re.IGNORECASE)
NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
MONTHS_RU = r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
DATE = re.compile(
    rf"\b(?:{MONTHS} \d{{1,2}}, \d{{4}}|\d{{1,2}} {MONTHS} \d{{4}}|\d{{1,2}} {MONTHS_RU} \d{{4}}|{MONTHS} \d{{4}}"
    rf"|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?<=\bin )\d{{4}}(?! (?:years?|people|prisoners)))\b"
)

# Capitalised words that start a sentence or name a thing, not a person.
NOT_NAMES = {
    "the", "a", "an", "on", "in", "at", "of", "and", "for", "from", "to", "by", "with", "as", "he", "she", "they",
    "his", "her", "their", "it", "this", "that", "these", "under", "ever", "since", "during", "among", "we", "our",
    "president", "minister", "mr", "mrs", "ms", "dr", "u.s", "photo", "according", "however", "also", "after",
    "before", "when", "while", "if", "but", "so", "in fact", "exiled", "tajik", "turkish", "russian", "german",
    "european", "american", "white", "house", "washington", "central", "asia", "asian", "europe", "free", "world",
    "kgb", "nat", "un", "osce", "eu", "usa", "united", "states", "kingdom", "union", "republic", "movement", "party",
    "alliance", "youth", "revival", "reformers", "reforms", "development", "national", "opposition", "committee",
    "court", "police", "ministry", "service", "government", "human", "rights", "watch", "amnesty", "international",
    "statement", "letter", "summit", "council", "office", "news", "agency", "group", "forces", "coalition",
    "badakhshan", "khorog", "vamar", "istanbul", "moscow", "dushanbe", "london", "paris", "amsterdam", "berlin",
    "vienna", "political", "prisoners", "great", "britain",
    *(month.lower() for month in MONTHS.strip("(?:)").split("|")),
}
ABBREVIATIONS = {"u.s", "mr", "mrs", "ms", "dr", "st", "no", "vs", "etc", "e.g", "i.e", "jr", "sr"}
WORD = re.compile(r"[^\W\d_][\w’'\-]*\.?|[A-ZА-Я]\.")


@dataclass
class Sentence:
    text: str
    paragraph: int

    @property
    def locator(self):
        return f"para. {self.paragraph}"


@dataclass
class EventProposal:
    kind: str
    sets_status: str
    sentence: Sentence
    person_name: str = ""
    person_id: int | None = None
    date: str = ""
    date_from_text: bool = False
    country: str = ""
    sending_country: str = ""
    sentence_years: int | None = None

    @property
    def sentence_kind(self):
        return SentenceKind.PRISON_TERM if self.sentence_years else ""


@dataclass
class PersonProposal:
    name: str
    sentence: Sentence
    person_id: int | None = None  # a person the tracker knows


@dataclass
class DateProposal:
    edtf: str
    words: str
    sentence: Sentence


@dataclass
class Draft:
    people: list = field(default_factory=list)
    dates: list = field(default_factory=list)
    events: list = field(default_factory=list)

    def excerpts(self):
        return [p.sentence.text for p in (*self.people, *self.dates, *self.events)]


def sentences(text):
    """The text's sentences, each exactly as written (so it can be quoted), with its paragraph number."""
    result = []
    paragraphs = [p for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    for number, paragraph in enumerate(paragraphs, start=1):
        start = 0
        for match in re.finditer(r"[.!?][”\"’»)]?(?=\s+[“\"«(]?[A-ZА-ЯЁҲҶҒҚӮӢ0-9])", paragraph):
            before = paragraph[start : match.start()].split()
            last_word = before[-1].lower().rstrip(".") if before else ""
            # "U.S. President" or an initial "A. B." does not end a sentence.
            if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            result.append(Sentence(paragraph[start : match.end()].strip(), number))
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            result.append(Sentence(tail, number))
    return result


def could_be_name_part(word):
    if re.fullmatch(r"[^\W\d_]\.", word) and word[0].isupper():
        return True  # an initial: "A. B."
    bare = re.sub(r"[’']s$", "", word).rstrip(".")
    return word[0].isupper() and bare.lower() not in NOT_NAMES and not country_code(bare)


def name_candidates(sentence):
    """Runs of two to four capitalised words (or initials) that may be a person's name, with where each starts."""
    long_words = [word for word in WORD.findall(sentence) if len(word) >= 4]
    if not sentence.rstrip().endswith((".", "!", "?", "»", "”", '"')) and len(long_words) >= 4:
        if sum(word[0].isupper() for word in long_words) >= 0.8 * len(long_words):
            return []  # A Headline In Title Case names everything with a capital.
    runs, current = [], []
    for match in WORD.finditer(sentence):
        word = match.group(0)
        if could_be_name_part(word):
            if current and sentence[current[-1].end() : match.start()].strip() not in ("",):
                runs.append(current)
                current = []
            current.append(match)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    names = []
    for run in runs:
        if 2 <= len(run) <= 4:
            name = re.sub(r"[’']s$", "", sentence[run[0].start() : run[-1].end()].rstrip(","))
            if " " in name and not country_code(name):
                names.append((name, run[0].start()))
    return names


def country_code(name):
    return countries.by_name(name.strip()) or ""


def known_person(name):
    """(id, name, has a case) of the one person the tracker knows by this name, in any spelling; None if none or several.

    Initials (“A. B.”) identify nobody: they are always proposed as a new name.
    """
    if any(len(word.strip(".")) < 3 for word in name.split()):
        return None
    found = list(
        Person.objects.matching(name).annotate(case_count=Count("cases")).values_list("pk", "name", "case_count")[:2]
    )
    return (found[0][0], found[0][1], found[0][2] > 0) if len(found) == 1 else None


def propose(text, published=""):
    """A draft of what `text` reports. `published` (EDTF) bounds events the text does not date."""
    draft = Draft()
    seen_people, by_id, followed = {}, {}, set()
    current = None  # the person "he" or "she" refers to: the last one named
    for sentence in sentences(text):
        names = name_candidates(sentence.text)
        named_here = []
        for name, position in names:
            if name not in seen_people:
                known = known_person(name)
                if known and known[0] in by_id:
                    seen_people[name] = by_id[known[0]]
                else:
                    proposal = PersonProposal(known[1] if known else name, sentence, known[0] if known else None)
                    seen_people[name] = proposal
                    draft.people.append(proposal)
                    if known:
                        by_id[known[0]] = proposal
                        if known[2]:
                            followed.add(known[0])
            named_here.append((seen_people[name], position))
        if named_here:
            current = named_here[0][0]
        found_dates = []
        for match in DATE.finditer(sentence.text):
            suggestion = date_input.suggest(match.group(0))
            if suggestion:
                found_dates.append((match.start(), suggestion.edtf))
                draft.dates.append(DateProposal(suggestion.edtf, suggestion.words, sentence))
        # Only what happened to someone: a sentence that names a person, or says "he" or "she" after one.
        if not names and not (current and PRONOUN.search(sentence.text)):
            continue
        matches = sorted(
            ((match, kind, status) for pattern, kind, status in RULES if (match := pattern.search(sentence.text))),
            key=lambda found: found[0].start(),
        )
        for index, (match, kind, status) in enumerate(matches):
            event = EventProposal(kind=kind, sets_status=status, sentence=sentence)
            # Whom it happened to: a person the tracker follows first, then the name nearest the phrase.
            subject = min(
                named_here,
                key=lambda named: (named[0].person_id not in followed, abs(named[1] - match.start())),
                default=(current, 0),
            )[0]
            if subject:
                event.person_name, event.person_id = subject.name, subject.person_id
            clause_end = matches[index + 1][0].start() if index + 1 < len(matches) else len(sentence.text)
            # "…, according to a statement published on 20 May 2024" dates the report, not the event.
            reporting = REPORTING.search(sentence.text, match.end(), clause_end)
            clause_end = reporting.start() if reporting else clause_end
            date = date_for(found_dates, match.start(), clause_end)
            if date:
                event.date, event.date_from_text = later(date, sentence.text[match.start() : clause_end]), True
            elif published:
                # Reported by then: at the latest the source's own date, never a day it does not give.
                event.date = f"../{published}"
            route = ROUTE.search(sentence.text)
            if route and kind in (EventKind.DEPORTATION, EventKind.EXTRADITION):
                event.sending_country, event.country = country_code(route.group(1)), country_code(route.group(2))
            elif kind in (EventKind.DEPORTATION, EventKind.EXTRADITION, EventKind.DETENTION, EventKind.ARREST):
                where = TO_COUNTRY if kind in (EventKind.DEPORTATION, EventKind.EXTRADITION) else IN_COUNTRY
                for place in where.findall(sentence.text[match.start() :]):
                    if country_code(place):
                        event.country = country_code(place)
                        break
            if kind == EventKind.SENTENCE:
                term = TERM.search(sentence.text)
                if term:
                    event.sentence_years = int(term.group(1) or term.group(2))
            draft.events.append(event)
    return draft


def later(edtf, clause):
    """The day `edtf` moved by "two days later" or "the next day" in `clause`; unchanged if the clause says neither.

    Only a known day moves: "a month later" of an uncertain date is left for the editor.
    """
    found = DAYS_LATER.search(clause)
    if not found or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", edtf):
        return edtf
    days = 1 if found.group(1) is None else int(NUMBER_WORDS.get(found.group(1).lower(), found.group(1)))
    return (datetime.date.fromisoformat(edtf) + datetime.timedelta(days=days)).isoformat()


def date_for(found_dates, phrase, clause_end):
    """The date of the event whose phrase is at `phrase`: the first after it in its clause, else the last before it."""
    after = [edtf for position, edtf in found_dates if phrase <= position < clause_end]
    before = [edtf for position, edtf in found_dates if position < phrase]
    if after:
        return after[0]
    if before:
        return before[-1]
    return found_dates[0][1] if found_dates else ""
