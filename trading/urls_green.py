"""Green-channel routes (issue 12), included by trading.urls: names are trading:green_*."""

from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>)

from . import views_green as views

urlpatterns = [
    path("tenders/green/", views.board, name="green_board"),
    path("tenders/green/all/", views.overview, name="green_overview"),
    path("tenders/green/summary/", views.summary, name="green_summary"),
    path("projects/<id:pk>/green/", views.request_form, name="green_request"),
    path("tenders/green/<id:pk>/", views.detail, name="green_detail"),
    path("tenders/green/<id:pk>/evidence/", views.evidence, name="green_evidence"),
    path("tenders/green/<id:pk>/decide/", views.decide, name="green_decide"),
    path("tenders/green/<id:pk>/officers/", views.assign, name="green_assign"),
    path("tenders/green/<id:pk>/notes/", views.note, name="green_note"),
]
