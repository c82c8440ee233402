"""Included by evaluation/urls.py (namespace "evaluation") as path("alerts/", include("evaluation.urls_alerts"))."""

from django.urls import path

from . import views_alerts

urlpatterns = [
    path("", views_alerts.alert_list, name="alert_list"),
    path("<int:pk>/", views_alerts.alert_detail, name="alert_detail"),
    path("<int:pk>/review/", views_alerts.alert_review, name="alert_review"),
]
