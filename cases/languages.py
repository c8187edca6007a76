"""Which language a reader gets, and the same page in the others.

The address says the language (/ru/…, /tg/…, English at the root). The one
guess made for a reader is on a first visit to the English home page: a
browser that asks for Russian or Tajik is sent to that home page instead.
A language picked with the switch is remembered in the language cookie (the
same value for everyone who picks it, so it tells nothing about who you
are); nothing else is stored.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, get_language_from_path, get_language_from_request, get_language_info
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header

# The query parameter the language switch adds to its links.
CHOICE_PARAMETER = "lang"

# The data has one address, the root's, whatever the language of the page
# that links it: exports and the API give the original texts and import back.
DATA_PATHS = ("api/", "export/", "sitemap.xml", "robots.txt")


def original_language():
    """Work in the language editors' original texts are kept in (English).

    Per-language texts (cases/translation.py) are read and written in the
    active language; the importer and the data exports must see the originals,
    whichever language the editor's admin or the reader's page is in.
    """
    return translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


def supported(code):
    """`code` as one of our languages ("ru-RU" gives "ru"), or None."""
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(request):
    """The first of our languages the browser asks for, in its order of preference, or None."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code != "*" and (language := supported(code)):
            return language
    return None


class FirstVisitLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(reverse("admin:index")):
            # The admin has one address for every language. With English at the
            # site's root, LocaleMiddleware takes every unprefixed address for
            # English; the admin follows the editor's cookie or browser instead.
            translation.activate(get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
            return self.get_response(request)
        language = get_language_from_path(request.path_info)
        if language and language != settings.LANGUAGE_CODE:
            rest = request.path_info[len(language) + 2 :]
            if rest.startswith(DATA_PATHS):
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(f"/{rest}" + (f"?{query}" if query else ""))
        if request.method in ("GET", "HEAD"):
            chosen = request.GET.get(CHOICE_PARAMETER)
            if chosen is not None:
                return self.remember_choice(request, supported(chosen))
            if request.path_info == "/":
                return self.home(request)
        return self.get_response(request)

    def remember_choice(self, request, language):
        """A link of the language switch: remember the choice, then show the page without the parameter."""
        query = request.GET.copy()
        query.pop(CHOICE_PARAMETER)
        path = translate_url(request.path, language) if language else request.path
        response = HttpResponseRedirect(path + (f"?{urlencode(query, doseq=True)}" if query else ""))
        add_never_cache_headers(response)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
            )
        return response

    def home(self, request):
        remembered = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""))
        language = remembered or browser_language(request) or settings.LANGUAGE_CODE
        if language != settings.LANGUAGE_CODE:
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponseRedirect(translate_url("/", language) + (f"?{query}" if query else ""))
        else:
            response = self.get_response(request)
        # The answer at "/" depends on both; a shared cache must keep one per pair.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


def language_links(request):
    """The page in each language: its address, a switch link that remembers the choice, and the language's own name."""
    full_path = request.get_full_path()
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        path = translate_url(full_path, code)
        separator = "&" if "?" in path else "?"
        links.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"],
                "address": request.build_absolute_uri(path),
                "switch": f"{path}{separator}{CHOICE_PARAMETER}={code}",
                "current": code == current,
            }
        )
    return links


def languages(request):
    """Template context: `language_links` for the switch and the hreflang alternates, built only if used."""
    return {"language_links": SimpleLazyObject(lambda: language_links(request))}
