from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from cases.views import healthz, staff_file

urlpatterns = [
    # Two-factor enrolment and verification, before the admin's catch-all.
    path("admin/2fa/", include("cases.twofactor")),
    # Uploaded files are for staff; public copies go through the public pages' own views.
    path("admin/files/<path:path>", staff_file, name="staff_file"),
    # The admin speaks the editor's language (cookie or browser), at one address.
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

# The public site in every language: English at the root, so addresses
# given out before there were other languages keep working, and /ru/…,
# /tg/… for the others. The data (exports, API, sitemap) answers at the
# root too; pages link it there.
urlpatterns += i18n_patterns(path("", include("cases.urls")), prefix_default_language=False)
