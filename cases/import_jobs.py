"""Imports that run in the background: an uploaded file is checked, then written, by the task worker.

The web request only saves the file and enqueues a task (cases/tasks.py);
the worker updates the job's counts as it goes, which the admin's progress
page reads. The checked rows are kept beside the upload, so importing them
does not check the file again. Files are personal data: they are deleted
once imported, and abandoned ones after a day (`remove_abandoned`).
"""

import datetime
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import importing
from .models import ImportJob, ImportMapping

logger = logging.getLogger(__name__)
UPLOAD_FOLDER = "imports"
KEEP_ABANDONED = datetime.timedelta(days=1)


def folder():
    return Path(settings.MEDIA_ROOT) / UPLOAD_FOLDER


def upload_path(job):
    return folder() / job.token


def checked_path(job):
    return folder() / f"{job.token}.checked"


def rejected_path(job):
    return folder() / f"{job.token}.rejected.csv"


def _progress(job, field):
    def progress(stage, done):
        counter = "rows_checked" if stage == "checking" else field
        ImportJob.objects.filter(pk=job.pk).update(**{counter: done})

    return progress


def _start(job, state):
    job.state = state
    job.stage_started = timezone.now()
    if state == ImportJob.State.CHECKING:
        job.rows_checked = 0
    job.rows_written = 0
    job.save()


def _fail(job, message):
    job.state = ImportJob.State.FAILED
    job.report = {"error": message}
    job.save(update_fields=["state", "report", "updated"])
    for path in (upload_path(job), checked_path(job), rejected_path(job)):
        path.unlink(missing_ok=True)


def check(job):
    """Check every row (and try writing them, rolled back) so the editor sees every problem and what would change."""
    _start(job, ImportJob.State.CHECKING)
    try:
        mapping = importing.Mapping.from_dict(job.mapping)
        job.rows_total = importing.count_rows(upload_path(job))
        job.save(update_fields=["rows_total"])
        with open(checked_path(job), "w+b") as checked, open(rejected_path(job), "w", newline="", encoding="utf-8-sig") as rejected:
            report = importing.check_file(importing.open_rows(upload_path(job)), mapping, checked, rejected, _progress(job, "rows_written"))
            if importing.may_write(report, import_passing=True):
                importing.write_checked(checked, report, job.user, True, _progress(job, "rows_written"), mapping.list_name)
    except importing.ImportFileError as error:
        return _fail(job, str(error))
    except Exception:
        logger.exception("Checking import %s failed", job.pk)
        return _fail(job, _("The check stopped on an error of ours. Nothing was imported; the administrators can see what happened in the log."))
    if not report.rejected:
        rejected_path(job).unlink(missing_ok=True)
    job.report = report.to_dict()
    job.state = ImportJob.State.CHECKED
    job.save(update_fields=["report", "state", "updated"])
    # Each import also sweeps away the files of imports abandoned a day ago, so no scheduler is needed for it.
    remove_abandoned()


def write(job):
    """Write the rows kept by the check: all of them, or, when the editor chose so, the ones that passed."""
    checked = job.report
    if job.state not in (ImportJob.State.CHECKED, ImportJob.State.WRITING) or not (checked.get("problem_count") == 0 or job.import_passing):
        return
    _start(job, ImportJob.State.WRITING)
    report = importing.Report(rows=checked["rows"] - checked["rejected"])
    try:
        mapping = importing.Mapping.from_dict(job.mapping)
        with open(checked_path(job), "rb") as handle:
            importing.write_checked(handle, report, job.user, False, _progress(job, "rows_written"), mapping.list_name)
    except Exception:
        logger.exception("Writing import %s failed", job.pk)
        return _fail(job, _("The import stopped on an error of ours and was rolled back: nothing was written."))
    if not report.written:
        return _fail(job, " ".join(str(problem) for problem in report.problems))
    if job.save_as:
        fields = mapping.to_dict()
        fields.pop("list_name")
        ImportMapping.objects.update_or_create(name=job.save_as, defaults=fields)
    job.report = {**checked, "written": True, "outcomes": dict(report.outcomes), "created": dict(report.created)}
    job.state = ImportJob.State.DONE
    job.save(update_fields=["report", "state", "updated"])
    upload_path(job).unlink(missing_ok=True)
    checked_path(job).unlink(missing_ok=True)


def time_left(job, now=None):
    """Seconds until the current stage ends, from its pace so far; None until there is a pace to go by."""
    if job.state == ImportJob.State.WRITING:
        done, total = job.rows_written, job.report.get("rows", 0) - job.report.get("rejected", 0)
    else:
        done, total = job.rows_checked, job.rows_total
    if not job.stage_started or not done or not total:
        return None
    elapsed = ((now or timezone.now()) - job.stage_started).total_seconds()
    return max(round(elapsed / done * (total - done)), 0)


def remove_abandoned(older_than=KEEP_ABANDONED, now=None):
    """Delete the files of imports finished or left alone for a day, and their jobs; returns how many jobs."""
    cutoff = (now or timezone.now()) - older_than
    old = list(ImportJob.objects.filter(updated__lt=cutoff))
    for job in old:
        for path in (upload_path(job), checked_path(job), rejected_path(job)):
            path.unlink(missing_ok=True)
    ImportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    # Files whose job is gone (a crash between saving the file and the job) go too.
    if folder().exists():
        tokens = set(ImportJob.objects.values_list("token", flat=True))
        for path in folder().iterdir():
            stale = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.timezone.utc) < cutoff
            if path.name.split(".")[0] not in tokens and stale:
                path.unlink(missing_ok=True)
    return len(old)
