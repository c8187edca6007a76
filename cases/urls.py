from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from . import api, exports, feeds, sitemaps, views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("cases/", views.CaseListView.as_view(), name="list"),
    path("cases/<slug:slug>/", views.case_detail, name="detail"),
    path("people/", views.people_list, name="people"),
    path("cases/<slug:slug>/dossier/", views.case_dossier, name="dossier"),
    path("cases/<slug:slug>/dossier.pdf", views.case_dossier_pdf, name="dossier_pdf"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/file", views.source_file, name="source_file"),
    path("people/<slug:slug>/photo", views.person_photo, name="person_photo"),
    # Exports, API, feeds and discovery: all read through `.public()`.
    path("export/cases.csv", exports.cases_csv, name="export_csv"),
    path("export/cases.json", exports.cases_json, name="export_json"),
    path("api/", include(api.urlpatterns)),
    path("feed/", feeds.CaseUpdatesFeed(), name="feed"),
    path("cases/<slug:slug>/feed/", feeds.CaseEventsFeed(), name="case_feed"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps.SITEMAPS}, name="sitemap"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
]
