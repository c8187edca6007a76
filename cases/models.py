"""People, what happened to them, and which source says so.

Every record is public or internal. Public pages, feeds, exports and the API
read only through the `.public()` QuerySet methods defined here, which also
check the records a row depends on (an event of an internal case is not
public, whatever its own flag says).
"""

import datetime
import re
import threading
from contextlib import contextmanager

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from . import dates, uploads
from .names import fold, latin

EDTF_FIELD_HELP = _(
    "As precise as the source, no more: 2023-01-18, 2023-01, 2023, 2023~ (about), "
    "2023? (unsure), 2020-03-05/2023-03 (some time between), ../2023-03 (before the end of March 2023)."
)


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

    def publish_refusals(self):
        """The records here that may not be published, as (record, reason): facts no public source supports."""
        from .publishing import refusals

        return refusals(self)

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
        db_index=True,
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
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "updated" and field.attname in self.__dict__
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
            raise ValidationError({field_name: error.messages}) from None


# People and organizations -------------------------------------------------


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class PersonQuerySet(PublishableQuerySet):
    def matching(self, query):
        """People any of whose public names contain every word of `query`, folded."""
        from .names import search_terms

        terms = search_terms(query)
        if not terms:
            return self.none()
        result = self
        for term in terms:
            result = result.filter(
                Q(search_key__contains=term)
                | Q(
                    name_variants__search_key__contains=term,
                    name_variants__visibility=Visibility.PUBLIC,
                )
            )
        return result.distinct()

    def search(self, query):
        """`matching`, and on PostgreSQL also names that are trigram-similar (a typo, a missing letter)."""
        found = self.matching(query)
        key = fold(query)
        if connection.vendor != "postgresql" or not key:
            return found
        similar_variants = NameVariant.objects.public().filter(search_key__trigram_word_similar=key)
        return self.filter(
            Q(pk__in=found.values("pk"))
            | Q(search_key__trigram_word_similar=key)
            | Q(pk__in=similar_variants.values("person"))
        )


def name_rank(query, person="pk"):
    """How closely the best public name of a person matches `query` (PostgreSQL only).

    `person` is the path to the person from the rows being ranked: "pk" for
    people, "person" for cases.
    """
    key = fold(query)
    prefix = "" if person == "pk" else f"{person}__"
    variants = (
        NameVariant.objects.public()
        .filter(person=OuterRef(person))
        .annotate(similarity=TrigramWordSimilarity(key, "search_key"))
        .order_by("-similarity")
        .values("similarity")[:1]
    )
    return Greatest(
        TrigramWordSimilarity(key, f"{prefix}search_key"),
        Coalesce(Subquery(variants), Value(0.0), output_field=models.FloatField()),
    )


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


class NameVariantQuerySet(PublishableQuerySet):
    public_parents = ("person",)


class NameVariant(Publishable):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="name_variants", verbose_name=_("person")
    )
    name = models.CharField(
        _("name"), max_length=200, help_text=_("Another spelling, or the name in another script, as written.")
    )
    script = models.CharField(_("script"), max_length=20, choices=Script.choices, default=Script.LATIN)
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("E.g. “spelling in the NAT statement”."))
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


def status_from_history(history):
    """A case's derived status fields from its public status-setting events, sorted oldest first.

    The one rule for a case's status: `Case.compute_status` applies it to one
    case, `CaseQuerySet.refresh_statuses` to many.
    """
    last = history[-1] if history else None
    return {
        "current_status": last.sets_status if last else Status.UNKNOWN,
        "status_since": last.date if last else "",
        "status_since_lower": last.date_lower if last else None,
        "status_since_upper": last.date_upper if last else None,
        "status_event": last,
    }


STATUS_FIELDS = ("current_status", "status_since", "status_since_lower", "status_since_upper", "status_event_id")


class CaseQuerySet(PublishableQuerySet):
    public_parents = ("person",)

    def refresh_statuses(self, chunk_size=1000):
        """Derive the status of every case in the queryset again, as `Case.refresh_status` does for one.

        Works through the cases in chunks by id with the same number of
        queries per chunk (the cases, their status events, the update), so a
        bulk change of 100,000 cases costs a few hundred queries, not a
        hundred thousand. Only cases whose status changed are written, and
        only they get a new `updated` time. Returns how many changed.
        """
        changed, last_pk = 0, 0
        while True:
            chunk = list(
                self.filter(pk__gt=last_pk).order_by("pk").only(*STATUS_FIELDS[:-1], "status_event")[:chunk_size]
            )
            if not chunk:
                return changed
            last_pk = chunk[-1].pk
            histories = {case.pk: [] for case in chunk}
            events = Event.objects.using(self.db).filter(case_id__in=histories).status_setting().order_by()
            for event in events.only("case", "sets_status", "date", "date_lower", "date_upper", "position"):
                histories[event.case_id].append(event)
            now, stale = timezone.now(), []
            for case in chunk:
                before = [getattr(case, field) for field in STATUS_FIELDS]
                for field, value in status_from_history(sorted(histories[case.pk], key=Event.sort_key)).items():
                    setattr(case, field, value)
                if [getattr(case, field) for field in STATUS_FIELDS] != before:
                    case.updated = now
                    stale.append(case)
            _write_statuses(self.db, stale)
            changed += len(stale)

    def with_status(self, *statuses):
        return self.filter(current_status__in=statuses)

    def for_list(self):
        return self.select_related("person", "status_event")


def _write_statuses(alias, cases):
    """Save the status fields of `cases` in one statement run once per case.

    `bulk_update` builds a CASE expression per field and row in Python, which
    took longer than working the statuses out; a prepared UPDATE run for
    every row (`executemany`) is one query for the whole chunk.
    """
    if not cases:
        return
    connection = connections[alias]
    fields = [Case._meta.get_field(name) for name in (*STATUS_FIELDS[:-1], "status_event", "updated")]
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
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person"))
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
    current_status = models.CharField(
        _("current status"),
        max_length=20,
        choices=Status.choices,
        default=Status.UNKNOWN,
        editable=False,
        db_index=True,
        help_text=_("Set by the latest public event that changes the status."),
    )
    status_since = models.CharField(_("status since"), max_length=100, blank=True, editable=False)
    status_since_lower = models.DateField(null=True, editable=False, db_index=True)
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

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["person__name", "pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # One permission for every kind of record: publishing is a decision, not an edit.
        permissions = [("publish", _("Can publish and unpublish records"))]

    def __str__(self):
        return f"{self.person}: {self.title}"

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.slug])

    def fill_derived_fields(self):
        if not self.slug:
            self.slug = unique_slug(Case, self.person.name if self.person_id else self.title, self.pk)
        # A case held in memory may be older than its events: never save a stale status.
        self.compute_status()

    def status_history(self, include_internal=False):
        """The events that set this case's status, oldest first."""
        events = Event.objects.filter(case_id=self.pk).status_setting(include_internal)
        return sorted(events, key=Event.sort_key)

    def compute_status(self):
        """Derive the current status from the latest public status-setting event.

        Only public events with a public citation count: a status read from
        any other event would tell the public what the event itself hides, or
        state a fact no source supports.
        """
        history = self.status_history() if self.pk else []
        for field, value in status_from_history(history).items():
            setattr(self, field, value)

    def refresh_status(self):
        before = (self.current_status, self.status_since, self.status_event_id)
        self.compute_status()
        if (self.current_status, self.status_since, self.status_event_id) == before:
            return
        # A new status is news to readers: the case's public time moves with it.
        Case.objects.filter(pk=self.pk).update(
            current_status=self.current_status,
            status_since=self.status_since,
            status_since_lower=self.status_since_lower,
            status_since_upper=self.status_since_upper,
            status_event=self.status_event,
            updated=timezone.now(),
        )

    @property
    def status_since_display(self):
        return dates.humanize(self.status_since) if self.status_since else ""

    @property
    def sentence_event(self):
        """The sentence the person is serving, when the current status comes from one."""
        event = self.status_event
        if event and self.current_status == Status.SENTENCED and event.kind == EventKind.SENTENCE:
            return event
        return None

    def public_events(self):
        """Public events, oldest first; the view prefetches them into `prefetched_public_events`."""
        if hasattr(self, "prefetched_public_events"):
            return self.prefetched_public_events
        return list(Event.objects.public().filter(case_id=self.pk).chronological().select_related("authority"))

    def custody_event(self):
        """The event that began the custody the person is in now, if the events say so.

        Only while the status says the person is held: the first arrest,
        detention, abduction, deportation or extradition after the last release.
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

    def held_for(self, today=None):
        event = self.custody_event()
        if event is None:
            return ""
        return dates.describe_duration(event.date_lower, event.date_upper, today or timezone.localdate())

    def without_contact_for(self, today=None):
        if self.current_status != Status.INCOMMUNICADO:
            return ""
        return dates.describe_duration(self.status_since_lower, self.status_since_upper, today or timezone.localdate())

    @property
    def is_status_stale(self):
        from django.conf import settings

        if self.last_verified is None:
            return True
        age = timezone.localdate() - self.last_verified
        return age.days > settings.STATUS_STALE_AFTER_DAYS


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
    RELATIVE_HOSTAGE = "relative_hostage", _("Relative taken hostage")
    ADVOCACY = "advocacy", _("Advocacy (call for release)")
    OTHER = "other", _("Other")


# Events after which the person is in someone's hands; a release or death
# cannot be dated wholly before the first of them.
CUSTODY_STARTS = {
    EventKind.ABDUCTION,
    EventKind.ARREST,
    EventKind.DETENTION,
    EventKind.DEPORTATION,
    EventKind.EXTRADITION,
}
CUSTODY_ENDS = {EventKind.RELEASE}
HELD_STATUSES = {Status.DETAINED, Status.INCOMMUNICADO, Status.SENTENCED}
MOVEMENT_KINDS = {EventKind.DEPORTATION, EventKind.DEPORTATION_ORDER, EventKind.EXTRADITION, EventKind.ASYLUM_REFUSED}


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


class EventQuerySet(PublishableQuerySet):
    public_parents = ("case", "case__person")
    needs_citation = True

    def status_setting(self, include_internal=False):
        """Events that set their case's status: by the public pages' rule (public and cited), unless asked for all."""
        events = self.exclude(sets_status="")
        return events if include_internal else events.own_public()

    def chronological(self):
        # Open lower ends first, then the upper bound, then the editor's order.
        return self.order_by(
            F("date_lower").asc(nulls_first=True),
            F("date_upper").asc(nulls_last=True),
            "position",
            "pk",
        )


class Event(Publishable):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
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
        ordering = [F("date_lower").asc(nulls_first=True), F("date_upper").asc(nulls_last=True), "position", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
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

    def sort_key(self):
        return (
            self.date_lower is not None,
            self.date_lower or datetime.date.min,
            self.date_upper is None,
            self.date_upper or datetime.date.max,
            self.position,
            self.pk or 0,
        )

    @property
    def date_display(self):
        return dates.humanize(self.date)

    @property
    def term_display(self):
        if self.sentence_kind != SentenceKind.PRISON_TERM:
            return self.get_sentence_kind_display()
        parts = []
        if self.sentence_years:
            parts.append(_("%(n)d years") % {"n": self.sentence_years} if self.sentence_years != 1 else _("1 year"))
        if self.sentence_months:
            parts.append(_("%(n)d months") % {"n": self.sentence_months} if self.sentence_months != 1 else _("1 month"))
        return " ".join(str(p) for p in parts)

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
        if errors:
            raise ValidationError(errors)
        self.check_order_in_case()

    def check_order_in_case(self):
        """Refuse a release dated wholly before the person was taken into custody."""
        if self.kind not in CUSTODY_ENDS or not self.case_id or self.date_upper is None:
            return
        first_custody = (
            Event.objects.filter(case_id=self.case_id, kind__in=CUSTODY_STARTS, date_lower__gt=self.date_upper)
            .exclude(pk=self.pk)
            .order_by("date_lower")
            .first()
        )
        if first_custody:
            raise ValidationError(
                {
                    "date": _(
                        "This release is dated before the %(kind)s (%(date)s) in the same case. Check both dates."
                    )
                    % {"kind": first_custody.get_kind_display().lower(), "date": first_custody.date_display}
                },
                code="release_before_custody",
            )


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

    def fill_derived_fields(self):
        self.date_lower, self.date_upper = dates.bounds(self.date)

    def clean(self):
        self.clean_edtf("date")


# What a citation with no excerpt says, to editors and readers alike: the
# source is known (often from a spreadsheet) but its words are not copied yet.
WORDS_NOT_COPIED = _("words not yet copied")

CITATION_TARGETS = ("event", "case", "person", "organization", "affiliation", "relationship", "claim")


def _public_target_condition():
    """The fact a citation supports is public, by that fact's own `.public()` rules."""
    condition = Q()
    for name in CITATION_TARGETS:
        model = Citation._meta.get_field(name).related_model
        paths = [name, *(f"{name}__{parent}" for parent in model.objects.get_queryset().public_parents)]
        condition |= Q(**{f"{path}__visibility": Visibility.PUBLIC for path in paths})
    return condition


class CitationQuerySet(PublishableQuerySet):
    def public(self):
        return self.filter(visibility=Visibility.PUBLIC, source__visibility=Visibility.PUBLIC).filter(
            _public_target_condition()
        )

    def with_source(self):
        """What a page needs to show a citation: its source, in the same query."""
        return self.select_related("source")


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
    confidence = models.CharField(
        _("confidence"),
        max_length=20,
        choices=Confidence.choices,
        help_text=_("How sure we are that this is true: confirmed, likely, possible or unknown."),
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
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

    def clean(self):
        self.excerpt = (self.excerpt or "").strip()
        targets = [name for name in CITATION_TARGETS if getattr(self, f"{name}_id")]
        if len(targets) != 1:
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
    created = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")

    def __str__(self):
        return self.name


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
