"""Every interface string is translated into Russian and Tajik, with the glossary's terms."""

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def python_source(path):
    """What gettext sees in a file: templates are turned into Python the way makemessages does it."""
    text = path.read_text(encoding="utf-8")
    return templatize(text, origin=str(path)) if path.suffix == ".html" else text


def marked_messages():
    """{msgid (or (singular, plural)): where} for every string marked for translation in the app."""
    found = {}
    files = [
        path
        for path in sorted((ROOT / "cases").rglob("*"))
        if path.suffix in (".py", ".html") and "migrations" not in path.parts
    ]
    for path in files:
        source = io.BytesIO(python_source(path).encode("utf-8"))
        for line, message, _comments, context in extract("python", source, keywords=KEYWORDS):
            key = (context, message if isinstance(message, str) else tuple(message))
            found.setdefault(key, f"{path.relative_to(ROOT)}:{line}")
    return found


def catalog(code):
    with open(LOCALE / code / "LC_MESSAGES" / "django.po", "rb") as handle:
        return read_po(handle, locale=code)


def translation_of(po, english):
    message = po.get(english)
    assert message is not None, f"{english!r} is not in the catalog"
    return message.string if isinstance(message.string, str) else " ".join(message.string)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_marked_string_has_a_translation(code):
    po = catalog(code)
    missing = []
    for (context, message), where in marked_messages().items():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = po.get(msgid, context=context)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} strings have no {code} translation (run makemessages, then translate them in "
        f"locale/{code}/LC_MESSAGES/django.po):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_every_placeholder(code):
    problems = [f"{message.id!r}: {errors}" for message, errors in catalog(code).check()]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalog_is_up_to_date(code):
    compiled = LOCALE / code / "LC_MESSAGES" / "django.mo"
    assert compiled.exists(), "run `make install` to compile the translations"
    with open(compiled, "rb") as handle:
        installed = gettext.GNUTranslations(handle)
    def installed_translation(message):
        if message.context:
            return installed.pgettext(message.context, message.id)
        return installed.gettext(message.id)

    stale = [
        message.id
        for message in catalog(code)
        if message.id and isinstance(message.id, str) and installed_translation(message) != message.string
    ]
    assert not stale, f"{compiled} is older than its .po file: run `make install`. First stale: {stale[:3]}"


def glossary(section):
    """(English, Russian, Tajik) rows of one table of locale/GLOSSARY.md."""
    text = (LOCALE / "GLOSSARY.md").read_text(encoding="utf-8")
    table = text.split(f"## {section}")[1].split("\n## ")[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("English", "---"):
            rows.append(tuple(cells[:3]))
    return rows


def test_the_glossary_has_the_whole_status_vocabulary():
    from django.utils import translation

    from cases.models import EventKind, Status

    english = {row[0] for row in glossary("Labels")}
    with translation.override("en"):
        assert {str(label) for label in Status.labels} <= english
        assert {str(label) for label in EventKind.labels} - english == set()


@pytest.mark.parametrize("code, column", [("ru", 1), ("tg", 2)])
def test_labels_use_the_glossarys_terms(code, column):
    po = catalog(code)
    wrong = [
        f"{row[0]!r} → {translation_of(po, row[0])!r} lacks {row[column]!r}"
        for row in glossary("Labels")
        if row[column].lower() not in translation_of(po, row[0]).lower()
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("code, column", [("ru", 1), ("tg", 2)])
def test_every_message_uses_the_glossarys_word_for_its_key_terms(code, column):
    wrong = []
    for message in catalog(code):
        english = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        translated = " ".join(message.string) if isinstance(message.string, tuple) else message.string
        for row in glossary("Wherever the English says"):
            if re.search(row[0], english, re.I) and row[column].lower() not in translated.lower():
                wrong.append(f"{english!r} → {translated!r} lacks {row[column]!r}")
    assert not wrong, "\n".join(wrong)
