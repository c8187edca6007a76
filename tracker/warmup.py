"""Work a web worker does once, before its first reader rather than during it.

A fresh worker's first requests loaded the URL configuration and the views
behind it, each language's translations and every template they render:
about 450 ms for its first pages. After a restart, and with several workers,
readers waited on that while the site was busiest. None of this touches the
database, so it can also run in a server's master process before it forks
its workers (gunicorn --preload), which then share it.
"""

import gc
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

# The form widgets the public list's filters render (Django's own templates).
WIDGET_TEMPLATES = [
    f"django/forms/widgets/{name}.html"
    for name in ("attrs", "input", "text", "search", "select", "select_option", "date", "number", "hidden")
]


def public_templates():
    """Names of the templates of the public site and its error pages, partials included."""
    folder = Path(apps.get_app_config("cases").path) / "templates"
    for path in sorted(folder.glob("*.html")) + sorted((folder / "cases").glob("*.html")):
        yield path.relative_to(folder).as_posix()


def compile_patterns(patterns):
    """Compile every URL pattern's regular expression (Django compiles them per language, on first use)."""
    for pattern in patterns:
        pattern.pattern.regex
        if hasattr(pattern, "url_patterns"):
            compile_patterns(pattern.url_patterns)


def fill_reverse_tables(resolver):
    """The tables `reverse()` reads, which Django makes per language and namespace on first use."""
    resolver.reverse_dict
    for _prefix, namespace in resolver.namespace_dict.values():
        fill_reverse_tables(namespace)


def warm_up():
    """Load what the first requests would; then keep what the worker holds out of the cycle collector's walks."""
    load_once()
    # Everything loaded so far lives as long as the worker: frozen, the
    # collector no longer walks it, and a worker's first requests no longer
    # paid for a full collection of it (80 ms).
    gc.collect()
    gc.freeze()


def load_once():
    resolver = get_resolver()
    resolver.url_patterns  # imports every view, the API's included
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Cases")  # loads the language's catalogs
            fill_reverse_tables(resolver)
            compile_patterns(resolver.url_patterns)
    for name in public_templates():
        get_template(name)
    from django.forms.renderers import get_default_renderer

    renderer = get_default_renderer()
    for name in WIDGET_TEMPLATES:
        try:
            renderer.get_template(name)
        except TemplateDoesNotExist:
            pass
