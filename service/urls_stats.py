from django.urls import path

from . import views_stats as views

app_name = "stats"
urlpatterns = [
    path("", views.public, name="public"),
    path("data.json", views.data, name="data"),
    path("export.xlsx", views.export, name="export"),
    path("screen/", views.screen, name="screen"),
    path("internal/", views.internal, name="internal"),
    path("internal/data.json", views.internal_data, name="internal_data"),
    path("internal/export.xlsx", views.internal_export, name="internal_export"),
]
