"""Background work, done by `manage.py db_worker`: the web request only queues it."""

from django_tasks import task


@task()
def change_visibility(job_id):
    """Publish or unpublish a large selection recorded as a `VisibilityJob`."""
    from .publishing import run_visibility_job

    run_visibility_job(job_id)
