from django.contrib import admin
from django.urls import include, path

from cases.views import healthz, staff_file

urlpatterns = [
    # Two-factor enrolment and verification, before the admin's catch-all.
    path("admin/2fa/", include("cases.twofactor")),
    # Uploaded files are for staff; public copies go through the public pages' own views.
    path("admin/files/<path:path>", staff_file, name="staff_file"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("cases.urls")),
]

# 503 with Retry-After while the database is away, 500 otherwise; JSON on /api/.
handler500 = "tracker.errors.server_error"
