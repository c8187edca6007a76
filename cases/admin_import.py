"""The admin's import: upload, map the columns (and their values), watch the check, import.

The request never reads the whole file: checking and writing are tasks
(cases/tasks.py) run by the worker, and the job page shows their progress,
refreshing itself (a meta refresh: no script, which the CSP would refuse).
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import import_jobs, importing, tasks
from .models import ImportJob, ImportMapping

IMPORT_PERMISSIONS = ["cases.add_person", "cases.add_case", "cases.add_event", "cases.add_source", "cases.add_citation"]
CONSTANT_SLOTS = 4


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("List"),
        help_text=gettext_lazy("CSV saved as UTF-8, Excel .xlsx, or JSON (a list of objects). The first row of a spreadsheet holds the column names."),
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("Saved mapping"),
        queryset=ImportMapping.objects.all(),
        required=False,
        empty_label=gettext_lazy("None: match columns by their names"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": settings.MAX_UPLOAD_MB}, code="too_large"
            )
        return upload


def _check_permission(request):
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied


def _job(request, token):
    _check_permission(request)
    return get_object_or_404(ImportJob, token=token)


def _context(request, **extra):
    return {**admin.site.each_context(request), "title": _("Import a list"), **extra}


def upload_view(request):
    _check_permission(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        saved = form.cleaned_data["mapping"]
        job = ImportJob(token=uuid.uuid4().hex, file_name=upload.name[:255], user=request.user)
        job.mapping = saved.as_mapping().to_dict() if saved else {}
        job.save_as = saved.name if saved else ""
        target = import_jobs.upload_path(job)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            next(importing.open_rows(target), None)
        except importing.ImportFileError as error:
            target.unlink(missing_ok=True)
            messages.error(request, _("%(error)s Nothing was imported.") % {"error": error})
            return redirect("admin:cases_import")
        job.save()
        return redirect("admin:cases_import_map", job.token)
    return TemplateResponse(
        request,
        "admin/cases/import_upload.html",
        _context(request, form=form, columns=importing.COLUMNS, mappings=ImportMapping.objects.all()),
    )


def _mapping_from_post(post, columns):
    """The mapping the editor chose on the columns page, or a message saying what to correct."""
    mapping = importing.Mapping()
    for column in columns:
        index, heading = column["index"], column["heading"]
        chosen = post.get(f"column_{index}", "")
        if chosen:
            mapping.columns[heading] = chosen
        else:
            mapping.ignored.append(heading)
        values = post.get(f"values_{index}", "").strip()
        if values:
            try:
                mapping.value_maps[heading] = importing.parse_value_map(values)
            except ValueError as error:
                raise importing.ImportFileError(f"{heading}: {error}") from None
        if post.get(f"calendar_{index}") == "persian":
            mapping.calendars[heading] = "persian"
    for slot in range(CONSTANT_SLOTS):
        name, value = post.get(f"constant_field_{slot}", ""), post.get(f"constant_value_{slot}", "").strip()
        if name and value:
            mapping.constants[name] = value
    mapping.list_name = post.get("save_as", "").strip()
    mapping.validate()
    return mapping


def map_view(request, token):
    """Step two: which column fills which field, what their values mean; then the check runs in the background."""
    job = _job(request, token)
    if job.state in (ImportJob.State.WRITING, ImportJob.State.DONE):
        return redirect("admin:cases_import_job", job.token)
    source = import_jobs.upload_path(job)
    if not source.exists():
        messages.error(request, _("That upload has expired. Upload the file again."))
        return redirect("admin:cases_import")
    try:
        columns = importing.preview(source)
    except importing.ImportFileError as error:
        messages.error(request, _("%(error)s Nothing was imported.") % {"error": error})
        return redirect("admin:cases_import")
    saved = importing.Mapping.from_dict(job.mapping)
    error = None
    if request.method == "POST":
        try:
            mapping = _mapping_from_post(request.POST, columns)
        except importing.ImportFileError as failure:
            error = str(failure)
        else:
            job.mapping = mapping.to_dict()
            job.save_as = mapping.list_name
            job.state = ImportJob.State.CHECKING
            job.save()
            tasks.check_import.enqueue(job.pk)
            return redirect("admin:cases_import_job", job.token)
    for column in columns:
        heading, index = column["heading"], column["index"]
        if request.method == "POST":
            column["chosen"] = request.POST.get(f"column_{index}", "")
            column["values"] = request.POST.get(f"values_{index}", "")
            column["calendar"] = request.POST.get(f"calendar_{index}", "")
        else:
            column["chosen"] = saved.field_for(heading) or ""
            column["values"] = importing.format_value_map(saved.value_maps.get(heading, {}))
            column["calendar"] = saved.calendar_for(heading)
    constants = list(saved.constants.items()) + [("", "")] * CONSTANT_SLOTS
    return TemplateResponse(
        request,
        "admin/cases/import_map.html",
        _context(
            request,
            job=job,
            columns=columns,
            fields=list(importing.COLUMNS),
            constants=[(slot, name, value) for slot, (name, value) in enumerate(constants[:CONSTANT_SLOTS])],
            error=error,
            save_as=request.POST.get("save_as", job.save_as),
        ),
    )


def job_view(request, token):
    """The check's or the import's progress, then what it found; “Import these rows” writes the rows already checked."""
    job = _job(request, token)
    if request.method == "POST" and job.state == ImportJob.State.CHECKED:
        passing = "import_passing" in request.POST
        if job.report.get("problem_count") and not passing:
            messages.error(request, _("Some rows have problems: fix the file, or choose to import only the rows that pass."))
        else:
            job.import_passing = passing
            job.state = ImportJob.State.WRITING
            job.save(update_fields=["import_passing", "state", "updated"])
            tasks.write_import.enqueue(job.pk)
        return redirect("admin:cases_import_job", job.token)
    running = job.state in (ImportJob.State.CHECKING, ImportJob.State.WRITING)
    left = import_jobs.time_left(job) if running else None
    return TemplateResponse(
        request,
        "admin/cases/import_job.html",
        _context(
            request,
            job=job,
            running=running,
            report=job.report,
            time_left=left,
            passing=job.report.get("rows", 0) - job.report.get("rejected", 0),
            rejected_file=import_jobs.rejected_path(job).exists(),
            people_url=reverse("admin:cases_person_changelist") + "?visibility__exact=internal",
        ),
    )


def rejected_view(request, token):
    job = _job(request, token)
    rejected = import_jobs.rejected_path(job)
    if not rejected.exists():
        raise Http404
    stem = job.file_name.rsplit(".", 1)[0]
    return FileResponse(open(rejected, "rb"), as_attachment=True, filename=f"{stem}-rejected.csv", content_type="text/csv; charset=utf-8")


def template_view(request):
    _check_permission(request)
    response = HttpResponse("\ufeff" + importing.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="import-template.csv"'
    return response


def urls(admin_site):
    return [
        path("import/", admin_site.admin_view(upload_view), name="cases_import"),
        path("import/template.csv", admin_site.admin_view(template_view), name="cases_import_template"),
        path("import/<str:token>/", admin_site.admin_view(map_view), name="cases_import_map"),
        path("import/<str:token>/progress/", admin_site.admin_view(job_view), name="cases_import_job"),
        path("import/<str:token>/rejected.csv", admin_site.admin_view(rejected_view), name="cases_import_rejected"),
    ]
