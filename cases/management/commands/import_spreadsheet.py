"""Import people, cases, events and sources from a CSV or XLSX file, all or nothing."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases import importing
from cases.models import ImportMapping


class Command(BaseCommand):
    help = "Import a spreadsheet of people and their cases (CSV UTF-8 or .xlsx). Nothing is written if any row has a problem."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .csv or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report what would change, write nothing.")
        parser.add_argument("--mapping", help="Use a mapping saved in the admin (its name).")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Read the file's COLUMN as FIELD (repeatable), e.g. --map 'Full name=name'.",
        )
        parser.add_argument("--save-mapping", metavar="NAME", help="Save the --map columns under NAME for later imports.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        mapping = self.mapping(options)
        bars = {}

        def progress(stage, total):
            # One bar while checking (the length is not known yet), one while writing.
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                label = "checking" if stage == "checking" else ("dry run" if options["dry_run"] else "importing")
                bars[stage] = tqdm(
                    desc=label, unit=" rows", total=None if stage == "checking" else total,
                    file=self.stderr._out, mininterval=0.5,
                )
            bars[stage].update(1)

        started = time.perf_counter()
        try:
            report = importing.run_import(
                lambda: importing.open_rows(path), mapping, options["dry_run"], None if options["no_progress"] else progress
            )
        except importing.ImportFileError as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        finally:
            for bar in bars.values():
                bar.close()
        elapsed = time.perf_counter() - started
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(report.problems)} problem(s) in {report.rows} rows; nothing was imported. Fix them and import again."
            )
        outcomes = report.outcomes
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{report.rows} rows: {outcomes['created']} new people {verb} created, "
            f"{outcomes['changed']} {verb} changed, {outcomes['unchanged']} left alone."
        )
        created = {name: n for name, n in sorted(report.created.items()) if n}
        if created:
            self.stdout.write("Records created: " + ", ".join(f"{n} {name}" for name, n in created.items()))
        self.stdout.write("Dry run: nothing was written." if options["dry_run"] else "Imported records are internal until published.")
        self.stdout.write(f"{report.rows / elapsed:.0f} rows per second ({elapsed:.1f} s).")
        if options["save_mapping"] and not options["dry_run"]:
            ImportMapping.objects.update_or_create(name=options["save_mapping"], defaults={"columns": mapping})
            self.stdout.write(f"Mapping saved as “{options['save_mapping']}”.")

    def mapping(self, options):
        columns = {}
        if options["mapping"]:
            saved = ImportMapping.objects.filter(name=options["mapping"]).first()
            if saved is None:
                raise CommandError(f"No saved mapping called “{options['mapping']}”.")
            columns.update(saved.columns)
        for item in options["map"]:
            column, sep, target = item.partition("=")
            if not sep or target.strip() not in importing.COLUMNS:
                raise CommandError(f"--map {item!r}: write COLUMN=FIELD, FIELD one of {', '.join(importing.COLUMNS)}.")
            columns[column.strip()] = target.strip()
        return columns
