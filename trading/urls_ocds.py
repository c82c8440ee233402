"""Open data (OCDS 1.1.5), mounted at /api/ocds/ (docs/ocds.md)."""

from django.urls import path

from . import api_ocds

app_name = "ocds"
urlpatterns = [
    path("releases/", api_ocds.ReleasePackageView.as_view(), name="releases"),
    path("releases.jsonl", api_ocds.ReleaseDumpView.as_view(), name="releases_jsonl"),
    path("records/<str:ocid>/", api_ocds.RecordPackageView.as_view(), name="record"),
]
