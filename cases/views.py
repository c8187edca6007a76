from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from .models import Case, Organization, Person, Source


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def case_detail(request, slug):
    case = get_object_or_404(Case.objects.public().for_list(), slug=slug)
    return render(request, "cases/case_detail.html", {"case": case})


def person_detail(request, slug):
    person = get_object_or_404(Person.objects.public(), slug=slug)
    return render(request, "cases/person_detail.html", {"person": person})


def organization_detail(request, slug):
    organization = get_object_or_404(Organization.objects.public(), slug=slug)
    return render(request, "cases/organization_detail.html", {"organization": organization})


def source_detail(request, pk):
    source = get_object_or_404(Source.objects.public(), pk=pk)
    return render(request, "cases/source_detail.html", {"source": source})
