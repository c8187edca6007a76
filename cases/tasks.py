"""Background work, run by the task worker (`manage.py db_worker`): plain functions, the logic lives beside the models."""

from django_tasks import task

from . import import_jobs
from .models import ImportJob


@task()
def check_import(job_id):
    job = ImportJob.objects.filter(pk=job_id).first()
    if job:
        import_jobs.check(job)


@task()
def write_import(job_id):
    job = ImportJob.objects.filter(pk=job_id).first()
    if job:
        import_jobs.write(job)


@task()
def remove_abandoned_imports():
    return import_jobs.remove_abandoned()


@task()
def change_visibility(job_id):
    """Publish or unpublish a large selection recorded as a `VisibilityJob`."""
    from .publishing import run_visibility_job

    run_visibility_job(job_id)
