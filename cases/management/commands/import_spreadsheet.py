"""Import people, cases, events and sources from a CSV, XLSX or JSON file, all or nothing by default."""

import json
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases import importing
from cases.models import ImportMapping


class Command(BaseCommand):
    help = (
        "Import a list of people and their cases (CSV UTF-8, .xlsx, or a JSON list of objects). "
        "Nothing is written if any row has a problem, unless --import-passing is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .csv, .xlsx or .json file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report what would change, write nothing.")
        parser.add_argument("--mapping", help="A mapping saved in the admin (its name), or a JSON file holding one.")
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help="Read the file's COLUMN as FIELD (repeatable), e.g. --map 'Full name=name'.",
        )
        parser.add_argument(
            "--ignore", action="append", default=[], metavar="COLUMN", help="Leave COLUMN out, even if it is named like a field."
        )
        parser.add_argument(
            "--set", action="append", default=[], metavar="FIELD=VALUE", help="Give every row this value, e.g. --set country=IR."
        )
        parser.add_argument(
            "--value-map", action="append", default=[], nargs=3, metavar=("COLUMN", "VALUE", "FIELD=VALUE,..."),
            help="Read VALUE in COLUMN as these fields, e.g. --value-map Status killed event_type=death,status=deceased.",
        )
        parser.add_argument(
            "--calendar", action="append", default=[], metavar="COLUMN=persian",
            help="The dates in COLUMN are in the Persian (Solar Hijri) calendar: convert them.",
        )
        parser.add_argument("--save-mapping", metavar="NAME", help="Save the mapping used under NAME for later imports.")
        parser.add_argument("--user", help="Username recorded in the history as the one who imported.")
        parser.add_argument(
            "--import-passing", action="store_true",
            help="Import the rows that pass and leave out the others (by default nothing is imported if any row fails).",
        )
        parser.add_argument("--rejected", metavar="FILE", help="Write the rows that did not pass to FILE (CSV) with a reason column.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        user = self.user(options["user"])
        try:
            mapping = self.mapping(options)
        except importing.ImportFileError as error:
            raise CommandError(str(error)) from None
        bars = {}

        def progress(stage, done):
            # One bar while checking, one while writing.
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                label = "checking" if stage == "checking" else ("dry run" if options["dry_run"] else "importing")
                bars[stage] = tqdm(desc=label, unit=" rows", total=total, file=self.stderr._out, mininterval=0.5)
            bars[stage].update(done - bars[stage].n)

        total = None if options["no_progress"] else importing.count_rows(path)
        rejected = open(options["rejected"], "w", newline="", encoding="utf-8-sig") if options["rejected"] else None
        started = time.perf_counter()
        try:
            report = importing.run_import(
                lambda: importing.open_rows(path), mapping, options["dry_run"], None if options["no_progress"] else progress,
                user=user, import_passing=options["import_passing"], rejected=rejected,
            )
        except importing.ImportFileError as error:
            raise CommandError(f"{path.name}: {error} Nothing was imported.") from None
        finally:
            for bar in bars.values():
                bar.close()
            if rejected:
                rejected.close()
        elapsed = time.perf_counter() - started
        for warning in report.warnings:
            self.stderr.write(f"Note: {warning}")
        if not report.ok:
            self.stderr.write(f"{report.problem_count} problem(s) in {report.rows} rows, by kind:")
            for line in report.summary():
                self.stderr.write(f"  {line}")
            self.stderr.write("Each problem:")
            for problem in report.problems:
                self.stderr.write(str(problem))
            if report.problem_count > len(report.problems):
                self.stderr.write(f"… and {report.problem_count - len(report.problems)} more of the kinds above.")
            if not report.written and not (options["import_passing"] and options["dry_run"] and importing.may_write(report, True)):
                raise CommandError(
                    f"{report.problem_count} problem(s) in {report.rejected} of {report.rows} rows; nothing was imported. "
                    "Fix them and import again, or use --import-passing to import the other rows."
                )
            self.stdout.write(f"{report.rejected} row(s) with problems left out" + (f", written to {options['rejected']}." if rejected else "."))
        outcomes = report.outcomes
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{report.passing} rows: {outcomes['created']} new people {verb} created, "
            f"{outcomes['changed']} {verb} changed, {outcomes['unchanged']} left alone."
        )
        created = {name: n for name, n in sorted(report.created.items()) if n}
        if created:
            self.stdout.write("Records created: " + ", ".join(f"{n} {name}" for name, n in created.items()))
        self.stdout.write("Dry run: nothing was written." if options["dry_run"] else "Imported records are internal until published.")
        self.stdout.write(f"{report.rows / elapsed:.0f} rows per second ({elapsed:.1f} s).")
        if options["save_mapping"] and not options["dry_run"]:
            fields = mapping.to_dict()
            fields.pop("list_name")
            ImportMapping.objects.update_or_create(name=options["save_mapping"], defaults=fields)
            self.stdout.write(f"Mapping saved as “{options['save_mapping']}”.")

    def user(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called “{username}”.")
        return user

    def mapping(self, options):
        mapping = importing.Mapping()
        name = options["mapping"]
        if name:
            saved = ImportMapping.objects.filter(name=name).first()
            if saved is not None:
                mapping = saved.as_mapping()
            elif Path(name).is_file():
                try:
                    data = json.loads(Path(name).read_text(encoding="utf-8"))
                except ValueError as error:
                    raise CommandError(f"--mapping {name}: not readable JSON ({error}).") from None
                mapping = importing.Mapping.from_dict({"list_name": Path(name).stem, **data})
            else:
                raise CommandError(f"No saved mapping and no file called “{name}”.")
        extra = importing.Mapping(list_name=options["save_mapping"] or "")
        for item in options["map"]:
            column, sep, target = item.partition("=")
            if not sep or target.strip() not in importing.COLUMNS:
                raise CommandError(f"--map {item!r}: write COLUMN=FIELD, FIELD one of {', '.join(importing.COLUMNS)}.")
            extra.columns[column.strip()] = target.strip()
        extra.ignored = [column.strip() for column in options["ignore"]]
        try:
            for item in options["set"]:
                extra.constants.update(importing.parse_assignments(item))
            for column, value, targets in options["value_map"]:
                extra.value_maps.setdefault(column, {})[value] = importing.parse_assignments(targets)
        except ValueError as error:
            raise CommandError(str(error)) from None
        for item in options["calendar"]:
            column, sep, calendar = item.partition("=")
            if not sep:
                raise CommandError(f"--calendar {item!r}: write COLUMN=persian.")
            extra.calendars[column.strip()] = calendar.strip()
        return mapping.merged(extra)
