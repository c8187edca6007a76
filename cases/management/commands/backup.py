"""Write the whole tracker (every table but sessions, and the uploaded files) into one zip file."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from cases import backups


def human_size(size):
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024


class Command(BaseCommand):
    help = (
        "Back up every table (sessions excepted) and the files under MEDIA_ROOT into one zip file. "
        "The file holds personal data and password hashes: store it encrypted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file to write, e.g. tracker-2025-01-31.zip.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")

    def handle(self, *args, file, database, **options):
        summary = backups.backup(file, using=database)
        self.stdout.write(
            f"Backed up {summary['rows']} rows of {len(summary['counts'])} models and "
            f"{summary['media_files']} files ({human_size(summary['media_bytes'])}) "
            f"to {file} ({human_size(summary['size'])})."
        )
        if options["verbosity"] >= 2:
            for label, count in summary["counts"].items():
                self.stdout.write(f"  {label}: {count}")
