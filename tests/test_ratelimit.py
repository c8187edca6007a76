"""Rate limits per client address on the API, exports and name searches, shared by all workers."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection

from cases.ratelimit import SharedCounterCache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits_on(settings):
    settings.RATELIMIT_ENABLE = True


def get(client, url, address="203.0.113.5", **extra):
    return client.get(url, REMOTE_ADDR=address, **extra)


def test_the_api_answers_429_with_retry_after_past_the_limit(client, settings):
    settings.API_RATE_LIMIT = "3/minute"
    assert [get(client, "/api/cases/").status_code for _ in range(3)] == [200, 200, 200]
    response = get(client, "/api/cases/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Too many requests; try again in ")
    assert get(client, "/api/cases/", address="203.0.113.6").status_code == 200, "another address has its own count"


def test_exports_have_their_own_limit(client, settings):
    settings.EXPORT_RATE_LIMIT = "2/hour"
    assert [get(client, "/export/cases.csv").status_code for _ in range(2)] == [200, 200]
    response = get(client, "/export/cases.json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many downloads" in response.content.decode()


def test_name_searches_are_limited_but_browsing_the_list_is_not(client, settings):
    settings.SEARCH_RATE_LIMIT = "2/minute"
    assert [get(client, "/cases/", data={"q": "abdullo"}).status_code for _ in range(2)] == [200, 200]
    response = get(client, "/cases/", data={"q": "shovali"})
    assert response.status_code == 429
    assert "Too many searches from your address" in response.content.decode()
    assert response["Retry-After"].isdigit()
    assert get(client, "/cases/", data={"status": "detained"}).status_code == 200
    assert get(client, "/cases/").status_code == 200


def test_a_language_prefix_does_not_escape_the_limits(client, settings):
    settings.SEARCH_RATE_LIMIT = "1/minute"
    settings.API_RATE_LIMIT = "1/minute"
    assert get(client, "/cases/", data={"q": "abdullo"}).status_code == 200
    assert get(client, "/ru/cases/", data={"q": "abdullo"}).status_code == 429
    assert get(client, "/api/cases/").status_code == 200
    assert get(client, "/tg/api/cases/").status_code == 429


def test_behind_the_proxy_each_client_counts_and_a_forged_address_does_not_help(client, settings):
    settings.API_RATE_LIMIT = "2/minute"
    settings.TRUST_X_FORWARDED_FOR = True

    def via_proxy(forwarded):
        return get(client, "/api/cases/", address="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [via_proxy("198.51.100.7"), via_proxy("198.51.100.7")] == [200, 200]
    assert via_proxy("1.2.3.4, 198.51.100.7") == 429, "the client cannot pick its address"
    assert via_proxy("198.51.100.8") == 200, "another reader behind the same proxy"


def test_the_counts_are_kept_in_the_shared_cache_table(client, settings):
    settings.API_RATE_LIMIT = "5/minute"
    get(client, "/api/cases/")
    assert isinstance(caches["ratelimit"], SharedCounterCache)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM ratelimit_cache")
        assert cursor.fetchone()[0] == 1


ROOT = Path(__file__).resolve().parent.parent
COUNTER = """
import sys, django
django.setup()
from django.core.cache import caches
cache = caches["ratelimit"]
cache.add("hits", 0, 600)
for _ in range(int(sys.argv[1])):
    cache.incr("hits")
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="worker processes share a SQLite file here")
def test_workers_counting_at_once_lose_no_count_on_sqlite(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    workers = [subprocess.Popen([sys.executable, "-c", COUNTER, "40"], cwd=ROOT, env=env) for _ in range(4)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0, 0]
    total = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.core.cache import caches; print(caches['ratelimit'].get('hits'))"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    assert int(total.stdout) == 160


@pytest.mark.django_db(transaction=True)
def test_threads_counting_at_once_lose_no_count_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared by threads; see the test above")
    from django.db import connections

    cache = caches["ratelimit"]
    cache.add("hits", 0, 600)

    def count():
        for _ in range(40):
            cache.incr("hits")
        connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache.flush_counts()  # what the workers counted since their last write
    assert cache.get("hits") == 160


@pytest.mark.django_db
def test_a_windows_later_requests_take_no_write_lock_to_find_their_counter():
    from django.db import connection as default_connection
    from django.test.utils import CaptureQueriesContext

    cache = caches["ratelimit"]
    assert cache.add("window", 1, 600) is True
    with CaptureQueriesContext(default_connection) as captured:
        assert cache.add("window", 1, 600) is False
        assert cache.incr("window") == 2
    statements = [query["sql"].split()[0].upper() for query in captured]
    # One read for add; for incr one read and one update in one transaction (no cull count, no second write).
    assert [s for s in statements if s in {"INSERT", "UPDATE", "DELETE"}] == ["UPDATE"]
    assert not any("COUNT(" in query["sql"].upper() for query in captured)


@pytest.mark.django_db
def test_a_worker_adds_its_counts_to_the_shared_row_at_most_every_flush_interval(monkeypatch):
    from django.db import connection as default_connection
    from django.test.utils import CaptureQueriesContext

    cache = caches["ratelimit"]
    cache.add("burst", 1, 600)
    with CaptureQueriesContext(default_connection) as captured:
        assert [cache.incr("burst") for _ in range(5)] == [2, 3, 4, 5, 6]
    # One write for the first, the next four counted in the worker within the interval.
    assert [q["sql"].split()[0].upper() for q in captured].count("UPDATE") == 1
    assert cache.get("burst") == 2
    # Another worker's counts reach this one at its next write.
    cache._add_to_row(cache.make_and_validate_key("burst"), 10)
    monkeypatch.setattr(SharedCounterCache, "FLUSH_SECONDS", 0)
    assert cache.incr("burst") == 17
    assert cache.get("burst") == 17
    cache.incr("burst")
    monkeypatch.setattr(SharedCounterCache, "FLUSH_SECONDS", 60)
    cache.incr("burst")
    cache.flush_counts()
    assert cache.get("burst") == 19


@pytest.mark.django_db
def test_a_new_window_row_starts_from_its_own_count():
    cache = caches["ratelimit"]
    cache.add("window-a", 1, 600)
    for _ in range(4):
        cache.incr("window-a")
    cache.delete("window-a")  # the window ended and its row was culled
    assert cache.add("window-a", 1, 600) is True
    assert cache.incr("window-a") == 2
