"""Rate limits per client address, counted in a cache every worker shares.

The counts live in `CACHES["ratelimit"]`: a database table by default (made
by `migrate`), Redis when `RATE_LIMIT_REDIS_URL` is set. Counting is
django-ratelimit's fixed window per address; the client's address is the one
login lockouts use (`tracker.security.client_ip_address`), so behind a proxy
with TRUST_X_FORWARDED_FOR each reader counts, not the proxy.
"""

import base64
import pickle

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

from tracker.errors import path_without_language
from tracker.security import client_ip_address


class SharedCounterCache(DatabaseCache):
    """Django's database cache, made cheap and exact for counting requests.

    django-ratelimit counts with `add` (the window's first request) and then
    `incr`. The stock methods each take the write lock for several statements
    (a cull count, a read, a write), twice a request, and under load the
    workers queued for it. Here `add` first reads, which takes no lock, and
    writes only for a window's first request; `incr` reads and writes the one
    row in a single short transaction that holds it (SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the write lock an immediate transaction takes when
    it begins, see DATABASES), so two workers counting at once lose no count.
    """

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self.has_key(key, version=version):
            return False
        return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE cache_key = %s{lock}", [key])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found.")
            count = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            stored = base64.b64encode(pickle.dumps(count, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [stored, key])
        return count


def _client(group, request):
    return client_ip_address(request) or "unknown"


def limited_area(request):
    """(name, rate) of the limit a request counts against, or None."""
    path = path_without_language(request.path)
    if path.startswith("/api/"):
        return "api", settings.API_RATE_LIMIT
    if path.startswith("/export/"):
        return "export", settings.EXPORT_RATE_LIMIT
    if path == "/cases/" and request.GET.get("q", "").strip():
        return "search", settings.SEARCH_RATE_LIMIT
    return None


def too_many_requests(request, area, retry_after):
    if area == "api":
        response = JsonResponse({"detail": f"Too many requests; try again in {retry_after} seconds."}, status=429)
    elif area == "export":
        response = HttpResponse(
            f"Too many downloads from your address; try again in {retry_after} seconds.\n",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
    else:
        response = HttpResponse(render_to_string("429.html", {"retry_after": retry_after}), status=429)
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        area = limited_area(request)
        if area is not None:
            name, rate = area
            usage = get_usage(request, group=f"tracker.{name}", key=_client, rate=rate, increment=True)
            if usage is not None and usage["should_limit"]:
                return too_many_requests(request, name, max(usage["time_left"], 1))
        return self.get_response(request)
