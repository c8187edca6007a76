"""Measure the spreadsheet import: rows per second and peak memory. Writes nothing that stays."""

import csv
import resource
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from cases import importing

# Synthetic rows in three scripts; nothing here is about real people.
FIRST = ["Alisher", "Фаррух", "Ҷамшед", "Зарина", "مهدی", "Nigora", "Рустам", "Шаҳло"]
LAST = ["Karimov", "Саидов", "Раҳимова", "کریمی", "Nazarov", "Қодиров", "Umarova", "Юсупов"]
KINDS = [("arrest", "detained"), ("deportation", "deported"), ("sentence", "sentenced"), ("release", "released")]


def write_file(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "other_names", "birth_date", "case_title", "event_type", "event_date",
                         "status", "country", "sentence_kind", "sentence_years", "source_urls", "excerpt"])
        for n in range(rows):
            kind, status = KINDS[n % len(KINDS)]
            name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n}"
            writer.writerow([
                f"B-{n:06d}", name, f"{name} variant", f"19{60 + n % 40}", "Benchmark case", kind,
                f"20{10 + n % 15}-0{1 + n % 9}", status, "TJ",
                "prison_term" if kind == "sentence" else "", "7" if kind == "sentence" else "",
                f"https://example.org/report/{n % 500}", "Words of the report." if n % 2 else "",
            ])


class Command(BaseCommand):
    help = "Time an import of a generated spreadsheet (written, then rolled back) and report rows per second and peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)

    def handle(self, *args, **options):
        rows = options["rows"]
        # Measured as the worker imports in production. With DEBUG on (as
        # `make` runs commands), Django keeps the text of every query with
        # its values quoted in: at 100,000 rows that cost a third of the
        # time and doubled the memory, which no deployment pays.
        settings.DEBUG = False
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "benchmark.csv"
            write_file(path, rows)
            size = path.stat().st_size / 1024 / 1024
            started, cpu_started = time.perf_counter(), time.process_time()
            # A dry run does every write of a real import inside a transaction, then rolls it back.
            report = importing.run_import(lambda: importing.open_rows(path), dry_run=True)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if not report.ok:
            self.stderr.write(f"The generated file had problems: {report.problems[:3]}")
        self.stdout.write(f"rows: {rows} ({size:.1f} MB CSV), DEBUG off")
        self.stdout.write(f"time: {elapsed:.1f} s ({cpu:.1f} s of CPU time)")
        self.stdout.write(f"rows per second: {rows / elapsed:.0f} ({rows / cpu:.0f} per second of CPU time)")
        self.stdout.write(f"peak memory of the process: {peak:.0f} MB")
