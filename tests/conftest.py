"""Small builders: each test makes the data it needs and shows what matters."""

import itertools
import os
import shutil

import pytest

from cases.models import (
    Affiliation,
    Case,
    Citation,
    Confidence,
    Event,
    EventKind,
    NameVariant,
    Organization,
    OrganizationKind,
    Person,
    Relationship,
    Source,
    SourceKind,
    StatisticClaim,
    Visibility,
    publishing,
)

_counter = itertools.count(1)


class _SetUp:
    """Test set-up publishes what it builds, as a publisher would: records saved public need one."""

    is_active = True

    def has_perm(self, perm):
        return perm == "cases.publish"


SET_UP = _SetUp()


def publisher(username="publisher"):
    """A staff member in the Publisher group, for calling `set_visibility` as a publisher would."""
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    if created:
        user.groups.add(Group.objects.get(name="Publisher"))
    return user


def create(model, **kwargs):
    with publishing(SET_UP):
        return model.objects.create(**kwargs)


def make_person(**kwargs):
    kwargs.setdefault("name", f"Person {next(_counter)}")
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    return create(Person, **kwargs)


def make_variant(person, name, **kwargs):
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    return create(NameVariant, person=person, name=name, **kwargs)


def make_organization(**kwargs):
    kwargs.setdefault("name", f"Organization {next(_counter)}")
    kwargs.setdefault("kind", OrganizationKind.STATE_AGENCY)
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    return create(Organization, **kwargs)


def make_case(**kwargs):
    if "person" not in kwargs:
        kwargs["person"] = make_person()
    kwargs.setdefault("title", "Deportation and detention")
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    return create(Case, **kwargs)


def make_event(case, cited=True, **kwargs):
    """An event, public by default and then cited by a public source: uncited events are never shown."""
    kwargs.setdefault("kind", EventKind.ARREST)
    kwargs.setdefault("date", "2023-01-18")
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    event = create(Event, case=case, **kwargs)
    if cited and event.is_public:
        make_citation(event=event)
    return event


def make_source(**kwargs):
    kwargs.setdefault("title", f"Source {next(_counter)}")
    kwargs.setdefault("kind", SourceKind.STATEMENT)
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    return create(Source, **kwargs)


def make_citation(**kwargs):
    if "source" not in kwargs:
        kwargs["source"] = make_source()
    kwargs.setdefault("excerpt", "The words the source uses.")
    kwargs.setdefault("confidence", Confidence.LIKELY)
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    return create(Citation, **kwargs)


def _cited(model, field, cited=True, **kwargs):
    kwargs.setdefault("visibility", Visibility.PUBLIC)
    record = create(model, **kwargs)
    if cited and record.is_public:
        make_citation(**{field: record})
    return record


def make_affiliation(person, organization, cited=True, **kwargs):
    kwargs.setdefault("role", "member")
    return _cited(Affiliation, "affiliation", cited, person=person, organization=organization, **kwargs)


def make_relationship(person, relative, cited=True, **kwargs):
    kwargs.setdefault("kind", "parent")
    return _cited(Relationship, "relationship", cited, person=person, relative=relative, **kwargs)


def make_claim(cited=True, **kwargs):
    kwargs.setdefault("statement", "Many prisoners")
    kwargs.setdefault("subject", "prisoners")
    kwargs.setdefault("quantifier", "about")
    return _cited(StatisticClaim, "claim", cited, **kwargs)


def body(response):
    """The whole body of a response, streamed (exports) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def seeded(db):
    from django.core.management import call_command

    call_command("loaddata", "fixtures/seed.json", verbosity=0)


def admin_form_data(response):
    """The POST data an admin change or add page would send unchanged, from its rendered forms."""
    data = {}

    def add_form(form):
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(item) for item in value]
            elif hasattr(value, "isoformat"):
                data[key] = value.isoformat()
            elif hasattr(value, "name") and not isinstance(value, str):
                continue  # a stored file is kept when none is sent
            else:
                data[key] = str(value)

    def add_formset(formset):
        add_form(formset.management_form)
        for form in formset.forms:
            add_form(form)
            # Citations inside each event row of the case form (django-nested-admin).
            for nested in getattr(form, "nested_formsets", []):
                add_formset(nested)

    add_form(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets") or []:
        add_formset(inline.formset)
    return data


def staff_client(username, *groups):
    """A test client logged in as a staff member of the given role groups."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user(username, password="a long enough password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    client = Client()
    client.force_login(user)
    return client


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright, headless. In CI a missing browser fails the test."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"No Chromium at {CHROMIUM}: install Debian's chromium package.")
        pytest.skip(f"No Chromium at {CHROMIUM}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            yield browser
            browser.close()
            # Database connections opened while Playwright's loop ran belong to
            # its context, where the test database's teardown cannot see them:
            # closed here, or PostgreSQL refuses to drop the test database.
            connections.close_all()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def make_pdf(author="", script="", attachment=b""):
    """A one-page PDF, with an author in its properties and XMP, a script run on opening and an attached file if asked."""
    import io

    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    if author:
        pdf.docinfo["/Author"] = author
        pdf.docinfo["/Creator"] = f"Word processor of {author}"
        pdf.docinfo["/Producer"] = "PDF maker 1.0"
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = [author]
    if script:
        pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(script)))
        pdf.Root.Names = pikepdf.Dictionary(
            JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("run"), pdf.Root.OpenAction]))
        )
    if attachment:
        pdf.attachments["attached.txt"] = pikepdf.AttachedFileSpec(pdf, attachment, filename="attached.txt")
    output = io.BytesIO()
    pdf.save(output, compress_streams=False)
    return output.getvalue()

@pytest.fixture(autouse=True)
def english_until_a_request_says_otherwise():
    # A request to /ru/… leaves Russian active in the test's thread; records a
    # test makes afterwards would get their texts in Russian fields only.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test starts with an empty cache: its database is new, the cache would not be."""
    from django.core.cache import cache

    cache.clear()


def accessibility_problems(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    return [
        f"{violation['id']}: {violation['help']} ({[node['target'] for node in violation['nodes']]})"
        for violation in results.response["violations"]
    ]
