from django.contrib import admin
from django.urls import include, path

from cases.views import healthz

urlpatterns = [
    # Two-factor enrolment and verification, before the admin's catch-all.
    path("admin/2fa/", include("cases.twofactor")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("cases.urls")),
]
