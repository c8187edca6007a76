"""The admin's spreadsheet import: upload, map the columns, see a dry run, confirm."""

import json
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import importing
from .models import ImportMapping

IMPORT_PERMISSIONS = ["cases.add_person", "cases.add_case", "cases.add_event", "cases.add_source", "cases.add_citation"]
# Uploaded spreadsheets wait here between the steps; they are staff-only like every upload.
UPLOAD_FOLDER = "imports"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("CSV saved as UTF-8, or Excel .xlsx. The first row holds the column names."),
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("Saved column mapping"),
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


def _upload_path(token):
    if not all(ch in "0123456789abcdef" for ch in token) or len(token) != 32:
        raise Http404
    return Path(settings.MEDIA_ROOT) / UPLOAD_FOLDER / token


def _check_permission(request):
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied


def _context(request, **extra):
    return {**admin.site.each_context(request), "title": _("Import a spreadsheet"), **extra}


def upload_view(request):
    _check_permission(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = uuid.uuid4().hex
        target = _upload_path(token)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            for chunk in form.cleaned_data["file"].chunks():
                handle.write(chunk)
        url = reverse("admin:cases_import_map", args=[token])
        if form.cleaned_data["mapping"]:
            url += f"?mapping={form.cleaned_data['mapping'].pk}"
        return redirect(url)
    return TemplateResponse(
        request,
        "admin/cases/import_upload.html",
        _context(request, form=form, columns=importing.COLUMNS, mappings=ImportMapping.objects.all()),
    )


def map_view(request, token):
    """Step two: which column is which field; then the dry run, then the import itself."""
    _check_permission(request)
    path_ = _upload_path(token)
    if not path_.exists():
        messages.error(request, _("That upload has expired. Upload the file again."))
        return redirect("admin:cases_import")
    try:
        header = next(importing.open_rows(path_), None) or []
    except importing.ImportFileError as error:
        path_.unlink(missing_ok=True)
        messages.error(request, _("%(error)s Nothing was imported.") % {"error": error})
        return redirect("admin:cases_import")
    saved = ImportMapping.objects.filter(pk=request.GET.get("mapping") or 0).first()
    saved_columns = {importing.normalize_header(k): v for k, v in (saved.columns if saved else {}).items()}

    choices = [("", _("— ignore this column —"))] + [(name, name) for name in importing.COLUMNS]
    columns = []
    for index, heading in enumerate(header):
        key = importing.normalize_header(heading)
        chosen = request.POST.get(f"column_{index}") if request.method == "POST" else saved_columns.get(key, key if key in importing.COLUMNS else "")
        columns.append({"index": index, "heading": heading, "chosen": chosen or ""})
    mapping = {column["heading"]: column["chosen"] for column in columns if column["chosen"]}
    # Columns not chosen are ignored, also when their heading happens to be a field name.
    ignored = {column["heading"]: "" for column in columns if not column["chosen"]}

    report = error = None
    if request.method == "POST":
        confirm = "confirm" in request.POST
        try:
            report = importing.run_import(
                lambda: importing.open_rows(path_), {**ignored, **mapping}, dry_run=not confirm, user=request.user
            )
        except importing.ImportFileError as failure:
            error = str(failure)
        if report and report.written:
            path_.unlink(missing_ok=True)
            name = request.POST.get("save_as", "").strip()
            if name:
                ImportMapping.objects.update_or_create(name=name, defaults={"columns": mapping})
            messages.success(
                request,
                _(
                    "Imported %(rows)d rows: %(created)d new people, %(changed)d changed, %(unchanged)d left alone. "
                    "The new records are internal until published."
                )
                % {
                    "rows": report.rows,
                    "created": report.outcomes["created"],
                    "changed": report.outcomes["changed"],
                    "unchanged": report.outcomes["unchanged"],
                },
            )
            return redirect(reverse("admin:cases_person_changelist") + "?visibility__exact=internal")
    return TemplateResponse(
        request,
        "admin/cases/import_map.html",
        _context(
            request,
            columns=columns,
            choices=choices,
            report=report,
            error=error,
            mapping_json=json.dumps(mapping, ensure_ascii=False),
            save_as=request.POST.get("save_as", saved.name if saved else ""),
            saved=saved,
        ),
    )


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
    ]
