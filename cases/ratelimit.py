"""Rate limits per client address, counted in a cache every worker shares.

The counts live in `CACHES["ratelimit"]`: a database table by default (made
by `migrate`), Redis when `RATE_LIMIT_REDIS_URL` is set. Counting is
django-ratelimit's fixed window per address; the client's address is the one
login lockouts use (`tracker.security.client_ip_address`), so behind a proxy
with TRUST_X_FORWARDED_FOR each reader counts, not the proxy.
"""

import atexit
import base64
import pickle
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

from tracker.errors import path_without_language
from tracker.security import client_ip_address


class SharedCounterCache(DatabaseCache):
    """Django's database cache, made cheap for counting requests.

    django-ratelimit counts with `add` (the window's first request) and then
    `incr`. The stock methods each take the write lock for several statements
    (a cull count, a read, a write), twice a request, and under load the
    workers queued for it. Here `add` first reads, which takes no lock, and
    writes only for a window's first request. `incr` counts in the worker
    and adds its count to the shared row at most every FLUSH_SECONDS, in one
    short transaction that holds the row (SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the write lock an immediate transaction takes when
    it begins, see DATABASES), so no count is lost. The count it answers is
    the shared one as last read plus this worker's since: a client can pass
    its limit by at most what each worker lets through in FLUSH_SECONDS
    before the others' counts reach it. Counts not yet added when a worker
    stops are added as it exits.
    """

    FLUSH_SECONDS = 0.5
    # Keys this worker counts at once; beyond this, those of past windows are forgotten.
    MAX_PENDING = 10_000

    # Django makes a cache object per thread; the worker's counts are shared by all of them:
    # key -> [shared count as last read, counted here since, when it was read].
    _pending = {}
    _lock = threading.Lock()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self.has_key(key, version=version):
            return False
        added = super().add(key, value, timeout, version)
        if added:
            # A new row starts a new count: forget what this worker counted for an earlier one.
            with self._lock:
                self._pending.pop(self.make_and_validate_key(key, version=version), None)
        return added

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        now = time.monotonic()
        with self._lock:
            entry = self._pending.get(key)
            if entry is not None and now - entry[2] < self.FLUSH_SECONDS:
                entry[1] += delta
                return entry[0] + entry[1]
            unflushed = entry[1] if entry is not None else 0
            self._pending.pop(key, None)
            count = self._add_to_row(key, unflushed + delta)
            if len(self._pending) >= self.MAX_PENDING:
                for stale in [k for k, e in self._pending.items() if now - e[2] >= 120]:
                    del self._pending[stale]
            self._pending[key] = [count, 0, now]
            return count

    def flush_counts(self):
        """Add every count this worker holds to the shared rows."""
        with self._lock:
            pending = dict(self._pending)
            self._pending.clear()
            for key, (_shared, unflushed, _when) in pending.items():
                if unflushed:
                    try:
                        self._add_to_row(key, unflushed)
                    except (ValueError, DatabaseError):
                        pass  # the window's row is gone: nothing left to count against

    def _add_to_row(self, key, delta):
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


@atexit.register
def _add_counts_at_exit():
    from django.core.cache import caches

    cache = caches[settings.RATELIMIT_USE_CACHE]
    if isinstance(cache, SharedCounterCache):
        cache.flush_counts()


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
