"""Included by evaluation/urls.py (namespace "evaluation") as path("alerts/", include("evaluation.urls_alerts"))."""

from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views_alerts

urlpatterns = [
    path("", views_alerts.alert_list, name="alert_list"),
    path("<id:pk>/", views_alerts.alert_detail, name="alert_detail"),
    path("<id:pk>/review/", views_alerts.alert_review, name="alert_review"),
]
