from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.CaseListView.as_view(), name="list"),
    path("cases/<slug:slug>/", views.case_detail, name="detail"),
    path("people/<slug:slug>/", views.person_detail, name="person"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/file", views.source_file, name="source_file"),
    path("people/<slug:slug>/photo", views.person_photo, name="person_photo"),
]
