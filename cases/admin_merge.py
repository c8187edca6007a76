"""The admin's “possible duplicates” page, the merge of two people, and its undo."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import merging
from .models import Person, PersonMerge

# A merge deletes a person and can change what is public (a public case moved under an internal person): publishers only.
MERGE_PERMISSIONS = ["cases.change_person", "cases.delete_person", "cases.publish", "cases.change_case", "cases.change_citation"]


def _check_permission(request):
    if not request.user.has_perms(MERGE_PERMISSIONS):
        raise PermissionDenied


def duplicates_view(request):
    _check_permission(request)
    context = {
        **admin.site.each_context(request),
        "title": _("Possible duplicates"),
        "pairs": merging.possible_duplicates(),
        "merges": PersonMerge.objects.select_related("kept", "user")[:20],
    }
    return TemplateResponse(request, "admin/cases/person_duplicates.html", context)


@require_POST
def merge_view(request):
    _check_permission(request)
    kept = get_object_or_404(Person, pk=request.POST.get("kept"))
    other = get_object_or_404(Person, pk=request.POST.get("other"))
    if kept.pk == other.pk:
        messages.error(request, _("Choose two different people."))
        return redirect("admin:cases_person_duplicates")
    merging.merge(kept, other, request.user)
    messages.success(
        request,
        _("“%(other)s” was merged into “%(kept)s”: cases, spellings, citations and affiliations moved. You can undo it below.")
        % {"other": other.name, "kept": kept.name},
    )
    return redirect("admin:cases_person_duplicates")


@require_POST
def undo_view(request, pk):
    _check_permission(request)
    merged = get_object_or_404(PersonMerge, pk=pk, undone__isnull=True)
    person = merging.undo(merged, request.user)
    messages.success(request, _("The merge was undone: “%(name)s” is back with what was moved.") % {"name": person.name})
    return redirect("admin:cases_person_duplicates")


def urls(admin_site):
    return [
        path("duplicates/", admin_site.admin_view(duplicates_view), name="cases_person_duplicates"),
        path("duplicates/merge/", admin_site.admin_view(merge_view), name="cases_person_merge"),
        path("duplicates/undo/<int:pk>/", admin_site.admin_view(undo_view), name="cases_person_merge_undo"),
    ]
