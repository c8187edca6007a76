"""Rate limits per client address, counted in a cache every worker shares.

The counts live in `CACHES["ratelimit"]`: a database table by default (made
by `migrate`), Redis when `RATE_LIMIT_REDIS_URL` is set. Counting is
django-ratelimit's fixed window per address; the client's address is the one
login lockouts use (`tracker.security.client_ip_address`), so behind a proxy
with TRUST_X_FORWARDED_FOR each reader counts, not the proxy.
"""

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

from tracker.errors import path_without_language
from tracker.security import client_ip_address


class SharedCounterCache(DatabaseCache):
    """Django's database cache, with an increment no two workers can interleave.

    The stock increment reads the number and writes it back, so two workers
    counting at once can both write the same number and a client gets past
    its limit. Here it happens in one transaction that holds the row: locked
    with SELECT ... FOR UPDATE on PostgreSQL, and on SQLite by the write lock
    an immediate transaction takes when it begins (see DATABASES).
    """

    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        with transaction.atomic(using=db):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)


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
