"""Time the public pages at size, served as in production.

For each size, a database of synthetic cases is built once (`synthesize`) and
kept in BENCH_DIR; the app is then served by gunicorn with DEBUG off and
every page of the issue's table is asked for one request at a time (median
and 95th percentile) and by 8 clients at once (requests per second). The
export is timed to its first byte and to its end, with the memory of the
process that sent it. Last, bulk publishing and unpublishing of 5,000 events
of 5,000 cases is timed inside a transaction that is rolled back.

Writes nothing outside BENCH_DIR; prints the figures.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PAGES = [
    ("/cases/", "/cases/"),
    ("/cases/?status=sentenced", "/cases/?status=sentenced"),
    ("/cases/?q=sham", "/cases/?q=sham"),
    ("/cases/?sort=-updated", "/cases/?sort=-updated"),
    ("/cases/?page=3000", "/cases/?page=3000"),
    ("/", "/"),
    ("/api/cases/?status=sentenced", "/api/cases/?status=sentenced"),
    ("/cases/<slug>/ (15 events)", None),  # the address is looked up in the database
]
EXPORT = "/export/cases.csv?status=released"
# Searches no reader made before (nothing of them cached): word starts and
# whole names in the synthetic data's syllables, Latin and Cyrillic. Each
# folds to keys of its own: a Cyrillic spelling of a Latin search before it
# would find its ids in the cache.
NEW_SEARCHES = [
    "shams", "karim", "abdu", "rahm", "nazar", "umar", "saidz", "fayz", "mirz", "davla",
    "iskand", "hish", "zarif", "qodir", "petr", "шари", "бахт", "фарҳ", "султ", "ҷамш",
]
# Full names, as readers most often type them, none searched before either.
NEW_NAME_SEARCHES = [
    "karim rahimov", "umar shams", "abdullo nazarov", "zarif davlat", "петр иванов",
    "шариф бахтиёр", "farhod sultonov", "jamshed karimov", "rustam ali", "nazar umarov",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port, path, headers=None):
    """(seconds to the first byte, seconds to the end, status, body) of one GET."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = connection.getresponse()
    first = time.perf_counter() - started
    body = response.read()
    total = time.perf_counter() - started
    connection.close()
    return first, total, response.status, body


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def concurrent_rate(port, path, clients, seconds):
    """Requests per second that `clients` readers at once get through, by wrk if installed."""
    wrk = shutil.which("wrk")
    url = f"http://127.0.0.1:{port}{path}"
    if wrk:
        result = subprocess.run([wrk, f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s", url],
                                capture_output=True, text=True, check=True)
        match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        if errors:
            raise CommandError(f"{path}: {errors.group(1)} failed responses under load")
        return float(match.group(1)), "wrk"
    done, stop = [0] * clients, time.perf_counter() + seconds

    def reader(n):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while time.perf_counter() < stop:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            connection.getresponse().read()
            done[n] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=reader, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started), "python client"


def peak_memory_mb(pids):
    """The largest peak resident memory among the processes (VmHWM), in MB."""
    peaks = []
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", text)
        if match:
            peaks.append(int(match.group(1)) / 1024)
    return max(peaks, default=0.0)


class Command(BaseCommand):
    help = "Build 10,000- and 100,000-case databases once, serve them with gunicorn as in production, and print page timings."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000", help="Numbers of cases, comma-separated.")
        parser.add_argument("--requests", type=int, default=30, help="Sequential requests per page.")
        parser.add_argument("--seconds", type=int, default=5, help="Seconds of load with 8 clients per page.")
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--dir", default=os.environ.get("BENCH_DIR", str(settings.BASE_DIR / ".bench")))
        parser.add_argument(
            "--database-url",
            default=postgres_url(os.environ.get("DATABASE_URL", "")),
            help="A PostgreSQL server address (postgres://user@host:port/name): databases name_10000 etc. are made "
            "there. SQLite files in --dir otherwise.",
        )
        # Used by the benchmark itself, in a process on the benchmark's database.
        parser.add_argument("--time-publishing", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["time_publishing"]:
            return self.time_publishing()
        folder = Path(options["dir"]).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        sizes = [int(size) for size in options["sizes"].split(",") if size.strip()]
        results, collected = {}, False
        for size in sizes:
            url = self.database_for(size, folder, options["database_url"])
            if not collected:
                # Static files as in production (hashed names, compressed), once a run.
                self.manage(self.child_env(url, folder), "collectstatic", "--no-input", "-v0")
                collected = True
            results[size] = self.measure(size, url, folder, options)
        if len(sizes) >= 2:
            small, large = sizes[0], sizes[-1]
            self.stdout.write(f"\ngrowth of the median from {small:,} to {large:,} cases")
            for page in results[small]:
                a, b = results[small][page], results[large][page]
                self.stdout.write(f"  {page:45} {b / a:5.2f}x")

    # --- The databases -----------------------------------------------------

    def child_env(self, url, folder):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=url,
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(folder / "static"),
            TASKS_BACKEND="immediate",
            # The benchmark is one client asking many times: no rate limit may answer for the app.
            API_RATE_LIMIT="1000000/second",
            EXPORT_RATE_LIMIT="1000000/second",
            SEARCH_RATE_LIMIT="1000000/second",
        )
        return env

    def manage(self, env, *arguments, **kwargs):
        return subprocess.run([sys.executable, str(settings.BASE_DIR / "manage.py"), *arguments],
                              env=env, check=True, **kwargs)

    def database_for(self, size, folder, server_url):
        if server_url:
            parts = urlsplit(server_url)
            name = f"{parts.path.strip('/') or 'tracker'}_bench_{size}"
            url = urlunsplit(parts._replace(path=f"/{name}"))
            exists = self.postgres_database_exists(parts, name)
        else:
            path = folder / f"sqlite-{size}.sqlite3"
            url = f"sqlite:///{path}"
            exists = path.exists()
        env = self.child_env(url, folder)
        # New indexes and tables reach a cached database too.
        self.manage(env, "migrate", "--no-input", "-v0")
        if not exists:
            self.stdout.write(f"building {size:,} cases in {url} (once; kept for the next run)")
            self.manage(env, "synthesize", "--cases", str(size))
            if server_url:
                self.manage(env, "dbshell", input=b"VACUUM ANALYZE;\n", stdout=subprocess.DEVNULL)
        return url

    def postgres_database_exists(self, parts, name):
        import psycopg

        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return True
            connection.execute(f'CREATE DATABASE "{name}"')
        return False

    # --- Serving and measuring ------------------------------------------------

    def measure(self, size, url, folder, options):
        env = self.child_env(url, folder)
        slug = self.manage(env, "bench", "--time-publishing", stdout=subprocess.PIPE, text=True).stdout
        slug, publishing = slug.split("\n", 1)
        port = free_port()
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "tracker.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "--timeout", "600"],
            env=env, cwd=settings.BASE_DIR,
        )
        try:
            self.wait_until_up(port)
            return self.report(size, port, slug, publishing, gunicorn.pid, options)
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)

    def wait_until_up(self, port):
        for _ in range(300):
            try:
                fetch(port, "/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise CommandError("gunicorn did not start")

    def report(self, size, port, slug, publishing, master_pid, options):
        engine = "PostgreSQL" if options["database_url"] else "SQLite"
        self.stdout.write(f"\n{size:,} cases, {engine}, gunicorn 2 workers, DEBUG off")
        self.stdout.write(
            f"  {'page':36} {'median':>9} {'p95':>9} {'req/s (' + str(options['clients']) + ' clients)':>20}"
            f" {'rendered: median':>17} {'p95':>9}"
        )
        medians, tool = {}, ""
        for label, path in PAGES:
            path = path or f"/cases/{slug}/"
            for _ in range(2):
                fetch(port, path)  # warm up both workers
            times = self.times(port, [path] * options["requests"])
            # Each address once (an extra parameter no page reads): what a
            # crawler costs, every page rendered rather than taken from the cache.
            joiner = "&" if "?" in path else "?"
            rendered = self.times(port, [f"{path}{joiner}bench={n}" for n in range(options["requests"])])
            rate, tool = concurrent_rate(port, path, options["clients"], options["seconds"])
            medians[label] = statistics.median(times)
            medians[f"{label} rendered"] = statistics.median(rendered)
            self.stdout.write(
                f"  {label:36} {medians[label]:7.1f}ms {percentile(times, 0.95):7.1f}ms {rate:20.1f}"
                f" {statistics.median(rendered):15.1f}ms {percentile(rendered, 0.95):7.1f}ms"
            )
        for key, label, queries in (
            ("new searches", "/cases/?q=… (20 searches never made)", NEW_SEARCHES),
            ("new name searches", "/cases/?q=… (10 full names, new)", NEW_NAME_SEARCHES),
        ):
            searched = self.times(port, [f"/cases/?q={urllib.parse.quote(query)}" for query in queries])
            medians[key] = statistics.median(searched)
            self.stdout.write(f"  {label:36} {medians[key]:7.1f}ms {percentile(searched, 0.95):7.1f}ms")
        workers = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
        before = peak_memory_mb(workers)
        firsts, totals, rows = [], [], 0
        for _ in range(3):
            first, total, status, body = fetch(port, EXPORT)
            firsts.append(first * 1000)
            totals.append(total)
            rows = body.count(b"\n") - 1
        self.stdout.write(
            f"  {EXPORT}: {rows:,} rows, first byte {statistics.median(firsts):.0f} ms, "
            f"all in {statistics.median(totals):.2f} s ({rows / statistics.median(totals):,.0f} rows/s), "
            f"worker peak memory {before:.0f} MB before, {peak_memory_mb(workers):.0f} MB after"
        )
        self.stdout.write(f"  {publishing.strip()}")
        self.stdout.write(f"  (8 clients by {tool})")
        return medians

    def times(self, port, paths):
        """Milliseconds each of the requests took, one after the other."""
        result = []
        for path in paths:
            _, total, status, _ = fetch(port, path)
            if status != 200:
                raise CommandError(f"{path} answered {status}")
            result.append(total * 1000)
        return result

    # --- Run in the child, against the benchmark's database ------------------

    def time_publishing(self):
        from django.db import transaction
        from django.db.models import Min

        from cases.models import Case, Event, Visibility

        slug = self.case_with_most_events()
        cases = list(Case.objects.public().order_by("pk").values_list("pk", flat=True)[:5000])
        events = list(
            Event.objects.public().filter(case__in=cases).order_by().values("case").annotate(first=Min("pk")).values_list("first", flat=True)
        )
        with transaction.atomic():
            from django.contrib.auth.models import User

            # Only a publisher changes visibility; this one goes with the rollback.
            publisher = User.objects.create_superuser("bench-publisher")
            started = time.perf_counter()
            Event.objects.filter(pk__in=events).set_visibility(Visibility.INTERNAL, by=publisher)
            unpublish = time.perf_counter() - started
            started = time.perf_counter()
            Event.objects.filter(pk__in=events).set_visibility(Visibility.PUBLIC, by=publisher)
            publish = time.perf_counter() - started
            transaction.set_rollback(True)  # the benchmark database stays as it was
        self.stdout.write(slug)
        self.stdout.write(
            f"bulk unpublish of {len(events):,} events of {len(events):,} cases: {unpublish:.2f} s; "
            f"publish again: {publish:.2f} s (Event set_visibility, statuses refreshed)"
        )

    def case_with_most_events(self):
        from django.db.models import Count, Q

        from cases.models import Case, Visibility

        return (
            Case.objects.public()
            .annotate(n=Count("events", filter=Q(events__visibility=Visibility.PUBLIC)))
            .filter(n__gte=15)
            .order_by("pk")
            .values_list("slug", flat=True)
            .first()
        )


def postgres_url(url):
    return url if url.startswith(("postgres://", "postgresql://")) else ""
