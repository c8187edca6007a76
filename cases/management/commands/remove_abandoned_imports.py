"""Delete uploaded import files (personal data) once a day has passed since their import finished or stalled."""

from django.core.management.base import BaseCommand

from cases import import_jobs


class Command(BaseCommand):
    help = "Delete uploaded spreadsheets, checked rows and rejected-row files of imports untouched for a day. Run daily (cron)."

    def handle(self, *args, **options):
        removed = import_jobs.remove_abandoned()
        self.stdout.write(f"Removed {removed} import(s) untouched for a day, with their files.")
