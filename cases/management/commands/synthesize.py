"""Fill an empty database with made-up cases of a real group's shape, to measure speed at size.

Nothing here is about real people: names are put together from Tajik,
Russian and Persian syllables. Derived values (search keys, date bounds,
statuses) come from the app's own code, as if an editor had typed the rest.
"""

import datetime
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.utils import timezone

from cases.models import (
    Case,
    Citation,
    Confidence,
    Event,
    EventKind,
    NameVariant,
    Organization,
    OrganizationKind,
    Person,
    ReleaseReason,
    Script,
    SentenceKind,
    Source,
    SourceKind,
    Status,
    Visibility,
    rebuild_name_tokens,
    unique_slug_base,
)

# Name parts as (Latin, Cyrillic). Given names and family-name roots from
# Tajik, Russian and Persian; the endings make family names of them.
GIVEN = [
    ("Sham", "Шам"), ("Abdul", "Абдул"), ("Rah", "Раҳ"), ("Jam", "Ҷам"), ("Far", "Фар"), ("Ni", "Ни"),
    ("Zar", "Зар"), ("Ka", "Ка"), ("Sa", "Са"), ("Mu", "Му"), ("Meh", "Меҳ"), ("Re", "Ре"), ("Mo", "Мо"),
    ("Ja", "Ҷа"), ("Ser", "Сер"), ("Ole", "Оле"), ("Dmit", "Дмит"), ("Ali", "Али"), ("Kho", "Хо"),
    ("Dav", "Дав"), ("Naz", "Наз"), ("Fa", "Фа"), ("Gul", "Гул"), ("Ba", "Ба"), ("Tah", "Тоҳ"),
]
GIVEN_ENDS = [
    ("siddin", "сиддин"), ("lokhi", "лоҳи"), ("mon", "мон"), ("shed", "шед"), ("rukh", "рух"), ("gora", "гора"),
    ("rina", "рина"), ("rim", "рим"), ("id", "ид"), ("hammad", "ҳаммад"), ("di", "ди"), ("za", "за"),
    ("vad", "вад"), ("gei", "гей"), ("g", "г"), ("ry", "рий"), ("sher", "шер"), ("mat", "мат"), ("ron", "рон"),
    ("ud", "уд"), ("ima", "има"), ("nora", "нора"), ("hrom", "ҳром"), ("bar", "бар"), ("ir", "ир"),
]
FAMILY = [
    ("Karim", "Карим"), ("Saidov", "Саидов"), ("Rahim", "Раҳим"), ("Nazar", "Назар"), ("Qodir", "Қодир"),
    ("Umar", "Умар"), ("Yusuf", "Юсуф"), ("Sharipov", "Шарипов"), ("Mirzo", "Мирзо"), ("Kabir", "Кабир"),
    ("Shams", "Шамс"), ("Haydar", "Ҳайдар"), ("Tehrani", "Теҳрони"), ("Hosseini", "Ҳусейни"), ("Ahmad", "Аҳмад"),
    ("Ivanov", "Иванов"), ("Petrov", "Петров"), ("Safar", "Сафар"), ("Davlat", "Давлат"), ("Iskandar", "Искандар"),
    ("Hisham", "Ҳишам"), ("Zarif", "Зариф"), ("Rustam", "Рустам"), ("Latif", "Латиф"), ("Bahrom", "Баҳром"),
]
FAMILY_ENDS = [("ov", "ов"), ("zoda", "зода"), ("i", "ӣ"), ("ov", "ов"), ("iyon", "иён"), ("pur", "пур"), ("", "")]
# Other spellings of the same sounds, the way sources vary them.
RESPELL = [("kh", "h"), ("zoda", "zade"), ("o", "u"), ("ov", "ow"), ("j", "dzh"), ("q", "k"), ("y", "i")]

COUNTRIES = ["TJ"] * 12 + ["RU"] * 4 + ["TR", "TR", "DE", "KZ", "IR", "AF", "UZ", "KG", "PL", "LT", "FR", "AT", "SE", "US", "CZ", "BY"]
SENDING = ["RU", "RU", "RU", "TR", "TR", "DE", "KZ", "PL", "LT", "AT", "FR", "SE"]

# What happens to a person, stage by stage; each case walks part of it.
# (kind, status it sets or "")
STORY = [
    [(EventKind.ASYLUM_REFUSED, Status.AT_RISK), (EventKind.DEPORTATION_ORDER, Status.AT_RISK), (EventKind.ADVOCACY, "")],
    [(EventKind.DEPORTATION, Status.DEPORTED), (EventKind.EXTRADITION, Status.DEPORTED), (EventKind.ABDUCTION, Status.INCOMMUNICADO)],
    [(EventKind.ARREST, Status.DETAINED), (EventKind.DETENTION, Status.DETAINED), (EventKind.TRANSFER, "")],
    [(EventKind.INCOMMUNICADO, Status.INCOMMUNICADO), (EventKind.DISAPPEARANCE, Status.INCOMMUNICADO), (EventKind.TORTURE_REPORTED, "")],
    [(EventKind.CHARGE, ""), (EventKind.TRIAL, ""), (EventKind.HELD_HOSTAGE, "")],
    [(EventKind.SENTENCE, Status.SENTENCED)],
    [(EventKind.APPEAL, ""), (EventKind.ADVOCACY, ""), (EventKind.TRANSFER, ""), (EventKind.TORTURE_REPORTED, "")],
    [(EventKind.RELEASE, Status.RELEASED), (EventKind.DEATH, Status.DECEASED), (EventKind.ADVOCACY, "")],
]
FILLER = [(EventKind.ADVOCACY, ""), (EventKind.TRANSFER, ""), (EventKind.TORTURE_REPORTED, ""), (EventKind.OTHER, ""), (EventKind.APPEAL, "")]

ORGANIZATIONS = [
    (OrganizationKind.SECURITY_SERVICE, "State Committee for National Security", "GKNB", "TJ"),
    (OrganizationKind.COURT, "Supreme Court", "", "TJ"),
    (OrganizationKind.COURT, "Dushanbe City Court", "", "TJ"),
    (OrganizationKind.DETENTION_FACILITY, "Pre-trial detention centre No. 1", "SIZO-1", "TJ"),
    (OrganizationKind.STATE_AGENCY, "Ministry of Internal Affairs", "MVD", "RU"),
    (OrganizationKind.STATE_AGENCY, "Federal Office for Migration and Refugees", "BAMF", "DE"),
    (OrganizationKind.STATE_AGENCY, "Directorate of Migration Management", "", "TR"),
    (OrganizationKind.SECURITY_SERVICE, "Federal Security Service", "FSB", "RU"),
    (OrganizationKind.NGO, "Human rights centre", "", ""),
    (OrganizationKind.OPPOSITION, "Opposition movement", "", ""),
]
LATEST_DAY = datetime.date(2025, 12, 31)
PUBLISHERS = ["Radio Ozodi", "Asia-Plus", "Human Rights Watch", "Amnesty International", "Memorial", "Eurasianet", "Fergana"]


class Command(BaseCommand):
    help = "Fill an empty, migrated database with synthetic cases of a real group's shape (for benchmarks, never for real use)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="How many cases to make (one person each).")
        parser.add_argument("--seed", type=int, default=1, help="The same seed makes the same data.")
        parser.add_argument("--internal-share", type=float, default=0.1, help="Share of records kept internal (0 to 1).")
        parser.add_argument("--batch", type=int, default=2000, help="Cases written per transaction.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        count, share, alias = options["cases"], options["internal_share"], options["database"]
        if count < 1:
            raise CommandError("--cases must be at least 1.")
        if not 0 <= share <= 1:
            raise CommandError("--internal-share must be between 0 and 1.")
        self.check_database_ready(alias)
        started = time.perf_counter()
        maker = Maker(random.Random(options["seed"]), share, alias)
        with transaction.atomic(using=alias):
            maker.make_organizations(count)
            maker.make_sources(count)
        for start in range(0, count, options["batch"]):
            with transaction.atomic(using=alias):
                maker.make_cases(start, min(options["batch"], count - start))
            self.stdout.write(f"\r{min(start + options['batch'], count)} of {count} cases", ending="")
            self.stdout.flush()
        self.stdout.write("")
        # Statuses come from the events, by the app's own rule, like every save.
        Case.objects.using(alias).refresh_statuses()
        # A real list was not all updated in the same second.
        Case.objects.using(alias).update(updated=F("created"))
        # Bulk writes send no signals: build the name index the search reads.
        with transaction.atomic(using=alias):
            rebuild_name_tokens(Person.objects.using(alias).values_list("pk", flat=True), using=alias)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"made {Case.objects.using(alias).count()} cases, {Event.objects.using(alias).count()} events, "
            f"{NameVariant.objects.using(alias).count()} other spellings, {Source.objects.using(alias).count()} sources, "
            f"{Citation.objects.using(alias).count()} citations in {elapsed:.0f} s"
        )

    def check_database_ready(self, alias):
        """Refuse a database that is not migrated, or that holds records: never mix made-up cases with real ones."""
        connection = connections[alias]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not migrated: run `manage.py migrate` first.")
        for model in (Person, Case, Source, Organization):
            if model.objects.using(alias).exists():
                raise CommandError(
                    f"The database already holds {model._meta.verbose_name_plural}: synthesize only into an empty database "
                    "(a new SQLite file through DATABASE_URL, or a new PostgreSQL database)."
                )
        if connection.vendor == "sqlite" and connection.get_autocommit():
            with connection.cursor() as cursor:
                # A throwaway database: no need to wait for the disk on every batch.
                cursor.execute("PRAGMA synchronous = OFF")


class Maker:
    def __init__(self, rng, internal_share, alias):
        self.rng, self.share, self.alias = rng, internal_share, alias
        self.slugs = {}
        self.organizations, self.sources = [], []

    def visibility(self):
        return Visibility.INTERNAL if self.rng.random() < self.share else Visibility.PUBLIC

    def moment(self, low_year=2012):
        start = datetime.datetime(low_year, 1, 1, tzinfo=datetime.timezone.utc)
        return start + datetime.timedelta(seconds=self.rng.randrange(14 * 365 * 86400))

    def slug(self, name):
        base = unique_slug_base(name)
        n = self.slugs.get(base, 0) + 1
        self.slugs[base] = n
        return base if n == 1 else f"{base}-{n}"

    def save_all(self, model, instances):
        for instance in instances:
            instance.fill_derived_fields()
        return model.objects.using(self.alias).bulk_create(instances)

    def make_organizations(self, cases):
        rng, made = self.rng, []
        for n in range(max(len(ORGANIZATIONS), cases // 500)):
            kind, name, abbreviation, country = ORGANIZATIONS[n % len(ORGANIZATIONS)]
            if n >= len(ORGANIZATIONS):
                name = f"{name}, {rng.choice(['Khujand', 'Kulob', 'Bokhtar', 'Moscow', 'Istanbul', 'Dushanbe'])} {n}"
            made.append(Organization(name=name, abbreviation=abbreviation, kind=kind, country=country,
                                     slug=self.slug(name), visibility=self.visibility()))
        self.organizations = self.save_all(Organization, made)

    def make_sources(self, cases):
        rng, made = self.rng, []
        publishers = [org for org in self.organizations if org.kind == OrganizationKind.NGO] or [None]
        for n in range(max(20, cases * 3 // 100)):
            year = rng.randint(2012, 2025)
            published = rng.choice([f"{year}", f"{year}-{rng.randint(1, 12):02d}", f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
            made.append(Source(
                kind=rng.choice(SourceKind.values), title=f"{rng.choice(PUBLISHERS)}: report {n + 1}",
                publisher=rng.choice(publishers), published=published, language=rng.choice(["en", "ru", "tg", "fa"]),
                url=f"https://example.org/reports/{n + 1}", visibility=self.visibility(),
            ))
        self.sources = self.save_all(Source, made)

    def name(self):
        """(Latin, Cyrillic) spellings of one made-up full name."""
        rng = self.rng
        given = [rng.choice(GIVEN), rng.choice(GIVEN_ENDS)]
        family = [rng.choice(FAMILY), rng.choice(FAMILY_ENDS)]
        latin = "".join(part[0] for part in given) + " " + "".join(part[0] for part in family)
        cyrillic = "".join(part[1] for part in given) + " " + "".join(part[1] for part in family)
        return latin.title(), cyrillic.title()

    def respell(self, name):
        for old, new in self.rng.sample(RESPELL, 3):
            if old in name:
                return name.replace(old, new, 1)
        return name + "a" if not name.endswith("a") else name[:-1]

    def make_cases(self, start, count):
        rng = self.rng
        people, names, case_visibility = [], [], []
        for n in range(count):
            latin, cyrillic = self.name()
            written, other = (latin, cyrillic) if rng.random() < 0.7 else (cyrillic, latin)
            names.append((written, other, latin))
            # An internal case; half of them of a person who is internal too.
            case_visibility.append(self.visibility())
            internal_person = case_visibility[-1] == Visibility.INTERNAL and rng.random() < 0.5
            people.append(Person(name=written, slug=self.slug(written),
                                 visibility=Visibility.INTERNAL if internal_person else Visibility.PUBLIC,
                                 gender=rng.choice(["male", "male", "female", ""]), citizenship="TJ",
                                 birth_date=rng.choice(["", f"19{rng.randint(50, 99)}", f"19{rng.randint(50, 99)}~"])))
        people = self.save_all(Person, people)

        variants = []
        for person, (written, other, latin) in zip(people, names):
            if rng.random() < 0.3:
                spelling = other if rng.random() < 0.6 else self.respell(latin)
                if spelling != written:
                    script = Script.CYRILLIC if not spelling.isascii() else Script.LATIN
                    variants.append(NameVariant(person=person, name=spelling, script=script, visibility=self.visibility()))
        self.save_all(NameVariant, variants)

        cases = []
        for person, visibility in zip(people, case_visibility):
            created = self.moment()
            cases.append(Case(person=person, title=rng.choice(["Deportation and detention", "Arrest and sentence",
                                                                "Extradition request", "Abduction abroad", "Detention"]),
                              slug=person.slug, visibility=visibility, created=created, updated=created,
                              last_verified=rng.choice([None, created.date()])))
        cases = self.save_all(Case, cases)

        events = []
        for case in cases:
            events.extend(self.story(case))
        events = self.save_all(Event, events)

        # Every event cites a source, as the app asks before it shows one (a
        # tenth of the citations are internal, so those events stay hidden);
        # 22 cases in 100 also cite one for the case as a whole.
        citations = [self.citation(case=case) for case in cases if rng.random() < 0.22]
        citations += [self.citation(event=event) for event in events]
        Citation.objects.using(self.alias).bulk_create(citations)

    def citation(self, **target):
        rng = self.rng
        return Citation(source=rng.choice(self.sources), confidence=rng.choice(Confidence.values),
                        excerpt=rng.choice(["", "The source reports this in its own words.", "Relatives confirmed the detention."]),
                        locator=rng.choice(["", f"para. {rng.randint(1, 30)}", f"p. {rng.randint(1, 12)}"]),
                        visibility=self.visibility(), **target)

    def story(self, case):
        """5 to 15 events in the order things happen, with dates as vague as sources give them."""
        rng = self.rng
        wanted = rng.randint(5, 15)
        stages = [stage for stage in STORY if rng.random() < 0.7] or [STORY[2]]
        plan = [rng.choice(stage) for stage in stages]
        while len(plan) < wanted:
            plan.insert(rng.randint(1, len(plan)), rng.choice(FILLER))
        plan = plan[:wanted]
        day = datetime.date(rng.randint(2005, 2020), rng.randint(1, 12), rng.randint(1, 28))
        events = []
        for position, (kind, status) in enumerate(plan):
            # Nothing after the last full year: sources do not report the future.
            day = min(day + datetime.timedelta(days=rng.randint(15, 200)), LATEST_DAY)
            event = Event(case=case, kind=kind, sets_status=status, date=self.vague(day), position=position,
                          country=rng.choice(COUNTRIES), visibility=self.visibility(),
                          authority=rng.choice(self.organizations) if rng.random() < 0.4 else None,
                          place=rng.choice(["", "", "Dushanbe", "Khujand", "Moscow", "Istanbul", "Vakhdat prison"]))
            if kind in (EventKind.DEPORTATION, EventKind.EXTRADITION):
                event.sending_country, event.country = rng.choice(SENDING), "TJ"
            elif kind == EventKind.SENTENCE:
                event.sentence_kind = rng.choice([SentenceKind.PRISON_TERM] * 8 + [SentenceKind.LIFE, SentenceKind.SUSPENDED])
                if event.sentence_kind == SentenceKind.PRISON_TERM:
                    event.sentence_years, event.sentence_months = rng.randint(1, 25), rng.choice([None, None, 6])
            elif kind == EventKind.RELEASE:
                event.release_reason = rng.choice(["", *ReleaseReason.values])
            events.append(event)
        return events

    def vague(self, day):
        """The day as a source might give it: a day, a month, a year, about, unsure, a span or a limit."""
        roll = self.rng.random()
        if roll < 0.4:
            return day.isoformat()
        if roll < 0.7:
            return f"{day:%Y-%m}"
        if roll < 0.85:
            return str(day.year)
        if roll < 0.9:
            return f"{day.year}~"
        if roll < 0.93:
            return f"{day.year}?"
        if roll < 0.97:
            later = min(day + datetime.timedelta(days=self.rng.randint(30, 400)), LATEST_DAY)
            return f"{day:%Y-%m}/{later:%Y-%m}"
        return f"../{day:%Y-%m}"
