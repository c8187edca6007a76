"""People, what happened to them, and which source says so.

Every record is public or internal. Public pages, feeds, exports and the API
read only through the `.public()` QuerySet methods defined here, which also
check the records a row depends on (an event of an internal case is not
public, whatever its own flag says).
"""

import datetime
import functools
import itertools
import operator
import re
import threading
from contextlib import contextmanager

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries.fields import CountryField
from modeltranslation.utils import get_translation_fields
from simple_history.models import HistoricalRecords

from . import date_input, dates, names, uploads
from .bulk import among, execute
from .names import fold, latin

# The same help the refusal of a bad date gives: how to write a day, a range, "unknown", "before" and "after".
EDTF_FIELD_HELP = _(dates.EDTF_HELP)


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (editors only)")
    PUBLIC = "public", _("Public")


class Status(models.TextChoices):
    AT_RISK = "at_risk", _("At risk of deportation or extradition")
    DEPORTED = "deported", _("Deported")
    DETAINED = "detained", _("Detained")
    INCOMMUNICADO = "incommunicado", _("Held incommunicado")
    SENTENCED = "sentenced", _("Sentenced")
    RELEASED = "released", _("Released")
    DECEASED = "deceased", _("Deceased")
    UNKNOWN = "unknown", _("Unknown")


class Confidence(models.TextChoices):
    # The HURIDOCS Events Standard Formats scale.
    CONFIRMED = "confirmed", _("Confirmed")
    LIKELY = "likely", _("Likely")
    POSSIBLE = "possible", _("Possible")
    UNKNOWN = "unknown", _("Unknown")


def unique_slug_base(text, max_length=80):
    """The slug a name gives, in Latin letters whatever its script: "Шамсиддин" gives "shamsiddin"."""
    return slugify(latin(text))[:max_length].strip("-") or "record"


def unique_slug(model, text, pk=None, max_length=80):
    """A slug for `text`, in Latin letters whatever the script, unique in `model`."""
    base = unique_slug_base(text, max_length)
    slug, n = base, 2
    while model._default_manager.filter(slug=slug).exclude(pk=pk).exists():
        slug = f"{base[: max_length - 5]}-{n}"
        n += 1
    return slug


def public_or_none(record):
    """`record` if it may be shown publicly, else None: for a related record reached through a public one."""
    return record if record is not None and record.is_public else None


class VisibilityRefused(PermissionDenied):
    """Someone without the publish permission tried to change what the public sees."""


_publisher = threading.local()


def may_publish(user):
    return user is not None and user.is_active and user.has_perm("cases.publish")


@contextmanager
def publishing(user):
    """Inside this block, `save()` may change visibility, if `user` holds the publish permission.

    Any other save that would publish or unpublish a record is refused. The
    admin uses `visibility_requests` instead, so that an Editor's form,
    revert or restore brings records back internal rather than failing.
    """
    previous = getattr(_publisher, "user", None)
    _publisher.user = user
    try:
        yield
    finally:
        _publisher.user = previous


@contextmanager
def visibility_requests():
    """Inside this block, `save()` keeps each record's stored visibility and notes what was asked.

    Yields the list of (model, pk, visibility) asked for; the caller then
    applies it through `set_visibility` as its user, once everything else is
    saved (so a citation saved on the same page already counts).
    """
    previous = getattr(_publisher, "requests", None)
    _publisher.requests = []
    try:
        yield _publisher.requests
    finally:
        _publisher.requests = previous


def acting_publisher():
    user = getattr(_publisher, "user", None)
    return user if may_publish(user) else None


# Fields a reader never sees: changing only these leaves the public `updated` time alone.
NOT_SHOWN_FIELDS = {"id", "internal_notes", "contact_details", "text", "external_id", "created", "updated", "edited", "search_key"}


class PublishableQuerySet(models.QuerySet):
    # Records a row depends on, which must be public too for the row to be.
    public_parents = ()
    # A fact a reader is told (an event, an affiliation…) is public only with a public citation.
    needs_citation = False

    def public(self):
        conditions = {f"{parent}__visibility": Visibility.PUBLIC for parent in self.public_parents}
        return self.own_public().filter(**conditions)

    def own_public(self):
        """Public by the record's own flag and, for a fact, backed by a public citation; parents unchecked."""
        records = self.filter(visibility=Visibility.PUBLIC)
        return records.filter(publicly_cited(self.model)) if self.needs_citation else records

    def status_cases(self):
        """Cases whose derived status (or its latest evidence) may move when these records' visibility does."""
        return None

    def publish_refusals(self):
        """The records here that may not be published, as (record, reason): facts no public source supports."""
        from .publishing import refusals

        return refusals(self)

    # Bulk writes send no signals: they move the public version themselves
    # when they may change what a reader sees (see cases/caching.py).

    def update(self, **kwargs):
        from . import caching

        touches_public = "visibility" in kwargs or self.filter(visibility=Visibility.PUBLIC).exists()
        changed = super().update(**kwargs)
        if changed and touches_public:
            caching.public_changed(self.db)
        return changed

    def bulk_create(self, objs, *args, **kwargs):
        from . import caching

        objs = super().bulk_create(objs, *args, **kwargs)
        if any(obj.visibility == Visibility.PUBLIC for obj in objs):
            caching.public_changed(self.db)
        return objs

    def bulk_update(self, objs, *args, **kwargs):
        from . import caching

        changed = super().bulk_update(objs, *args, **kwargs)
        if any(obj.visibility == Visibility.PUBLIC for obj in objs):
            caching.public_changed(self.db)
        return changed

    def set_visibility(self, visibility, by, reason=""):
        """Publish or unpublish every record here as `by`, who must hold the publish permission.

        One transaction with the statuses it changes; facts without a public
        citation are left internal. Returns a `publishing.Outcome`.
        """
        from .publishing import change_visibility

        return change_visibility(self, visibility, by, reason)


def publicly_cited(model):
    """A condition on `model`'s rows: at least one citation of it is public and so is its source."""
    field = next(name for name in CITATION_TARGETS if Citation._meta.get_field(name).related_model is model)
    return Exists(
        Citation.objects.filter(
            visibility=Visibility.PUBLIC, source__visibility=Visibility.PUBLIC, **{field: OuterRef("pk")}
        )
    )


class Publishable(models.Model):
    visibility = models.CharField(
        _("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
        # No index of its own: nine rows in ten are public, and SQLite would
        # pick it over a selective one (an event's case).
        help_text=_("Internal records are seen only by editors. Publish only what is safe for everyone to read."),
    )
    internal_notes = models.TextField(
        _("internal notes"), blank=True, help_text=_("For editors only. Never shown on public pages.")
    )
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # What readers are told (API, feeds, sitemap, "page last updated"): it moves
    # only when something they can see changes, so internal work stays unseen.
    updated = models.DateTimeField(_("last updated"), default=timezone.now, editable=False)
    # Every save, internal or not: the version that keeps two editors from overwriting each other.
    edited = models.DateTimeField(_("last saved"), default=timezone.now, editable=False)

    objects = PublishableQuerySet.as_manager()
    # Who changed what and when, for every concrete model; deleted records
    # can be found and restored from it.
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    @property
    def is_public(self):
        return self.visibility == Visibility.PUBLIC

    def _get_FIELD_display(self, field):
        """What `get_<field>_display()` returns: the value's label, translated.

        Django's own hashes every (value, label) pair to find the one, and
        hashing a lazy label translates it: twenty translations for the
        label of one event kind, the largest cost of a case page. Our
        choices' values are plain strings, so they are looked up directly.
        """
        value = getattr(self, field.attname)
        return force_str(dict(field.flatchoices).get(value, value), strings_only=True)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored = dict(zip(field_names, values))
        return instance

    def stored_values(self):
        """The record's columns as the database holds them, or None if it is not there (new, or deleted)."""
        stored = getattr(self, "_stored", None)
        if stored is not None and "visibility" in stored:
            return stored
        if self.pk is None:
            return None
        columns = [field.attname for field in self._meta.concrete_fields]
        return type(self)._default_manager.filter(pk=self.pk).values(*columns).first()

    def reader_sees_change(self, stored):
        """Whether saving this record now changes anything a reader can see."""
        if stored is None:
            return self.is_public
        if Visibility.PUBLIC not in (stored["visibility"], self.visibility):
            return False
        return any(
            field.get_prep_value(getattr(self, field.attname)) != field.get_prep_value(stored[field.attname])
            for field in self._meta.concrete_fields
            if field.attname not in NOT_SHOWN_FIELDS and field.attname in stored
        )

    @property
    def was_or_is_public(self):
        """Public now or as the database last had it: deleting such a record changes what readers see."""
        stored = getattr(self, "_stored", None) or {}
        return Visibility.PUBLIC in (self.visibility, stored.get("visibility"))

    def save(self, *args, **kwargs):
        stored = self.stored_values()
        stored_visibility = stored["visibility"] if stored else Visibility.INTERNAL
        requested = None
        requests = getattr(_publisher, "requests", None)
        if self.visibility != stored_visibility:
            if requests is not None:
                requested, self.visibility = self.visibility, stored_visibility
            elif acting_publisher() is None:
                raise VisibilityRefused(
                    _("Only a publisher can publish or unpublish “%(record)s”.") % {"record": self}
                )
        self.visibility_changed = self.visibility != stored_visibility
        now = timezone.now()
        self.edited = now
        self.shown_change = self.reader_sees_change(stored)
        if self.shown_change:
            self.updated = now
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "edited", *(["updated"] if self.shown_change else [])}
        elif stored is not None and not self.shown_change and not kwargs.get("force_insert"):
            # Leave the public time as the database has it: this copy's may be older
            # (a version from the history, or a record a page or a status refresh changed since).
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "updated" and field.attname not in deferred
            ]
        super().save(*args, **kwargs)
        self._stored = {field.attname: getattr(self, field.attname) for field in self._meta.concrete_fields}
        if requested:
            requests.append((type(self), self.pk, requested))

    def fill_derived_fields(self):
        """Compute stored values that editors never type (run before every save)."""

    def clean_edtf(self, field_name, required=False):
        """Validate an EDTF field, reporting the error on that field."""
        value = (getattr(self, field_name) or "").strip()
        setattr(self, field_name, value)
        if not value and not required:
            return
        try:
            dates.parse(value)
        except ValidationError as error:
            errors = [ValidationError(message) for message in error.messages]
            suggestion = date_input.suggest(value)
            if suggestion:
                # Never stored silently: the editor accepts it or types another date.
                errors.insert(0, ValidationError(
                    _("Did you mean %(edtf)s, %(words)s?"),
                    code="edtf_suggestion",
                    params={"edtf": suggestion.edtf, "words": suggestion.words},
                ))
            raise ValidationError({field_name: errors}) from None


# People and organizations -------------------------------------------------


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class PersonQuerySet(PublishableQuerySet):
    def matching(self, query):
        """People any of whose names (public or not: for editors) match `query` word by word."""
        search = NameSearch(query, public_only=False)
        return self.filter(search.found("pk")) if search.words else self.none()

    def search(self, query):
        """Public people whose public names match `query` (text or a `NameSearch`), best match first."""
        search = query if isinstance(query, NameSearch) else NameSearch(query)
        if not search.words:
            return self.none()
        return self.filter(search.found("pk")).annotate(name_rank=search.rank("pk")).order_by("-name_rank", "name", "pk")

    def set_visibility(self, visibility, by, reason=""):
        # The ids first: the queryset may be filtered on the visibility being changed.
        ids = list(self.values_list("pk", flat=True))
        outcome = super().set_visibility(visibility, by, reason)
        rebuild_name_tokens(ids)
        return outcome


class Person(Publishable):
    name = models.CharField(
        _("name"), max_length=200, help_text=_("The name as it is most often written in the sources.")
    )
    slug = models.SlugField(
        _("web address"),
        max_length=100,
        unique=True,
        blank=True,
        help_text=_("Part of the public address. Leave empty to make one from the name."),
    )
    search_key = models.CharField(max_length=400, editable=False, db_index=True, default="")
    external_id = models.CharField(
        _("identifier in your list"),
        max_length=100,
        blank=True,
        help_text=_("The person's identifier in a spreadsheet you import from, so that importing it again updates them."),
    )
    birth_date = models.CharField(_("birth date"), max_length=100, blank=True, help_text=EDTF_FIELD_HELP)
    birth_date_lower = models.DateField(null=True, editable=False)
    birth_date_upper = models.DateField(null=True, editable=False)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    citizenship = CountryField(_("citizenship"), blank=True, help_text=_("Only if a source states it."))
    summary = models.TextField(_("summary"), blank=True, help_text=_("Two or three sentences a reader sees first."))
    contact_details = models.TextField(
        _("contact details"),
        blank=True,
        help_text=_("Family, lawyer or other contacts. Never shown on public pages."),
    )
    photo = models.ImageField(
        _("photo"),
        upload_to=uploads.photo_path,
        blank=True,
        validators=[uploads.validate_photo],
        help_text=_("JPEG, PNG or WebP. Location and camera data are removed when it is saved. Shown publicly only if the person is public."),
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # The people list's order over public people only.
        indexes = [
            models.Index(fields=["name", "id"], condition=Q(visibility="public"), name="person_public_by_name"),
            # A public case's person is checked to be public too: from this small
            # index rather than the people's table (on SQLite, a third of a
            # name search's time at 100,000 cases).
            models.Index(fields=["id", "visibility"], name="person_visibility"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="unique_person_external_id"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cases:person", args=[self.slug])

    @property
    def birth_date_display(self):
        return dates.humanize(self.birth_date) if self.birth_date else ""

    def fill_derived_fields(self):
        self.search_key = fold(self.name)
        self.birth_date_lower, self.birth_date_upper = dates.bounds(self.birth_date)
        uploads.strip_metadata(self.photo)
        if not self.slug:
            self.slug = unique_slug(Person, self.name, self.pk)

    def clean(self):
        self.clean_edtf("birth_date")


class Script(models.TextChoices):
    LATIN = "latin", _("Latin")
    CYRILLIC = "cyrillic", _("Cyrillic (Russian)")
    TAJIK_CYRILLIC = "tajik_cyrillic", _("Tajik Cyrillic")
    ARABIC = "arabic", _("Arabic script (Persian, Tajik)")
    OTHER = "other", _("Other")


# The language a name in each script is marked with (`lang`), so that screen
# readers and fonts treat it right on a page in another language. A name in
# Latin letters is written as English-language sources write it.
SCRIPT_LANGUAGES = {
    Script.LATIN: "en",
    Script.CYRILLIC: "ru",
    Script.TAJIK_CYRILLIC: "tg",
    Script.ARABIC: "fa",
}

# The scripts a reader of each language reads a name in, best first. English
# readers get the person's main name, which is in Latin letters.
READER_SCRIPTS = {
    "ru": [Script.CYRILLIC, Script.TAJIK_CYRILLIC],
    "tg": [Script.TAJIK_CYRILLIC, Script.CYRILLIC],
}


class NameVariantQuerySet(PublishableQuerySet):
    public_parents = ("person",)

    def set_visibility(self, visibility, by, reason=""):
        people = list(self.values_list("person", flat=True).distinct())
        outcome = super().set_visibility(visibility, by, reason)
        rebuild_name_tokens(people)
        return outcome

    def in_reader_script(self, language):
        """The variants a reader of `language` reads, the best first."""
        scripts = READER_SCRIPTS.get(language, [])
        preference = models.Case(
            *(models.When(script=script, then=Value(rank)) for rank, script in enumerate(scripts)),
            default=Value(len(scripts)),
        )
        return self.filter(script__in=scripts).annotate(script_rank=preference).order_by("script_rank", "transliteration", "pk")


class NameVariant(Publishable):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="name_variants", verbose_name=_("person")
    )
    name = models.CharField(
        _("name"), max_length=200, help_text=_("Another spelling, or the name in another script, as written.")
    )
    script = models.CharField(_("script"), max_length=20, choices=Script.choices, default=Script.LATIN)
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("E.g. “spelling in the NAT statement”."))
    transliteration = models.BooleanField(
        _("our transliteration"),
        default=False,
        help_text=_("Tick when no source writes the name this way: the spelling is ours, made for readers of this script."),
    )
    search_key = models.CharField(max_length=400, editable=False, db_index=True, default="")

    objects = NameVariantQuerySet.as_manager()

    class Meta:
        ordering = ["person", "name", "pk"]
        verbose_name = _("name variant")
        verbose_name_plural = _("name variants")
        constraints = [
            models.UniqueConstraint(fields=["person", "name"], name="unique_name_variant_per_person"),
        ]

    def __str__(self):
        return self.name

    def fill_derived_fields(self):
        self.search_key = fold(self.name)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the person as loaded, so that moving a spelling rebuilds both people's index.
        instance._loaded_person_id = getattr(instance, "person_id", None)
        return instance

    @property
    def lang(self):
        return SCRIPT_LANGUAGES.get(self.script, "")


class Prefix(models.Lookup):
    """`token__prefix="sham"`: the texts that start with "sham", as a range an ordinary index answers.

    On PostgreSQL the bounds use the pattern operators (`~>=~`, `~<~`),
    which compare bytes like the prefix index's operator class does, and
    which no trigram index offers: a `LIKE 'sham%'` there was answered
    through the trigram index, reading and rechecking twice the rows.
    """

    lookup_name = "prefix"
    # Above every character a name can hold: "sham" + this is after every "sham…".
    HIGHEST = "\U0010ffff"

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value, value + self.HIGHEST])

    def as_sql(self, compiler, connection, low="%s >= %s", high="%s < %s"):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _placeholder, (lower, upper) = self.process_rhs(compiler, connection)
        return f"({low % (lhs, '%s')} AND {high % (lhs, '%s')})", [*lhs_params, lower, *lhs_params, upper]

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, low="%s ~>=~ %s", high="%s ~<~ %s")


class NameToken(models.Model):
    """One word of one spelling of a person's name, folded: the name index that the search reads.

    Derived, never edited: rebuilt by `rebuild_name_tokens` whenever a person
    or a spelling is saved, published or unpublished, and by the importer.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_tokens")
    # The spelling the token comes from; empty for the person's main name.
    variant = models.ForeignKey(NameVariant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    token = models.CharField(max_length=names.MAX_TOKEN_LENGTH)
    # The person and the spelling are both public.
    public = models.BooleanField()
    # The person's main name, which their cases are sorted by (`Case.sort_name`):
    # a search reads the people it finds in name order from the index alone.
    name = models.CharField(max_length=200, default="")

    class Meta:
        # Matched by prefix, as a range (`Prefix`): on PostgreSQL with the
        # pattern operators, hence the pattern operator class there. The
        # person (and for public names their name) is in the index so that a
        # search never reads the table.
        indexes = [
            # Every name: editors' searches, which see internal names too.
            models.Index(
                fields=["token", "public", "person"],
                name="nametoken_prefix",
                opclasses=["varchar_pattern_ops", "bool_ops", "int8_ops"],
            ),
            # Public names with their person's name, which the public search
            # sorts people by. Public only: an import writes internal names,
            # and this wider index cost it a sixth of its speed.
            # (`public` in it too: SQLite reads a column it lacks from the table.)
            models.Index(
                fields=["token", "public", "name", "person"],
                condition=Q(public=True),
                name="nametoken_public_by_name",
                opclasses=["varchar_pattern_ops", "bool_ops", "text_ops", "int8_ops"],
            ),
        ]

    def __str__(self):
        return self.token


NameToken._meta.get_field("token").register_lookup(Prefix)


class NameWord(models.Model):
    """Each word the name index has had, once: where PostgreSQL looks for near misses (its trigram index).

    A trigram index on the name index itself handed over every row of every
    close token, scattered over the table: for "zarin", 20,000 rows on 4,400
    pages to recheck (26 ms at 100,000 cases). Here each word is one row.
    Only words' keys (`names.is_word`): a near miss is a word close to a
    typed word. The whole names' keys, nearly one per person (65,000 of
    66,000 rows at 100,000 cases), made the table grow with the people, and
    every whole name holding the typed word's first letters passed the
    index's test: "zarif" rechecked 5,200 rows (7.5 ms); now 45 (0.2 ms).
    Derived and only added to (`_insert_name_tokens`), internal names' words
    too: a close word only leads to the people the search may show, read
    from the name index (public rows for the public search), so a word no
    name has any more, or only an internal one, finds nobody there.
    `rebuild_name_index` prunes it.
    """

    token = models.CharField(max_length=names.MAX_TOKEN_LENGTH, unique=True)

    def __str__(self):
        return self.token


def rebuild_name_tokens(person_ids, using="default"):
    """Rebuild the name index of these people from their names and spellings (call after bulk writes)."""
    ids = sorted({pk for pk in person_ids if pk})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        NameToken.objects.using(using).filter(person__in=among(chunk, using)).delete()
        rows, public_people, main_names = [], {}, {}
        for pk, name, visibility in Person.objects.using(using).filter(pk__in=among(chunk, using)).values_list("pk", "name", "visibility"):
            public_people[pk] = visibility == Visibility.PUBLIC
            main_names[pk] = name
            rows += [(pk, None, token, public_people[pk], name) for token in names.tokens(name)]
        variants = NameVariant.objects.using(using).filter(person__in=among(public_people, using)).values_list("pk", "person", "name", "visibility")
        for pk, person_id, name, visibility in variants:
            public = public_people[person_id] and visibility == Visibility.PUBLIC
            rows += [(person_id, pk, token, public, main_names[person_id]) for token in names.tokens(name)]
        _insert_name_tokens(rows, using)


def fill_token_names(using="default"):
    """Give the name tokens that lack it their person's name; how many were given one.

    A backup made before tokens held the name (migration 0016) restores
    them without it, and the public search sorts people by it.
    """
    name = Person.objects.using(using).filter(pk=OuterRef("person")).values("name")[:1]
    return NameToken.objects.using(using).filter(name="").update(name=Subquery(name))


def _insert_name_tokens(rows, using):
    """(person_id, variant_id, token, public, name) rows in one INSERT per batch, and their words into `NameWord`.

    An import rebuilds the index of every person it writes; bulk_create's
    per-value SQL compilation cost more than the rest of that put together.
    """
    _insert_rows(NameToken, ("person", "variant", "token", "public", "name"), rows, using)
    words = sorted({token for _person, _variant, token, _public, _name in rows if names.is_word(token)})
    _insert_rows(NameWord, ("token",), [(word,) for word in words], using, on_conflict="ON CONFLICT (token) DO NOTHING")


def _insert_rows(model, fields, rows, using, on_conflict="", batch=500):
    """Rows (tuples of these fields' values) into `model`'s table, one INSERT of plain placeholders per batch."""
    quote = connections[using].ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        values = ", ".join([placeholders] * len(chunk))
        execute(f"INSERT INTO {table} ({columns}) VALUES {values} {on_conflict}", list(itertools.chain.from_iterable(chunk)), using)


def fill_name_words(using="default", prune=False):
    """Give `NameWord` every word of the name index (a backup made before it existed restores it empty); with `prune`, only those."""
    with transaction.atomic(using=using):
        if prune:
            NameWord.objects.using(using).all().delete()
        tokens = NameToken.objects.using(using).order_by("token").values_list("token", flat=True).distinct()
        words = [(token,) for token in tokens if names.is_word(token)]
        _insert_rows(NameWord, ("token",), words, using, on_conflict="ON CONFLICT (token) DO NOTHING")


class NameSearch:
    """A name query against the name index: which people it finds, and how well.

    Each query word must match a token of the same person, from any of their
    spellings: a token that starts with the word's key (in any reading), or
    that is the word with another surname ending or in another script. All
    words are checked in one grouped query over the index, so the cost does
    not grow with joins, whatever the query. When no name matches, near
    misses are found instead: on PostgreSQL tokens trigram-similar to a word
    (through the trigram index), on SQLite tokens that rapidfuzz finds close
    among those with the same first letters.
    """

    NEAR_MISS_MIN_LENGTH = 5
    NEAR_MISS_CANDIDATES = 2000
    NEAR_MISS_SCORE = 80  # rapidfuzz ratio, 0-100
    NEAR_MISS_SIMILARITY = 0.5  # pg_trgm similarity, 0-1

    def __init__(self, query, public_only=True):
        self.words = names.query_words(query)
        self.tokens = NameToken.objects.filter(public=True) if public_only else NameToken.objects.all()

    @staticmethod
    def _prefix(prefix):
        return Q(token__prefix=prefix)

    def strict_parts(self, word):
        """The conditions on a token whose union `strict` is: each word start, then the exact forms.

        Apart, each is one range of the index; joined by OR, PostgreSQL reads
        them through a bitmap and then the table, a page per token. Word
        starts first: they find most names, and `near_only` stops at the
        first part that finds one.
        """
        parts = [self._prefix(prefix) for prefix in word.prefixes]
        return parts + [Q(token__in=word.exact)] if word.exact else parts

    def strict(self, word):
        return functools.reduce(operator.or_, self.strict_parts(word) or [Q(pk__in=[])])

    def near(self, word):
        if word.arabic or len(word.key) < self.NEAR_MISS_MIN_LENGTH:
            return None
        if connection.vendor == "postgresql":
            # `%` finds the close words through the trigram index of the words
            # (`NameWord`), at the similarity the connection was given
            # (`signals.set_trigram_threshold`); the rule is kept here too.
            similarity = TrigramSimilarity("token", word.key)
            close = NameWord.objects.filter(Q(token__trigram_similar=word.key) & Q(GreaterThanOrEqual(similarity, self.NEAR_MISS_SIMILARITY)))
            return Q(token__in=close.values("token"))
        from rapidfuzz import fuzz, process

        candidates = list(
            self.tokens.filter(self._prefix(word.key[:2])).values_list("token", flat=True).distinct()[: self.NEAR_MISS_CANDIDATES]
        )
        close = process.extract(word.key, candidates, scorer=fuzz.ratio, score_cutoff=self.NEAR_MISS_SCORE, limit=20)
        return Q(token__in=[token for token, _score, _index in close]) if close else None

    def _people(self, conditions, tokens=None):
        """Ids of people with a token meeting each condition (among `tokens`, by default the search's), as a subquery."""
        tokens = self.tokens if tokens is None else tokens
        if len(conditions) == 1:
            return tokens.filter(conditions[0]).values("person")
        grouped = (
            tokens.filter(functools.reduce(operator.or_, conditions))
            .values("person")
            .annotate(
                **{
                    f"word{index}": models.Max(models.Case(models.When(condition, then=1), default=0))
                    for index, condition in enumerate(conditions)
                }
            )
        )
        return grouped.filter(**{f"word{index}": 1 for index in range(len(conditions))}).values("person")

    # A query of several words: the people it finds are read once, when there
    # are at most this many, and given to the other queries as a list.
    LISTED_PEOPLE = 5000
    # A word's people are read whole, from the index alone, while it has at
    # most this many tokens; a word with more is checked person by person.
    READ_WHOLE_TOKENS = 20000

    @functools.cached_property
    def _listed_people(self):
        """Ids of the people every word of a query of several words matches; None for one word, or past LISTED_PEOPLE.

        Asked as a subquery grouped by person, the match made SQLite read
        every public case to test it against the group, and the grouping
        itself read every token of a common surname: 120 and 165 ms at
        100,000 cases for a name and a surname. Checked person by person
        (an EXISTS for each token of the rarest word), a name and a surname
        with 4,000 people each still took 24 ms on SQLite; read whole from
        the index and intersected, 3 ms.
        """
        if len(self.words) < 2:
            return None
        return self._people_matching([self.strict_parts(word) for word in self.words])

    @functools.cached_property
    def _listed_near_people(self):
        """`_listed_people` for the near misses: the people each word matches or comes close to."""
        if len(self.words) < 2 or not self.near_only:
            return None
        return self._people_matching(self.condition_parts, count=False)

    def _people_matching(self, parts_per_word, count=True):
        """Ids of the people with a token meeting one of each word's conditions; None past LISTED_PEOPLE.

        The words read whole are intersected by the database (INTERSECT):
        read into Python and intersected there, two words of 5,000 tokens
        each took 4.6 ms on SQLite and 5.4 on PostgreSQL at 100,000 cases,
        against 2.5 and 2.2, most of it spent carrying ids the other word
        does not have.
        """
        # Words are counted as the sum of their index ranges, which may overlap
        # a little. Near misses are not counted (`count`): the trigram index
        # would be read twice.
        counted = sorted(
            (self._union(parts, all=True).count() if count else 0, index) for index, parts in enumerate(parts_per_word)
        )
        if counted[0][0] > self.READ_WHOLE_TOKENS:
            return self._listed_by_exists([functools.reduce(operator.or_, parts_per_word[index]) for _count, index in counted])
        whole = [parts_per_word[index] for count, index in counted if count <= self.READ_WHOLE_TOKENS]
        operands = [self._word_people(parts) for parts in whole]
        people = set(operands[0].intersection(*operands[1:]))
        for count, index in counted:
            if count > self.READ_WHOLE_TOKENS and people:
                condition = functools.reduce(operator.or_, parts_per_word[index])
                people = set(self.tokens.filter(condition, person__in=among(people)).values_list("person", flat=True))
        return sorted(people) if len(people) <= self.LISTED_PEOPLE else None

    def _word_people(self, parts):
        """The people with a token meeting one of `parts`, as one operand of an INTERSECT.

        A union of the index ranges where the database allows a compound
        query inside another (PostgreSQL); on SQLite, the ranges joined by
        OR in one query, which it reads range by range as well.
        """
        if connection.features.supports_parentheses_in_compound:
            return self._union(parts)
        return self.tokens.filter(functools.reduce(operator.or_, parts)).values_list("person", flat=True)

    def _union(self, parts, all=False, fields=("person",)):
        """The people (ids) with a token meeting one of `parts`: a union of index ranges, each person once unless `all`.

        With other `fields`, those of each such token (as tuples).
        """
        rows = [self.tokens.filter(part).values_list(*fields, flat=len(fields) == 1) for part in parts or [Q(pk__in=[])]]
        if len(rows) > 1:
            return rows[0].union(*rows[1:], all=all)
        return rows[0] if all else rows[0].distinct()

    def _listed_by_exists(self, conditions):
        """`_listed_people` for a rarest word too common to read whole: its people who have the other words too, checked through the index by person."""
        people = self.tokens.filter(conditions[0])
        for condition in conditions[1:]:
            people = people.filter(Exists(self.tokens.filter(condition, person=OuterRef("person"))))
        ids = list(people.values_list("person", flat=True).distinct()[: self.LISTED_PEOPLE + 1])
        return ids if len(ids) <= self.LISTED_PEOPLE else None

    @functools.cached_property
    def near_only(self):
        """True when no name matches every word and the search falls back to near misses."""
        if len(self.words) == 1:
            return not any(self.tokens.filter(part).exists() for part in self.strict_parts(self.words[0]))
        if self._listed_people is not None:
            return not self._listed_people
        return not self._people([self.strict(word) for word in self.words]).exists()

    @functools.cached_property
    def conditions(self):
        """One condition on a token per query word: names that match every word,
        or, when there are none, names that come close (a typo): a reader who
        typed a real name is never shown a different one beside it.
        """
        return [functools.reduce(operator.or_, parts) for parts in self.condition_parts]

    @functools.cached_property
    def condition_parts(self):
        """The `conditions`, each as the list of conditions on a token it is the union of."""
        conditions = []
        for word in self.words:
            parts = self.strict_parts(word) or [Q(pk__in=[])]
            near = self.near(word) if self.near_only else None
            conditions.append(parts + [near] if near else parts)
        return conditions

    def found(self, field):
        """A filter on `field` (the path to a person) for the people the query finds."""
        listed = self._listed_near_people if self.near_only else self._listed_people
        if listed is not None:
            return Q(**{f"{field}__in": among(listed)})
        return Q(**{f"{field}__in": self._people(self.conditions)})

    def _whole_name_keys(self):
        keys = {names.whole_name_key(keys) for keys in zip(*(word.keys for word in self.words))}
        keys.add(names.whole_name_key([word.key for word in self.words]))
        return keys

    def _whole_words(self):
        return [Q(token__in=word.whole_words) for word in self.words]

    def rank(self, field):
        """3 for the whole name typed (in any word order), 2 for every word typed whole, 1 for word starts and variants, 0 for near misses."""
        if self.near_only:
            return models.Value(0, output_field=models.IntegerField())
        return models.Case(
            models.When(Q(**{f"{field}__in": self.tokens.filter(token__in=self._whole_name_keys()).values("person")}), then=3),
            models.When(Q(**{f"{field}__in": self._people(self._whole_words())}), then=2),
            default=1,
            output_field=models.IntegerField(),
        )

    def _best_people(self):
        """The people `rank` puts above 1 for a search of several words, as a subquery; None for near misses (all rank 0)."""
        if self.near_only:
            return None
        tokens = self.tokens
        if self._listed_people is not None:
            # Only the tokens of the people every word matches, read already: a
            # whole word as common as "karim" otherwise had its 700 people grouped
            # with the other word's (5 ms on PostgreSQL at 100,000 cases).
            tokens = tokens.filter(person__in=among(self._listed_people))
        return tokens.filter(token__in=self._whole_name_keys()).values("person").union(self._people(self._whole_words(), tokens))

    @property
    def cache_key(self):
        """What the rows the search finds depend on, besides the data: the keys of its words."""
        return tuple((tuple(word.keys), word.arabic) for word in self.words)

    def ranked_ids(self, queryset, field, name, limit):
        """Ids of the first `limit` rows of `queryset` the search finds: in `rank` order, then by `name`, person and id.

        The ids are read without modeltranslation's rewriting
        (`without_rewriting`): it makes a dictionary of each row.

        Ranking every match in the database made PostgreSQL read every case
        (at 100,000 cases, 60 ms for a common first name). Instead the few
        rows ranked above word starts (the whole name, or every word, typed
        whole) are sorted on their own, and the first `limit` matches in name
        order follow, less those already shown: together they are the first
        `limit` rows of the ranked list. A caller that asks for one row more
        than it shows learns from the length whether there are more: there is
        no separate count. `field` is the path from a row to its person,
        `name` the row's copy of the person's name.
        """
        best_of = self._best_of_one_word if len(self.words) == 1 else self._best_of_several_words
        top = best_of(queryset, field, name, limit)
        return followed_by(top, lambda: self._in_name_order(queryset, field, name, limit), limit)

    def _in_name_order(self, queryset, field, name, limit):
        """Ids of the first `limit` rows of `queryset` the search finds, by `name`, person and id."""
        if len(self.words) == 1:
            return self._first_in_name_order(queryset, field, name, limit)
        rows = queryset.filter(self.found(field)).order_by(name, F(field), "pk")
        return without_rewriting(rows).values_list("pk", flat=True)[:limit]

    def _best_of_several_words(self, queryset, field, name, limit):
        """`ranked_ids`' rows ranked above word starts for a search of several words, best first."""
        best = self._best_people()
        if best is None:
            return []
        # Among the best, the whole name (rank 3) before every word typed whole (rank 2):
        # its people read once (as an EXISTS for each row, SQLite read the tokens' table).
        whole_name = self.tokens.filter(token__in=self._whole_name_keys()).values("person")
        whole_name = models.Case(models.When(**{f"{field}__in": whole_name}, then=1), default=0)
        # Grouped per word, the best of several words are read as a list
        # (see `_listed_people`): as a subquery SQLite tested every case.
        listed = [row["person"] for row in best[: self.LISTED_PEOPLE + 1]]
        if len(listed) <= self.LISTED_PEOPLE:
            best = among(listed)
        # The best match every word: no need to check the words again row by row.
        top = queryset.filter(**{f"{field}__in": best}).order_by(whole_name.desc(), name, F(field), "pk")
        return list(without_rewriting(top).values_list("pk", flat=True)[:limit])

    def _best_of_one_word(self, queryset, field, name, limit):
        """`ranked_ids`' rows ranked above word starts for a one-word search: the whole name typed, then the word typed whole.

        Each read as the other matches are (`_first_in_name_order`), people
        in name order from the name index and then the rows of the first of
        them. Sorted by rank in one query, a common first name ("karim", 700
        people at 100,000 cases) had every one of its people and their cases
        read and sorted: 3.3 ms on PostgreSQL.
        """
        if self.near_only:
            return []
        whole_name = self._first_in_name_order(queryset, field, name, limit, [Q(token__in=self._whole_name_keys())])
        return followed_by(whole_name, lambda: self._first_in_name_order(queryset, field, name, limit, self._whole_words()), limit)

    def _first_in_name_order(self, queryset, field, name, limit, conditions=None):
        """Ids of the first `limit` rows of `queryset` whose person a one-word search finds, by `name`, person and id.

        With `conditions`, the people with a token meeting one of them instead.

        Sorting the matching rows read each of them, and its person, from
        their tables: a common first name has thousands (8 ms on SQLite,
        15-60 ms on PostgreSQL at 100,000 cases). The people are sorted from
        the name index instead, which holds their names, and only the rows
        of the first of them are read, more people at a time until `limit`
        rows are found. A row's `name` is its person's name, so the rows of
        people taken in name order are in order too.

        A person comes once for each of their tokens that matches, and the
        repeats are dropped here: dropped by the database (DISTINCT, UNION),
        every matching token was grouped before the first were sorted out,
        which doubled the query on PostgreSQL (2.3 against 1.1 ms for "abdu"
        at 100,000 cases).
        """
        tokens = self._union(conditions or self.condition_parts[0], all=True, fields=("name", "person")).order_by("name", "person")
        # More people than rows: some have no public case, or none the other
        # filters keep; and more tokens than people, for the repeats.
        ids, seen, start, batch = [], set(), 0, (limit + limit // 8) * 3 // 2
        while len(ids) < limit:
            read = list(tokens[start : start + batch])
            chunk = [person for person in dict.fromkeys(person for _name, person in read) if person not in seen]
            seen.update(chunk)
            if chunk:
                rows = queryset.filter(**{f"{field}__in": among(chunk)}).order_by(name, F(field), "pk")
                ids += without_rewriting(rows).values_list("pk", flat=True)[: limit - len(ids)]
            if len(read) < batch:
                break
            start, batch = start + batch, batch * 2
        return ids

    def matched_spellings(self, person_ids):
        """{person id: the spelling the query matched} for these people, where it is not their main name.

        The spelling with the most query words wins; between equals, the one
        closest to the query as typed (the Cyrillic spelling for a Cyrillic
        query), and then the main name, which is shown anyway.
        """
        from rapidfuzz import fuzz

        ids = list(person_ids)
        if not ids or not self.words:
            return {}
        typed = " ".join(word.word for word in self.words)
        condition = functools.reduce(operator.or_, [self.strict(word) for word in self.words])
        rows = self.tokens.filter(condition, person__in=ids).values_list("person", "name", "variant__name", "token")
        hits = {}
        for person_id, person_name, variant_name, token in rows:
            words = {index for index, word in enumerate(self.words) if token_matches(word, token)}
            hits.setdefault((person_id, variant_name or "", person_name), set()).update(words)
        best = {}
        for (person_id, variant_name, person_name), words in hits.items():
            closeness = fuzz.partial_ratio(typed, (variant_name or person_name).lower())
            score = (len(words), closeness, not variant_name)
            if person_id not in best or score > best[person_id][0]:
                best[person_id] = (score, variant_name)
        return {person_id: name for person_id, (_score, name) in best.items() if name}


def followed_by(first, then, limit):
    """The ids `first`, then those `then()` reads that are not among them: `limit` in all; `then` is not read when `first` fills them.

    Left out in Python: excluded in the query (NOT IN), the best matches
    made PostgreSQL read every case. And when the best alone fill every page
    a reader can ask for (a whole word as common as "karim"), reading the
    others cost two queries for nothing.
    """
    if len(first) >= limit:
        return first[:limit]
    shown = set(first)
    return (first + [pk for pk in then() if pk not in shown])[:limit]


def without_rewriting(queryset):
    """`queryset` read as the database gives it, where modeltranslation would rewrite it (a translated model).

    Its values are then read without a dictionary per row, a microsecond and
    more each: for reading many ids, on fields no language changes.
    """
    return queryset.rewrite(False) if hasattr(queryset, "rewrite") else queryset


def token_matches(word, token):
    return token in word.exact or any(token.startswith(prefix) for prefix in word.prefixes)


class ShownName:
    """A name as a page shows it: in the reader's script where one is known, with its `lang`."""

    def __init__(self, name, lang, transliteration=False):
        self.name, self.lang, self.transliteration = name, lang, transliteration

    def __str__(self):
        return self.name


def names_for_reader(person, variants, language):
    """(the name to show, the other spellings) of `person` for a reader of `language`.

    `variants` are the person's public name variants, already fetched: the
    page lists them anyway, so choosing among them costs no query.
    """
    main = ShownName(person.name, SCRIPT_LANGUAGES[Script.LATIN])
    others = [ShownName(variant.name, variant.lang, variant.transliteration) for variant in variants]
    for script in READER_SCRIPTS.get(language, []):
        candidates = [(variant.transliteration, index) for index, variant in enumerate(variants) if variant.script == script]
        if candidates:
            index = min(candidates)[1]
            return others[index], [main, *others[:index], *others[index + 1 :]]
    return main, others


class OrganizationKind(models.TextChoices):
    OPPOSITION = "opposition", _("Opposition movement or party")
    STATE_AGENCY = "state_agency", _("State agency")
    SECURITY_SERVICE = "security_service", _("Security service")
    COURT = "court", _("Court")
    DETENTION_FACILITY = "detention_facility", _("Detention facility")
    NGO = "ngo", _("Non-governmental organization")
    MEDIA = "media", _("Media")
    INTERNATIONAL = "international", _("International body")
    OTHER = "other", _("Other")


class Organization(Publishable):
    name = models.CharField(_("name"), max_length=300)
    abbreviation = models.CharField(_("abbreviation"), max_length=40, blank=True, help_text=_("E.g. NAT, KGB."))
    slug = models.SlugField(
        _("web address"),
        max_length=100,
        unique=True,
        blank=True,
        help_text=_("Part of the public address. Leave empty to make one from the name."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self):
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name

    def get_absolute_url(self):
        return reverse("cases:organization", args=[self.slug])

    def fill_derived_fields(self):
        if not self.slug:
            self.slug = unique_slug(Organization, self.name, self.pk)


class AffiliationQuerySet(PublishableQuerySet):
    public_parents = ("person", "organization")
    needs_citation = True


class Affiliation(Publishable):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="affiliations", verbose_name=_("person"))
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="affiliations", verbose_name=_("organization")
    )
    role = models.CharField(
        _("role"), max_length=200, help_text=_("In the source's words where possible: “head”, “member”, “son of a leader”.")
    )
    period = models.CharField(_("when"), max_length=100, blank=True, help_text=EDTF_FIELD_HELP)
    period_lower = models.DateField(null=True, editable=False)
    period_upper = models.DateField(null=True, editable=False)

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        ordering = ["person", "organization", "pk"]
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")

    def __str__(self):
        return f"{self.person}: {self.role}, {self.organization}"

    @property
    def period_display(self):
        return dates.humanize(self.period) if self.period else ""

    def fill_derived_fields(self):
        self.period_lower, self.period_upper = dates.bounds(self.period)

    def clean(self):
        self.clean_edtf("period")


class RelationshipKind(models.TextChoices):
    PARENT = "parent", _("parent")
    CHILD = "child", _("child")
    SIBLING = "sibling", _("brother or sister")
    SPOUSE = "spouse", _("spouse")
    RELATIVE = "relative", _("other relative")


class RelationshipQuerySet(PublishableQuerySet):
    public_parents = ("person", "relative")
    needs_citation = True


class Relationship(Publishable):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships", verbose_name=_("person"))
    relative = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="relationships_as_relative", verbose_name=_("relative")
    )
    kind = models.CharField(
        _("the relative is the person's"), max_length=20, choices=RelationshipKind.choices
    )
    description = models.CharField(_("description"), max_length=300, blank=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["person", "relative", "pk"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.CheckConstraint(condition=~Q(person=F("relative")), name="relationship_not_to_self"),
            models.UniqueConstraint(fields=["person", "relative", "kind"], name="unique_relationship"),
        ]

    def __str__(self):
        return f"{self.relative} is the {self.get_kind_display()} of {self.person}"

    def clean(self):
        if self.person_id and self.person_id == self.relative_id:
            raise ValidationError({"relative": _("A person cannot be their own relative.")}, code="self_relation")


# Cases and events ------------------------------------------------------------


class CaseQuerySet(PublishableQuerySet):
    public_parents = ("person",)

    def refresh_statuses(self, chunk_size=1000):
        """Derive the status of every case in the queryset again, as `Case.refresh_status` does for one.

        Works through the cases in chunks by id with the same number of
        queries per chunk (the cases, their status events, the events'
        citations, the update), so a bulk change of 100,000 cases costs a few
        hundred queries, not a hundred thousand. Only cases whose status
        changed are written, and only they get a new `updated` time. Returns
        how many changed.
        """
        attnames = status_attnames()
        changed, last_pk = 0, 0
        while True:
            chunk = list(
                self.filter(pk__gt=last_pk).order_by("pk").only("visibility", "last_verified", *STATUS_FIELDS)[:chunk_size]
            )
            if not chunk:
                return changed
            last_pk = chunk[-1].pk
            histories = {case.pk: [] for case in chunk}
            for event in Event.objects.using(self.db).filter(case_id__in=histories).status_setting():
                histories[event.case_id].append(event)
            now, stale = timezone.now(), []
            for case in chunk:
                before = [getattr(case, name) for name in attnames]
                for name, value in status_from_history(order_events(histories[case.pk]), case.last_verified).items():
                    setattr(case, name, value)
                if [getattr(case, name) for name in attnames] != before:
                    case.updated = now
                    stale.append(case)
            _write_statuses(self.db, stale)
            if any(case.visibility == Visibility.PUBLIC for case in stale):
                from . import caching

                caching.public_changed(self.db)
            changed += len(stale)

    def with_status(self, *statuses):
        return self.filter(current_status__in=statuses)

    def for_list(self):
        return self.select_related("person", "status_event")

    def for_list_rows(self):
        """Only what a row of the public list shows (`cases/_case_row.html`): its person's name, no status event.

        Read whole with their person and status event, the 25 cases of a page
        cost 2.6 ms on SQLite and 3.5 on PostgreSQL at 100,000 cases, most of
        it turning 60 columns a row into values (nine dates); these take 1.5
        and 2.0, for the same page.
        """
        shown = ["slug", "title", *get_translation_fields("title"), "current_status", "status_since", "attested_until", "person__name"]
        return self.select_related("person").only(*shown)

    def with_reader_names(self, language):
        """Each case's person's name in the reader's script (`reader_name`, `reader_name_lang`), in the same query."""
        scripts = READER_SCRIPTS.get(language)
        if not scripts:
            return self
        best = NameVariant.objects.public().filter(person=OuterRef("person")).in_reader_script(language)
        return self.annotate(
            reader_name=Subquery(best.values("name")[:1]),
            reader_name_script=Subquery(best.values("script")[:1]),
        )


def _write_statuses(alias, cases):
    """Save the status fields of `cases` in one statement run once per case.

    `bulk_update` builds a CASE expression per field and row in Python, which
    took longer than working the statuses out; a prepared UPDATE run for
    every row (`executemany`) is one query for the whole chunk.
    """
    if not cases:
        return
    connection = connections[alias]
    fields = [Case._meta.get_field(name) for name in (*STATUS_FIELDS, "updated")]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(Case._meta.db_table)} SET {assignments} WHERE {quote(Case._meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(case, field.attname), connection) for field in fields] + [case.pk]
        for case in cases
    ]
    # One transaction: on SQLite each row would otherwise wait for the disk.
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class Case(Publishable):
    # Indexed by `case_by_person` below, which leads with the person.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person"), db_index=False)
    title = models.CharField(
        _("title"), max_length=300, help_text=_("What the tracker follows, e.g. “Deportation from Germany and detention”.")
    )
    slug = models.SlugField(
        _("web address"),
        max_length=120,
        unique=True,
        blank=True,
        help_text=_("Part of the public address. Leave empty to make one from the person's name."),
    )
    summary = models.TextField(_("summary"), blank=True)
    # The person's name, copied so that the list sorts by it through an index
    # of this table (filled in whenever the case or the person is saved).
    sort_name = models.CharField(max_length=200, editable=False, default="")
    current_status = models.CharField(
        _("current status"),
        max_length=20,
        choices=Status.choices,
        default=Status.UNKNOWN,
        editable=False,
        help_text=_("Set by the latest public event that changes the status."),
    )
    status_since = models.CharField(_("status since"), max_length=100, blank=True, editable=False)
    status_since_lower = models.DateField(null=True, editable=False)
    status_since_upper = models.DateField(null=True, editable=False)
    status_event = models.ForeignKey(
        "Event", on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )
    last_verified = models.DateField(
        _("status last verified"),
        null=True,
        blank=True,
        help_text=_("The day an editor last confirmed the current status with a source or a trusted contact."),
    )
    # The latest evidence for the status (see `status_from_history`): as written, and its earliest day.
    attested_until = models.CharField(_("status attested until"), max_length=100, blank=True, editable=False)
    attested_lower = models.DateField(null=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # One permission for every kind of record: publishing is a decision, not an edit.
        permissions = [("publish", _("Can publish and unpublish records"))]
        # The public list's orders and its status filter, over public cases
        # only; the trailing id keeps ties in a fixed order.
        indexes = [
            models.Index(fields=["sort_name", "id"], condition=Q(visibility="public"), name="case_public_by_name"),
            models.Index(
                fields=["current_status", "sort_name", "id"], condition=Q(visibility="public"), name="case_public_status_name"
            ),
            models.Index(fields=["updated", "id"], condition=Q(visibility="public"), name="case_public_by_updated"),
            # A person's cases, and for the name search everything it sorts a
            # person's public cases by, read from the index alone: a search
            # that finds thousands of people read each of their cases' rows
            # to sort them (9 -> 3.5 ms at 100,000 cases). It stands in for
            # the foreign key's own index, so writing a case costs no more.
            models.Index(fields=["person", "visibility", "sort_name", "id"], name="case_by_person"),
            models.Index(
                fields=["status_since_lower", "id"], condition=Q(visibility="public"), name="case_public_by_status_date"
            ),
        ]

    def __str__(self):
        return f"{self.person}: {self.title}"

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.slug])

    @property
    def shown_name(self):
        """The person's name in the reader's script where `with_reader_names` found one, else their main name."""
        if getattr(self, "reader_name", None):
            return ShownName(self.reader_name, SCRIPT_LANGUAGES.get(self.reader_name_script, ""))
        return ShownName(self.person.name, SCRIPT_LANGUAGES[Script.LATIN])

    def fill_derived_fields(self):
        self.sort_name = self.person.name if self.person_id else ""
        if not self.slug:
            self.slug = unique_slug(Case, self.person.name if self.person_id else self.title, self.pk)
        # A case held in memory may be older than its events: never save a stale status.
        self.compute_status()

    def status_history(self, include_internal=False):
        """The events that set this case's status, oldest first, each with its public citations prefetched."""
        return order_events(Event.objects.filter(case_id=self.pk).status_setting(include_internal))

    def compute_status(self):
        """Derive the status fields from the public status-setting events.

        Only public events with a public citation count: a status read from
        any other event would tell the public what the event itself hides, or
        state a fact no source supports.
        """
        history = self.status_history() if self.pk else []
        for name, value in status_from_history(history, self.last_verified).items():
            setattr(self, name, value)

    def refresh_status(self):
        before = [getattr(self, name) for name in status_attnames()]
        self.compute_status()
        if [getattr(self, name) for name in status_attnames()] == before:
            return
        # A new status is news to readers: the case's public time moves with it.
        Case.objects.filter(pk=self.pk).update(
            **{name: getattr(self, name) for name in STATUS_FIELDS},
            updated=timezone.now(),
        )

    @property
    def status_since_display(self):
        return dates.humanize(self.status_since) if self.status_since else ""

    @property
    def attested_display(self):
        """The date of the latest evidence for the status, in words ("March 2023")."""
        return dates.humanize(self.attested_until) if self.attested_until else ""

    @property
    def sentence_event(self):
        """The sentence the person is serving: the latest public sentence while the status is "sentenced".

        A later event (a transfer to a prison colony) may set the status; the
        term and its end still come from the sentence.
        """
        if self.current_status != Status.SENTENCED:
            return None
        sentences = [event for event in self.public_events() if event.kind == EventKind.SENTENCE]
        return sentences[-1] if sentences else None

    def public_events(self):
        """Public events, oldest first; the view prefetches them into `prefetched_public_events`."""
        if hasattr(self, "prefetched_public_events"):
            if getattr(self, "_ordered_prefetch", None) is not self.prefetched_public_events:
                self._ordered_prefetch = self.prefetched_public_events
                self._ordered_events = order_events(self.prefetched_public_events)
            return self._ordered_events
        return order_events(Event.objects.public().filter(case_id=self.pk).select_related("authority"))

    def status_event_citations(self):
        """The public citations of the event the status comes from: the evidence for where the person is now."""
        event = self.status_event
        if event is None or not event.is_public:
            return []
        for prefetched in self.public_events():
            if prefetched.pk == event.pk:
                return list(prefetched.citations.all())
        return list(event.citations.public().with_source())

    def custody_event(self):
        """The event that began the custody the person is in now, if the events say so.

        Only while the status says the person is held: the first event that
        puts a person in someone's hands (an arrest, an abduction, a transfer…)
        after the last release. A deportation alone does not: what happened
        after it is not known unless a source says so.
        """
        if self.current_status not in HELD_STATUSES:
            return None
        start = None
        for event in self.public_events():
            if event.kind in CUSTODY_ENDS:
                start = None
            elif event.kind in CUSTODY_STARTS and start is None:
                start = event
        return start

    def held_for(self):
        """How long the person has been held, counted to the latest evidence: "at least 3 years"."""
        event = self.custody_event()
        if event is None:
            return ""
        return dates.describe_duration(event.date_lower, event.date_upper, self.attested_lower)

    def without_contact_for(self):
        if self.current_status != Status.INCOMMUNICADO:
            return ""
        return dates.describe_duration(self.status_since_lower, self.status_since_upper, self.attested_lower)

    @property
    def is_status_stale(self):
        """True when no evidence for the status (a source or a verification) is recent."""
        from django.conf import settings

        latest = max(filter(None, [self.attested_lower, self.last_verified]), default=None)
        if latest is None:
            return True
        age = timezone.localdate() - latest
        return age.days > settings.STATUS_STALE_AFTER_DAYS

    def overlap_notes(self):
        """For editors: status-setting events whose dates overlap, and which order was used and why."""
        history = self.status_history(include_internal=True) if self.pk else []
        notes = []
        for earlier, later in zip(history, history[1:]):
            if not dates_overlap(earlier, later):
                continue
            values = {
                "first": f"{earlier.get_kind_display()} ({earlier.date_display})",
                "second": f"{later.get_kind_display()} ({later.date_display})",
                "first_position": earlier.position,
                "second_position": later.position,
            }
            if earlier.position < later.position:
                note = _(
                    "The dates of the %(first)s and the %(second)s overlap, so either may have come first. "
                    "Their order fields (%(first_position)d, then %(second_position)d) put the %(second)s last."
                )
            else:
                note = _(
                    "The dates of the %(first)s and the %(second)s overlap, so either may have come first. "
                    "Both have order %(first_position)d, so the one that may have begun earlier is put first and the %(second)s last. "
                    "If the sources say otherwise, give the one that came last the higher order."
                )
            notes.append(note % values)
        return notes


# The case fields that come from its events, never typed.
STATUS_FIELDS = (
    "current_status",
    "status_since",
    "status_since_lower",
    "status_since_upper",
    "status_event",
    "attested_until",
    "attested_lower",
)


def status_attnames():
    """The columns of `STATUS_FIELDS` (`status_event_id` for `status_event`), to compare without a query."""
    return [Case._meta.get_field(name).attname for name in STATUS_FIELDS]


def status_from_history(history, last_verified=None):
    """The status fields of a case from its public status-setting events in order (see `order_events`).

    The status is as current as its latest evidence: the latest publication
    date of a public source the status event cites, or the day an editor
    last verified the status, whichever is later. Each event needs
    `public_citations` (public citations with their sources) prefetched.
    """
    last = history[-1] if history else None
    evidence = []
    if last is not None:
        evidence = [
            (citation.source.published_lower, citation.source.published)
            for citation in last.public_citations
            if citation.source.published_lower
        ]
    if last_verified:
        evidence.append((last_verified, last_verified.isoformat()))
    attested_lower, attested_until = max(evidence, default=(None, ""))
    return {
        "current_status": last.sets_status if last else Status.UNKNOWN,
        "status_since": last.date if last else "",
        "status_since_lower": last.date_lower if last else None,
        "status_since_upper": last.date_upper if last else None,
        "status_event": last,
        "attested_until": attested_until,
        "attested_lower": attested_lower,
    }


def _start(event):
    # An open beginning ("../2023-03") sorts by its end.
    return event.date_lower or event.date_upper


def dates_overlap(first, second):
    """Whether two events' dates may be the same day (an open end reaches as far as it can)."""
    return (first.date_lower is None or second.date_upper is None or first.date_lower <= second.date_upper) and (
        second.date_lower is None or first.date_upper is None or second.date_lower <= first.date_upper
    )


def order_events(events):
    """Events in the order they happened, as far as their dates tell, and the editor's order where they cannot.

    Events sort by their earliest day (an open beginning by its end), then
    their latest day. Where two neighbours' dates overlap, either may have
    come first: their `position` (the editor's order) decides.
    """
    ordered = sorted(
        events,
        key=lambda event: (
            _start(event) is not None,
            _start(event) or datetime.date.min,
            event.date_upper is None,
            event.date_upper or datetime.date.max,
            event.position,
            event.pk or 0,
        ),
    )
    for index in range(1, len(ordered)):
        moving = index
        while (
            moving > 0
            and ordered[moving - 1].position > ordered[moving].position
            and dates_overlap(ordered[moving - 1], ordered[moving])
        ):
            ordered[moving - 1], ordered[moving] = ordered[moving], ordered[moving - 1]
            moving -= 1
    return ordered


class EventKind(models.TextChoices):
    ASYLUM_REFUSED = "asylum_refused", _("Asylum refused")
    DEPORTATION_ORDER = "deportation_order", _("Deportation order")
    DEPORTATION = "deportation", _("Deportation")
    EXTRADITION = "extradition", _("Extradition")
    ABDUCTION = "abduction", _("Abduction")
    ARREST = "arrest", _("Arrest")
    TRANSFER = "transfer", _("Transfer to another authority or place")
    DETENTION = "detention", _("Detention")
    INCOMMUNICADO = "incommunicado", _("Held incommunicado")
    CHARGE = "charge", _("Charge")
    TRIAL = "trial", _("Trial")
    SENTENCE = "sentence", _("Sentence")
    APPEAL = "appeal", _("Appeal")
    RELEASE = "release", _("Release")
    DEATH = "death", _("Death")
    DISAPPEARANCE = "disappearance", _("Disappearance")
    TORTURE_REPORTED = "torture_reported", _("Torture reported")
    HELD_HOSTAGE = "held_hostage", _("Held as a hostage for a relative")
    ADVOCACY = "advocacy", _("Advocacy (call for release)")
    OTHER = "other", _("Other")


# Which statuses each kind of event may put a case in (an event may also set
# none). The README shows this table to editors; keep the two the same.
KIND_STATUSES = {
    EventKind.ASYLUM_REFUSED: {Status.AT_RISK},
    EventKind.DEPORTATION_ORDER: {Status.AT_RISK},
    EventKind.DEPORTATION: {Status.DEPORTED},
    EventKind.EXTRADITION: {Status.DEPORTED, Status.DETAINED},
    EventKind.ABDUCTION: {Status.DETAINED, Status.INCOMMUNICADO},
    EventKind.ARREST: {Status.DETAINED, Status.INCOMMUNICADO},
    EventKind.TRANSFER: {Status.DETAINED, Status.INCOMMUNICADO, Status.SENTENCED},
    EventKind.DETENTION: {Status.DETAINED, Status.INCOMMUNICADO},
    EventKind.INCOMMUNICADO: {Status.INCOMMUNICADO},
    EventKind.CHARGE: {Status.DETAINED},
    EventKind.TRIAL: set(),
    EventKind.SENTENCE: {Status.SENTENCED, Status.RELEASED},
    EventKind.APPEAL: {Status.SENTENCED, Status.RELEASED},
    EventKind.RELEASE: {Status.RELEASED},
    EventKind.DEATH: {Status.DECEASED},
    EventKind.DISAPPEARANCE: {Status.INCOMMUNICADO, Status.UNKNOWN},
    EventKind.TORTURE_REPORTED: set(),
    EventKind.HELD_HOSTAGE: {Status.DETAINED, Status.INCOMMUNICADO},
    EventKind.ADVOCACY: set(),
    EventKind.OTHER: {Status.UNKNOWN},
}

# Events that put the person in someone's hands. A deportation is not one:
# what happened after it is not known unless a source says so.
CUSTODY_STARTS = {
    EventKind.ABDUCTION,
    EventKind.ARREST,
    EventKind.DETENTION,
    EventKind.EXTRADITION,
    EventKind.TRANSFER,
    EventKind.INCOMMUNICADO,
    EventKind.HELD_HOSTAGE,
}
CUSTODY_ENDS = {EventKind.RELEASE, EventKind.DEATH}
HELD_STATUSES = {Status.DETAINED, Status.INCOMMUNICADO, Status.SENTENCED}
MOVEMENT_KINDS = {EventKind.DEPORTATION, EventKind.DEPORTATION_ORDER, EventKind.EXTRADITION, EventKind.ASYLUM_REFUSED}


def status_problem(kind, status):
    """Why an event of `kind` cannot set `status`, or "" when it can."""
    if not status or not kind or status in KIND_STATUSES.get(kind, set()):
        return ""
    allowed = [str(Status(value).label).lower() for value in Status.values if value in KIND_STATUSES.get(kind, set())]
    values = {"kind": EventKind(kind).label, "status": str(Status(status).label).lower()}
    if not allowed:
        return _("“%(kind)s” does not change where the person is: leave “puts the case in status” empty.") % values
    return _("“%(kind)s” cannot put the case in status “%(status)s”. It can set: %(allowed)s.") % {
        **values,
        "allowed": ", ".join(allowed),
    }


def _wholly_before(first, second):
    """Whether `first` ended before `second` could have begun (an open or unknown side may reach anywhere)."""
    return first.date_upper is not None and second.date_lower is not None and first.date_upper < second.date_lower


def order_problems(events):
    """What cannot be in a case's events, as (event, message) pairs, whichever event was edited.

    A release or death dated wholly before every custody event (nothing it
    could end); any custody event or status change dated wholly after a death.
    """
    problems = []
    custody = [event for event in events if event.kind in CUSTODY_STARTS]
    deaths = [event for event in events if event.kind == EventKind.DEATH]
    for end in events:
        if end.kind in CUSTODY_ENDS and custody and all(_wholly_before(end, start) for start in custody):
            first = min(custody, key=lambda event: event.date_lower)
            problems.append(
                (
                    end,
                    _("The %(end)s (%(end_date)s) is dated before the %(start)s (%(start_date)s) that began the custody it ends. Check both dates.")
                    % {
                        "end": end.get_kind_display().lower(),
                        "end_date": end.date_display,
                        "start": first.get_kind_display().lower(),
                        "start_date": first.date_display,
                    },
                )
            )
    for death in deaths:
        for event in events:
            if event is death or not (event.kind in CUSTODY_STARTS or event.sets_status):
                continue
            if _wholly_before(death, event):
                problems.append(
                    (
                        event,
                        _("The %(kind)s (%(date)s) is dated after the person's death (%(death)s): a dead person's status cannot change. Check both dates.")
                        % {"kind": event.get_kind_display().lower(), "date": event.date_display, "death": death.date_display},
                    )
                )
    return problems


class SentenceKind(models.TextChoices):
    PRISON_TERM = "prison_term", _("Prison term")
    LIFE = "life", _("Life imprisonment")
    DEATH_PENALTY = "death_penalty", _("Death penalty")
    RESTRICTED_FREEDOM = "restricted_freedom", _("Restricted freedom")
    SUSPENDED = "suspended", _("Suspended sentence")
    FINE = "fine", _("Fine")


class ReleaseReason(models.TextChoices):
    SERVED = "served", _("Served the sentence")
    PARDON = "pardon", _("Pardon or amnesty")
    PAROLE = "parole", _("Parole")
    ACQUITTAL = "acquittal", _("Acquittal")
    QUASHED = "quashed", _("Conviction quashed")
    OTHER = "other", _("Other (see note)")


def event_ordering(via=""):
    """Events by date as far as the database can (see `EventQuerySet.chronological`); `via` reaches them from another model ("event__")."""
    return [
        Coalesce(f"{via}date_lower", f"{via}date_upper").asc(nulls_first=True),
        F(f"{via}date_upper").asc(nulls_last=True),
        f"{via}position",
        f"{via}pk",
    ]


EVENT_ORDERING = event_ordering()


class EventQuerySet(PublishableQuerySet):
    public_parents = ("case", "case__person")
    needs_citation = True

    def status_cases(self):
        return Case.objects.filter(pk__in=self.values("case_id"))

    def status_setting(self, include_internal=False):
        """Events that set their case's status, with their public citations.

        Unless asked for all: by the public pages' rule, public and cited by a
        public source (an event no source supports sets nothing).
        """
        events = self.exclude(sets_status="").prefetch_related(
            models.Prefetch("citations", queryset=Citation.objects.public().with_source(), to_attr="public_citations")
        )
        return events if include_internal else events.own_public()

    def chronological(self):
        """By date as far as the database can (an open beginning by its end); `order_events` then applies the editor's order to overlaps."""
        return self.order_by(*EVENT_ORDERING)


class Event(Publishable):
    # Indexed by `event_by_case`, which starts with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"), db_index=False)
    kind = models.CharField(_("what happened"), max_length=30, choices=EventKind.choices)
    date = models.CharField(_("date"), max_length=100, help_text=EDTF_FIELD_HELP)
    date_lower = models.DateField(null=True, editable=False, db_index=True)
    date_upper = models.DateField(null=True, editable=False)
    position = models.PositiveSmallIntegerField(
        _("order"),
        default=0,
        help_text=_("Decides the order of events whose dates are the same or overlap: lower comes first."),
    )
    place = models.CharField(_("place"), max_length=200, blank=True, help_text=_("Town, facility or building, as the source names it."))
    country = CountryField(_("country"), blank=True, help_text=_("Where it happened."))
    sending_country = CountryField(
        _("sending country"), blank=True, help_text=_("For deportations and extraditions: the country that sent the person.")
    )
    authority = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("authority or organization"),
        help_text=_("The agency, court or group that acted."),
    )
    description = models.TextField(_("description"), blank=True)
    sets_status = models.CharField(
        _("puts the case in status"),
        max_length=20,
        choices=Status.choices,
        blank=True,
        help_text=_("Leave empty if this event does not change where the person is now."),
    )
    sentence_kind = models.CharField(_("sentence"), max_length=30, choices=SentenceKind.choices, blank=True)
    sentence_years = models.PositiveSmallIntegerField(_("years"), null=True, blank=True)
    sentence_months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    term_start = models.CharField(
        _("term counted from"),
        max_length=100,
        blank=True,
        help_text=_("Only if the source says from when the term counts (often the arrest). Otherwise the sentence date is used."),
    )
    release_reason = models.CharField(_("reason for release"), max_length=20, choices=ReleaseReason.choices, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = EVENT_ORDERING
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # A case's events, with what the export reads of them and their
            # order: the export reads them from the index alone, not from the
            # table, where each row holds the texts in every language.
            models.Index(
                fields=["case", "visibility", "date_lower", "date_upper", "position", "id", "kind", "date", "country"],
                name="event_by_case",
            ),
            # The countries events name, one index seek each (`filters.countries_in_use`).
            models.Index(fields=["country"], name="event_country"),
            models.Index(fields=["sending_country"], name="event_sending_country"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sentence_months__isnull=True) | Q(sentence_months__lt=12),
                name="sentence_months_under_twelve",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}, {self.date_display}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the case as loaded, so that moving an event refreshes both cases.
        instance._loaded_case_id = getattr(instance, "case_id", None)
        return instance

    @property
    def date_display(self):
        return dates.humanize(self.date)

    @property
    def term_display(self):
        if self.sentence_kind != SentenceKind.PRISON_TERM:
            return self.get_sentence_kind_display()
        parts = []
        if self.sentence_years:
            parts.append(ngettext("%(n)d year", "%(n)d years", self.sentence_years) % {"n": self.sentence_years})
        if self.sentence_months:
            parts.append(ngettext("%(n)d month", "%(n)d months", self.sentence_months) % {"n": self.sentence_months})
        return " ".join(parts)

    @property
    def expected_end(self):
        """(earliest, latest) day a prison term ends, or None when there is no term."""
        if self.sentence_kind != SentenceKind.PRISON_TERM:
            return None
        lower, upper = dates.bounds(self.term_start) if self.term_start else (self.date_lower, self.date_upper)
        years, months = self.sentence_years or 0, self.sentence_months or 0
        return dates.add_term(lower, years, months), dates.add_term(upper, years, months)

    @property
    def expected_end_display(self):
        end = self.expected_end
        return dates.describe_range(*end) if end else ""

    def fill_derived_fields(self):
        self.date_lower, self.date_upper = dates.bounds(self.date)

    def clean(self):
        self.clean_edtf("date", required=True)
        self.clean_edtf("term_start")
        self.date_lower, self.date_upper = dates.bounds(self.date)
        errors = {}
        if self.kind == EventKind.SENTENCE:
            if self.sentence_kind == SentenceKind.PRISON_TERM and not (self.sentence_years or self.sentence_months):
                errors["sentence_years"] = _("Give the length of the prison term in years, months or both.")
        else:
            for field in ("sentence_kind", "sentence_years", "sentence_months", "term_start"):
                if getattr(self, field):
                    errors[field] = _("Only a sentence has a term. Change what happened to “Sentence” or clear this.")
        if self.sentence_kind and self.sentence_kind != SentenceKind.PRISON_TERM:
            if self.sentence_years or self.sentence_months:
                errors["sentence_years"] = _("Only a prison term has years and months.")
        if self.sentence_months is not None and self.sentence_months >= 12:
            errors["sentence_months"] = _("Write 12 months or more as years and months.")
        if self.release_reason and self.kind != EventKind.RELEASE:
            errors["release_reason"] = _("Only a release has a reason for release.")
        if self.sending_country and self.kind not in MOVEMENT_KINDS:
            errors["sending_country"] = _("A sending country belongs to a deportation, deportation order, extradition or refused asylum.")
        if status_problem(self.kind, self.sets_status):
            errors["sets_status"] = status_problem(self.kind, self.sets_status)
        if errors:
            raise ValidationError(errors)
        self.check_order_in_case()

    def check_order_in_case(self, others=None):
        """Refuse dates that cannot be beside the case's other events (see `order_problems`).

        `others` are the case's other events as they will be (the admin passes
        the rows of the page being saved); by default, as stored.
        """
        if getattr(self, "order_checked_elsewhere", False):
            return
        if others is None:
            if not self.case_id:
                return
            others = list(Event.objects.filter(case_id=self.case_id).exclude(pk=self.pk))
        already = {(id(event), message) for event, message in order_problems(others)}
        new = [message for event, message in order_problems([self, *others]) if (id(event), message) not in already]
        if new:
            raise ValidationError({"date": new}, code="impossible_order")


# Sources, citations and claims ---------------------------------------------


class SourceKind(models.TextChoices):
    STATEMENT = "statement", _("Statement")
    NEWS_ARTICLE = "news_article", _("News article")
    OPEN_LETTER = "open_letter", _("Open letter")
    COURT_DOCUMENT = "court_document", _("Court document")
    TESTIMONY = "testimony", _("Testimony")
    REPORT = "report", _("Report")
    OTHER = "other", _("Other")


# Named in migration 0001.
source_upload_path = uploads.source_path


class SourceQuerySet(PublishableQuerySet):
    def status_cases(self):
        # Any event these sources cite may start or stop counting for its case's status, or its evidence.
        return Case.objects.filter(pk__in=Event.objects.filter(citations__source__in=self.values("pk")).values("case_id"))


class Source(Publishable):
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    title = models.CharField(_("title"), max_length=500)
    publisher = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_sources",
        verbose_name=_("publisher"),
    )
    author = models.CharField(_("author"), max_length=300, blank=True)
    published = models.CharField(_("publication date"), max_length=100, blank=True, help_text=EDTF_FIELD_HELP)
    published_lower = models.DateField(null=True, editable=False)
    published_upper = models.DateField(null=True, editable=False)
    url = models.URLField(_("web address"), max_length=1000, blank=True)
    archived_url = models.URLField(
        _("archived copy"), max_length=1000, blank=True, help_text=_("A copy in a web archive, in case the original disappears.")
    )
    language = models.CharField(_("language"), max_length=20, blank=True, help_text=_("Language code: en, ru, tg, fa, de…"))
    file = models.FileField(
        _("file"),
        upload_to=uploads.source_path,
        blank=True,
        validators=[uploads.validate_source_file],
        help_text=_("PDF, image, Word or OpenDocument text, or plain text. Photos lose their location and camera data."),
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True, editable=False)
    reliability_note = models.TextField(
        _("reliability note"), blank=True, help_text=_("Who is behind the source and how far it can be trusted.")
    )
    text = models.TextField(
        _("full text"),
        blank=True,
        help_text=_("Paste the document's text to let the tracker check that every excerpt is quoted word for word. Not shown publicly."),
    )

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_lower", "title", "pk"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("cases:source", args=[self.pk])

    @property
    def published_display(self):
        return dates.humanize(self.published) if self.published else ""

    def fill_derived_fields(self):
        self.published_lower, self.published_upper = dates.bounds(self.published)
        if not self.file:
            self.sha256 = ""
        elif not getattr(self.file, "_committed", True):
            uploads.strip_metadata(self.file)
            self.sha256 = uploads.sha256(self.file)

    def clean(self):
        self.clean_edtf("published")


def normalize_space(text):
    return re.sub(r"\s+", " ", text or "").strip()


class ClaimQuantifier(models.TextChoices):
    EXACTLY = "exactly", _("exactly")
    MORE_THAN = "more_than", _("more than")
    AT_LEAST = "at_least", _("at least")
    ABOUT = "about", _("about")
    UP_TO = "up_to", _("up to")
    ORDER = "order", _("an order of magnitude (dozens, hundreds, thousands)")


class StatisticClaimQuerySet(PublishableQuerySet):
    needs_citation = True


class StatisticClaim(Publishable):
    """A cited number that names no one, e.g. “more than 8,500 political prisoners”."""

    statement = models.CharField(
        _("claim"), max_length=500, help_text=_("The claim in one line, e.g. “More than 8,500 political prisoners are held”.")
    )
    subject = models.CharField(_("who is counted"), max_length=200, help_text=_("E.g. “political prisoners”."))
    quantifier = models.CharField(_("how exact"), max_length=20, choices=ClaimQuantifier.choices)
    count = models.PositiveIntegerField(
        _("number"), null=True, blank=True, help_text=_("The number the source gives; for “hundreds”, 100.")
    )
    country = CountryField(_("country"), blank=True)
    date = models.CharField(_("refers to"), max_length=100, blank=True, help_text=EDTF_FIELD_HELP)
    date_lower = models.DateField(null=True, editable=False)
    date_upper = models.DateField(null=True, editable=False)

    objects = StatisticClaimQuerySet.as_manager()

    class Meta:
        ordering = ["statement", "pk"]
        verbose_name = _("statistic claim")
        verbose_name_plural = _("statistic claims")

    def __str__(self):
        return self.statement

    @property
    def date_display(self):
        return dates.humanize(self.date) if self.date else ""

    def fill_derived_fields(self):
        self.date_lower, self.date_upper = dates.bounds(self.date)

    def clean(self):
        self.clean_edtf("date")


# What a citation with no excerpt says, to editors and readers alike: the
# source is known (often from a spreadsheet) but its words are not copied yet.
WORDS_NOT_COPIED = _("words not yet copied")

CITATION_TARGETS = ("event", "case", "person", "organization", "affiliation", "relationship", "claim")


def _target_is_public(name):
    """The citation's `name` (an event, a case…) is public by that fact's own `.public()` rules."""
    model = Citation._meta.get_field(name).related_model
    paths = [name, *(f"{name}__{parent}" for parent in model.objects.get_queryset().public_parents)]
    return Q(**{f"{path}__visibility": Visibility.PUBLIC for path in paths})


def _public_target_condition():
    """The fact a citation supports is public, by that fact's own `.public()` rules."""
    condition = Q()
    for name in CITATION_TARGETS:
        condition |= _target_is_public(name)
    return condition


class CitationQuerySet(PublishableQuerySet):
    def public(self):
        return self.filter(visibility=Visibility.PUBLIC, source__visibility=Visibility.PUBLIC).filter(
            _public_target_condition()
        )

    def public_of(self, target):
        """The public citations of one kind of fact (`"event"`, `"case"`…): `public()` joining only that fact's tables.

        A citation cites exactly one fact (the check constraint), so for a
        citation of an event every other kind's branch of `public()` is
        false: leaving them out gives the same rows, without a dozen joins
        per row.
        """
        return self.filter(visibility=Visibility.PUBLIC, source__visibility=Visibility.PUBLIC).filter(
            _target_is_public(target)
        )

    def public_of_public(self):
        """Public citations from public sources, for a fact the caller has already found public.

        Only under a query that reads public facts (a prefetch of a public
        case's public events): the fact's own rules are then checked once,
        not again for each of its citations.
        """
        return self.filter(visibility=Visibility.PUBLIC, source__visibility=Visibility.PUBLIC)

    def with_source(self):
        """What a page needs to show a citation: its source, in the same query, without its full text.

        The pasted full text is never shown publicly and can be a whole
        report: a page citing it fifteen times read it fifteen times.
        """
        return self.select_related("source").defer("source__text")

    def status_cases(self):
        return Case.objects.filter(pk__in=self.exclude(event=None).values("event__case_id"))


def _exactly_one_target():
    options = Q()
    for target in CITATION_TARGETS:
        condition = Q(**{f"{target}__isnull": False})
        for other in CITATION_TARGETS:
            if other != target:
                condition &= Q(**{f"{other}__isnull": True})
        options |= condition
    return options


class Citation(Publishable):
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations", verbose_name=_("source"))
    excerpt = models.TextField(
        _("excerpt"),
        blank=True,
        help_text=_(
            "Copy the words from the source exactly, without changing or shortening them inside. "
            "Leave empty only while the words have not been copied yet: the citation then says so to readers too."
        ),
    )
    locator = models.CharField(_("where in the source"), max_length=100, blank=True, help_text=_("Paragraph, page or time, e.g. “para. 5”, “p. 3”."))
    excerpt_translation = models.TextField(
        _("translation of the excerpt"),
        blank=True,
        help_text=_("Optional, one per language: shown under the source's own words, marked as a translation. The excerpt itself is never changed."),
    )
    confidence = models.CharField(
        _("confidence"),
        max_length=20,
        choices=Confidence.choices,
        help_text=_("How sure we are that this is true: confirmed, likely, possible or unknown."),
    )
    # Indexed by `citation_by_event`, which starts with it.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="citations", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    affiliation = models.ForeignKey(Affiliation, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    claim = models.ForeignKey(StatisticClaim, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")

    objects = CitationQuerySet.as_manager()

    class Meta:
        ordering = ["source", "locator", "pk"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        indexes = [
            # An event's citations, with their visibility, source and order:
            # whether an event is publicly cited, and the export's sources,
            # read from the index alone (a citation's row holds its excerpt).
            models.Index(fields=["event", "visibility", "source", "locator", "id"], name="citation_by_event"),
        ]
        constraints = [
            models.CheckConstraint(condition=_exactly_one_target(), name="citation_has_exactly_one_target"),
        ]

    def __str__(self):
        if not self.words_copied:
            return f"{self.source}: ({WORDS_NOT_COPIED})"
        return f"{self.source}: “{self.excerpt[:60]}”"

    @property
    def words_copied(self):
        return bool(self.excerpt)

    @property
    def target(self):
        for name in CITATION_TARGETS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None

    def supported_facts(self):
        """The names of the facts this citation supports, counting one given but not saved yet (on an add form)."""
        return [
            name
            for name in CITATION_TARGETS
            if getattr(self, f"{name}_id") is not None
            or self._meta.get_field(name).get_cached_value(self, None) is not None
        ]

    def clean(self):
        self.excerpt = (self.excerpt or "").strip()
        if len(self.supported_facts()) != 1:
            raise ValidationError(
                _("A citation supports exactly one fact: choose one event, case, person, organization, affiliation, relationship or claim."),
                code="citation_target",
            )
        source = self.source if self.source_id else None
        if self.excerpt and source and source.text and normalize_space(self.excerpt) not in normalize_space(source.text):
            raise ValidationError(
                {"excerpt": _("These words are not in the source's full text. Copy them exactly as the source has them.")},
                code="excerpt_not_verbatim",
            )


class ImportMapping(models.Model):
    """A saved way to read a spreadsheet: which of its columns holds which field."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(_("columns"), default=dict, help_text=_("The file's column heading → the tracker's field."))
    ignored = models.JSONField(
        _("ignored columns"), default=list, blank=True, help_text=_("Headings of columns to leave out, even one named like a field.")
    )
    constants = models.JSONField(
        _("values for every row"), default=dict, blank=True, help_text=_("Field → value given to every row, e.g. country → IR.")
    )
    value_maps = models.JSONField(
        _("value maps"),
        default=dict,
        blank=True,
        help_text=_("Column heading → {their value → {field → our value}}, e.g. Status → killed → event_type death, status deceased."),
    )
    calendars = models.JSONField(
        _("calendars"), default=dict, blank=True, help_text=_("Column heading → calendar its dates are written in (persian).")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self):
        return self.name

    def as_mapping(self):
        from .importing import Mapping

        return Mapping(
            columns=self.columns, ignored=self.ignored, constants=self.constants,
            value_maps=self.value_maps, calendars=self.calendars, list_name=self.name,
        )


class ImportedRow(models.Model):
    """What one row of an imported list made, so that importing a corrected file corrects those records."""

    list_name = models.CharField(max_length=100, blank=True)
    row_key = models.CharField(max_length=400)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["list_name", "row_key"], name="unique_imported_row")]

    def __str__(self):
        return f"{self.list_name or '-'}: {self.row_key}"


class ImportJob(models.Model):
    """One uploaded file on its way in: checked, then written, by the background worker."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded, columns not chosen yet")
        CHECKING = "checking", _("being checked")
        CHECKED = "checked", _("checked")
        WRITING = "writing", _("being imported")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")

    token = models.CharField(max_length=32, unique=True)
    file_name = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    mapping = models.JSONField(default=dict)
    save_as = models.CharField(max_length=100, blank=True)
    import_passing = models.BooleanField(default=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.UPLOADED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    stage_started = models.DateTimeField(null=True)
    report = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.file_name} ({self.get_state_display()})"


class PersonMerge(models.Model):
    """Two records of one person made one; what moved is kept so that the merge can be undone."""

    kept = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges")
    merged_name = models.CharField(max_length=200)
    merged_fields = models.JSONField(help_text="The removed person's own fields, to bring them back on undo.")
    moved = models.JSONField(help_text="Model name → primary keys of the records moved onto the kept person.")
    added_variant = models.PositiveIntegerField(null=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    undone = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.merged_name} → {self.kept}"



class PublicVersion(models.Model):
    """One row: a number that changes whenever anything a reader can see may have changed.

    Public pages carry it in their ETag and Last-Modified headers (cases/caching.py).
    """

    number = models.BigIntegerField(default=0)
    changed = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("public version")

    def __str__(self):
        return f"{self.number} ({self.changed:%Y-%m-%d %H:%M:%S})"


class TakeDown(models.Model):
    """A case or a person taken off the public site in one step: who did it, when and why."""

    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="take_downs", verbose_name=_("case"))
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="take_downs", verbose_name=_("person"))
    record = models.CharField(_("what was taken down"), max_length=300)
    reason = models.TextField(_("why"))
    records = models.PositiveIntegerField(_("records made internal"), default=0)
    taken_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    taken_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-taken_at", "-pk"]
        verbose_name = _("take-down")
        verbose_name_plural = _("take-downs")

    def __str__(self):
        return f"{self.record} ({self.taken_at:%Y-%m-%d %H:%M})"


class VisibilityJob(models.Model):
    """A publish or unpublish too big for a web request, done by the background worker."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed: nothing was changed")

    model = models.CharField(_("kind of record"), max_length=100)
    record_ids = models.JSONField(_("records"), default=list)
    visibility = models.CharField(_("make them"), max_length=10, choices=Visibility.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("records"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    refused = models.PositiveIntegerField(_("left internal: no public citation"), default=0)
    message = models.TextField(_("message"), blank=True)
    requested_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    created = models.DateTimeField(_("asked"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("bulk publishing")
        verbose_name_plural = _("bulk publishing")

    def __str__(self):
        return f"{self.get_visibility_display()}: {self.total} {self.model}"
