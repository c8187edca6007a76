"""Restore a backup made by `manage.py backup` into a new, migrated, empty database."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from cases import backups


class Command(BaseCommand):
    help = (
        "Restore a backup zip made by `manage.py backup` into an empty database (run `manage.py migrate` first). "
        "All or nothing: on any error nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file made by `manage.py backup`.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to restore into.")

    def handle(self, *args, file, database, **options):
        summary = backups.restore(file, using=database)
        manifest = summary["manifest"]
        self.stdout.write(
            f"Restored {summary['rows']} rows and {summary['files']} files from {file} "
            f"(made {manifest.get('created', '?')} on {manifest.get('database_vendor', '?')})."
        )
        if options["verbosity"] >= 2:
            for label, count in sorted(summary["counts"].items()):
                self.stdout.write(f"  {label}: {count}")
