"""Many readers at once: wrk against gunicorn on this machine, on a mix of public pages, API and exports.

The command starts gunicorn on a free loopback port with the current
settings and database (unless --url names a server already running), picks
the addresses from the public data, runs wrk with --clients open connections
for --duration seconds and prints the requests, errors, timeouts and
latency percentiles. Nothing leaves the machine.
"""

import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.models import Case, Person, Source

# How often each kind of address comes up, out of the sum: mostly case pages
# and lists, as readers use the site, then the API, then exports of a search.
MIX = {
    "case page": 8,
    "person page": 2,
    "source page": 1,
    "home": 2,
    "list": 2,
    "list filtered": 2,
    "name search": 2,
    "api list": 2,
    "api case": 2,
    "api people": 1,
    "api events of a case": 1,
    "export csv": 1,
    "export json": 1,
}

# wrk runs this Lua in each of its threads: a random address from the list
# for every request, and the figures printed as "name value" lines at the end.
LUA = """
local paths = {%(paths)s}
local thread_number = 0

setup = function(thread)
  thread_number = thread_number + 1
  thread:set("seed", thread_number)
end

init = function(args)
  math.randomseed(os.time() * 1000 + seed)
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests %%d\\n", summary.requests))
  io.write(string.format("duration_us %%d\\n", summary.duration))
  io.write(string.format("connect %%d\\nread %%d\\nwrite %%d\\nstatus %%d\\ntimeout %%d\\n", e.connect, e.read, e.write, e.status, e.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("p%%s_us %%d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("max_us %%d\\n", latency.max))
end
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = "Load-test the public site: wrk with many connections against gunicorn on this machine; prints requests, errors, timeouts and p99."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=200, help="Open connections, each sending one request after another.")
        parser.add_argument("--duration", type=int, default=60, help="Seconds.")
        parser.add_argument("--timeout", type=int, default=5, help="An answer slower than this many seconds counts as a timeout.")
        parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn worker processes.")
        parser.add_argument(
            "--threads", type=int, default=1,
            help="Threads per gunicorn worker (1: gunicorn's sync workers, as the README deploys it).",
        )
        parser.add_argument("--url", help="Test this server (http://127.0.0.1:8000) instead of starting gunicorn.")
        parser.add_argument("--seed", type=int, default=1, help="The same seed picks the same addresses.")

    def handle(self, *args, **options):
        wrk = shutil.which("wrk")
        if not wrk:
            raise CommandError("wrk is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk.")
        paths = self.addresses(random.Random(options["seed"]))
        cases = Case.objects.public().count()
        server = None
        workdir = Path(tempfile.mkdtemp(prefix="loadtest-"))
        try:
            if options["url"]:
                base = options["url"].rstrip("/")
            else:
                base, server = self.start_gunicorn(options, workdir)
            script = workdir / "mix.lua"
            script.write_text(LUA % {"paths": ", ".join(f'"{path}"' for path in paths)})
            self.stdout.write(
                f"{options['clients']} clients for {options['duration']} s against {base} "
                f"({'gunicorn, %d workers × %d threads' % (options['workers'], options['threads']) if server else 'running server'}), "
                f"{cases:,} public cases, {len(paths)} addresses in the mix"
            )
            result = subprocess.run(
                [
                    wrk,
                    f"--connections={options['clients']}",
                    f"--duration={options['duration']}s",
                    f"--timeout={options['timeout']}s",
                    f"--threads={min(options['clients'], 2)}",
                    f"--script={script}",
                    base,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                raise CommandError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
            figures = dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.count(" ") == 1 and line.split(" ")[1].isdigit())
            self.report({key: int(value) for key, value in figures.items()}, options, workdir if server else None)
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()
            shutil.rmtree(workdir, ignore_errors=True)

    def addresses(self, rng):
        """Addresses for each kind in MIX, repeated by weight, from the public data."""
        slugs = list(Case.objects.public().order_by("?").values_list("slug", flat=True)[:300])
        people = list(Person.objects.public().order_by("?").values_list("slug", "name")[:300])
        sources = list(Source.objects.public().order_by("?").values_list("pk", flat=True)[:100])
        if not slugs or not people:
            raise CommandError("There are no public cases to ask for: load some first (manage.py synthesize --cases 10000).")
        words = [name.split()[-1] for _, name in people]
        choices = {
            "case page": lambda: f"/cases/{rng.choice(slugs)}/",
            "person page": lambda: f"/people/{rng.choice(people)[0]}/",
            "source page": lambda: f"/sources/{rng.choice(sources)}/" if sources else "/",
            "home": lambda: "/",
            "list": lambda: f"/cases/?page={rng.randint(1, 20)}",
            "list filtered": lambda: f"/cases/?status={rng.choice(['detained', 'sentenced', 'deported', 'released'])}&sort=-updated",
            "name search": lambda: f"/cases/?q={urllib.request.quote(rng.choice(words))}",
            "api list": lambda: f"/api/cases/?page={rng.randint(1, 20)}",
            "api case": lambda: f"/api/cases/{rng.choice(slugs)}/",
            "api people": lambda: f"/api/people/?page={rng.randint(1, 20)}",
            "api events of a case": lambda: f"/api/events/?case={rng.choice(slugs)}",
            "export csv": lambda: f"/export/cases.csv?q={urllib.request.quote(rng.choice(words))}",
            "export json": lambda: f"/export/cases.json?q={urllib.request.quote(rng.choice(words))}",
        }
        paths = []
        for kind, weight in MIX.items():
            paths.extend(choices[kind]() for _ in range(weight * 20))
        return paths

    def start_gunicorn(self, options, workdir):
        port = free_port()
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            # Every request comes from one address here: the limits stay on
            # (their counting is part of the cost) but high enough never to refuse.
            "API_RATE_LIMIT": "1000000/minute",
            "EXPORT_RATE_LIMIT": "1000000/minute",
            "SEARCH_RATE_LIMIT": "1000000/minute",
            "LOG_LEVEL": "ERROR",
            # As the README advises for several workers on one machine: one
            # cache they all read, so a page one worker rendered is served by
            # every other (each worker's own memory would render it once per
            # worker). CACHE_URL in the environment picks another.
            "CACHE_URL": os.environ.get("CACHE_URL") or f"file://{workdir / 'cache'}",
        }
        # With DEBUG off the pages name their static files through collectstatic's manifest.
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)
        log = open(workdir / "server.log", "w")
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "tracker.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={options['workers']}",
                f"--threads={options['threads']}",
                "--backlog=2048",
                "--timeout=120",
                "--graceful-timeout=5",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            if server.poll() is not None:
                raise CommandError(f"gunicorn stopped at start:\n{(workdir / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return base, server
            except OSError:
                time.sleep(0.5)
        raise CommandError("gunicorn did not answer /healthz within a minute.")

    def report(self, figures, options, workdir):
        seconds = figures["duration_us"] / 1e6
        errors = figures["connect"] + figures["read"] + figures["write"] + figures["status"]
        self.stdout.write(f"requests   {figures['requests']:,} ({figures['requests'] / seconds:,.1f} per second)")
        self.stdout.write(
            f"errors     {errors} (connect {figures['connect']}, read {figures['read']}, write {figures['write']}, "
            f"answers of 400 or more {figures['status']})"
        )
        self.stdout.write(f"timeouts   {figures['timeout']} (no answer within {options['timeout']} s)")
        self.stdout.write(
            "latency    "
            + ", ".join(f"p{p} {figures[f'p{p}_us'] / 1000:,.0f} ms" for p in ("50", "90", "99", "99.9"))
            + f", max {figures['max_us'] / 1000:,.0f} ms"
        )
        if workdir is not None:
            logged = [line for line in (workdir / "server.log").read_text().splitlines() if re.search(r"\bERROR\b", line)]
            self.stdout.write(f"server     {len(logged)} errors logged" + (f"; first: {logged[0]}" if logged else ""))
        passed = errors == 0 and figures["timeout"] == 0 and figures["p99_us"] < 1_000_000
        self.stdout.write(("goal met" if passed else "goal NOT met") + ": 0 errors, 0 timeouts, p99 under 1 s")
