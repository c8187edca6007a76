"""HTTP caching of public pages from one site-wide public version.

Every save or delete of a record that is or was public, every bulk write
that may touch a public record and every change of visibility moves the
version (the `PublicVersion` row) forward in the same transaction. Public
responses carry it as their ETag (with the page's language) and its time as
Last-Modified, so a browser revalidates with a 304 and a proxy or CDN can
keep them; the count and choice caches below are keyed by it, so nothing
stays cached past the change that made it wrong.

Logged-in staff are never answered from a cache and their pages are marked
private.
"""

import contextvars
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

# The version read once per request by the middleware, so that a page's
# caches and its headers agree and it is read only once.
_request_version = contextvars.ContextVar("public_version", default=None)

# Paths that are never public pages.
PRIVATE_PREFIXES = ("/admin/", "/healthz")


def public_changed(using=DEFAULT_DB_ALIAS):
    """Move the public version on: something a reader can see may have changed."""
    from .models import PublicVersion

    updated = PublicVersion.objects.using(using).filter(pk=1).update(number=F("number") + 1, changed=timezone.now())
    if not updated:
        PublicVersion.objects.using(using).get_or_create(pk=1, defaults={"number": 1})


def current_version():
    """(number, time) of the public version; read once per request."""
    version = _request_version.get()
    if version is None:
        from .models import PublicVersion

        row = PublicVersion.objects.filter(pk=1).values_list("number", "changed").first()
        version = row or (0, timezone.now().replace(year=2000, month=1, day=1, hour=0, minute=0, second=0, microsecond=0))
    return version


def cached(name, compute, *parts):
    """`compute()`, kept in the default cache until the public version moves."""
    number, changed = current_version()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32] if parts else ""
    # The time too: a database restored from a backup may count from an older number.
    key = f"public:{number}.{changed.timestamp():.6f}:{name}:{digest}"

    def compute_and_keep():
        value = compute()
        return value, value

    stored, made = made_once(key, compute_and_keep)
    return made if stored is None else stored


def record_saved(sender, instance, raw=False, **kwargs):
    # Only a change a reader can see (see `Publishable.save`): an internal note
    # on a public record must not tell a watcher that work is going on.
    if getattr(instance, "shown_change", False) or getattr(instance, "visibility_changed", False):
        public_changed(kwargs.get("using") or DEFAULT_DB_ALIAS)


def record_deleted(sender, instance, **kwargs):
    if getattr(instance, "was_or_is_public", False):
        public_changed(kwargs.get("using") or DEFAULT_DB_ALIAS)


def page_key(request, version):
    # The Accept header too: the API answers browsers with HTML, programs with JSON.
    parts = (request.get_full_path(), get_language(), request.headers.get("Accept", ""), request.get_host())
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"page:{version[0]}.{version[1].timestamp():.6f}:{digest}"


class PublicCacheMiddleware:
    """ETag, Last-Modified and Cache-Control on public pages; 304 when the reader's copy is current."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or request.path.startswith(PRIVATE_PREFIXES):
            return self.get_response(request)
        if request.user.is_authenticated:
            response = self.get_response(request)
            patch_cache_control(response, private=True)
            return response
        version = current_version()
        token = _request_version.set(version)
        try:
            etag = f'"{version[0]}-{get_language() or ""}"'
            last_modified = int(version[1].timestamp())  # HTTP dates are in whole seconds
            response = get_conditional_response(request, etag=etag, last_modified=last_modified)
            if response is None:
                response = self.rendered(request, version)
                if response.status_code != 200 or response.has_header("Cache-Control") or response.cookies:
                    return response
            response["ETag"] = etag
            response["Last-Modified"] = http_date(last_modified)
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_PAGE_MAX_AGE, must_revalidate=True)
            # A staff member's cookie gets another page; Accept-Language will too.
            patch_vary_headers(response, ["Cookie"])
            return response
        finally:
            _request_version.reset(token)

    def rendered(self, request, version):
        """The view's response, or the same page rendered earlier under the same public version.

        When a page is not in the cache yet (at start, and after every change
        to anything public), many readers may ask for it at once: one worker
        renders it, the others wait for that copy (at most RENDER_WAIT_SECONDS)
        instead of rendering it too. Every worker rendering the same pages,
        and counting the same counts, is what kept readers waiting seconds in
        the load test's first moments.
        """
        if not settings.PUBLIC_PAGE_CACHE:
            return self.get_response(request)
        stored, response = made_once(page_key(request, version), lambda: self.render(request))
        if stored is None:
            return response
        status, headers, content = stored
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        return response

    def render(self, request):
        """(the view's response, what to keep of it in the cache, or None when it may not be kept)."""
        response = self.get_response(request)
        cacheable = (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not response.has_header("Cache-Control")
            and len(response.content) <= settings.PUBLIC_PAGE_CACHE_MAX_BYTES
        )
        return response, (response.status_code, list(response.items()), response.content) if cacheable else None


# How long a reader waits for what another worker is making before making it too.
RENDER_WAIT_SECONDS = 2
RENDER_POLL_SECONDS = 0.01


def made_once(key, make):
    """(the value cached under `key`, None), or (None, what `make()` made), made by one worker at a time.

    `make` returns (its result, the value to cache, or None to cache
    nothing). While one worker makes it, the others wait for its copy (at
    most RENDER_WAIT_SECONDS) and make it themselves only if none comes.
    """
    stored = cache.get(key)
    if stored is not None:
        return stored, None
    making = f"{key}:making"
    if not cache.add(making, True, RENDER_WAIT_SECONDS):
        stored = wait_for(key, making)
        if stored is not None:
            return stored, None
    try:
        result, value = make()
        if value is not None:
            cache.set(key, value, settings.PUBLIC_CACHE_SECONDS)
    finally:
        cache.delete(making)
    return None, result


def wait_for(key, making):
    """The value under `key` once the worker making it has stored it; None if it stops without storing it, or takes too long."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(RENDER_POLL_SECONDS)
        stored = cache.get(key)
        if stored is not None or not cache.has_key(making):
            return stored
    return None
