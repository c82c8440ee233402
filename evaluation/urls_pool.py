"""The expert pool and the venues, under /evaluation/experts/ (namespace "evaluation")."""

from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views_pool as views

urlpatterns = [
    path("", views.expert_list, name="expert_list"),
    path("new/", views.expert_create, name="expert_create"),
    path("import/", views.expert_import, name="expert_import"),
    path("export/", views.expert_export, name="expert_export"),
    path("<id:pk>/", views.expert_detail, name="expert_detail"),
    path("<id:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("<id:pk>/suspend/", views.expert_suspend, name="expert_suspend"),
    path("<id:pk>/reinstate/", views.expert_reinstate, name="expert_reinstate"),
    path("<id:pk>/retire/", views.expert_retire, name="expert_retire"),
    path("venues/", views.venue_list, name="venue_list"),
    path("venues/<id:pk>/edit/", views.venue_edit, name="venue_edit"),
]
