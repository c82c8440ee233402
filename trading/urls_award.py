"""Routes after the evaluation (docs/award.md), mounted at "" in config/urls.py: names are award:*."""

from django.urls import path

from config import ids  # noqa: F401  (registers <id:...>)

from . import views_award as views

app_name = "award"
urlpatterns = [
    path("tenders/<id:pk>/award/", views.page, name="page"),
    path("tenders/<id:pk>/publicity/", views.publish, name="publish"),
    path("tenders/<id:pk>/candidate-objections/", views.object_to, name="object"),
    path("candidate-objections/<id:pk>/answer/", views.answer, name="answer"),
    path("candidate-objections/<id:pk>/complaint/", views.complain, name="complain"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/<id:pk>/decide/", views.decide, name="decide"),
    path("tenders/<id:pk>/award/confirm/", views.confirm, name="confirm"),
    path("tenders/<id:pk>/award/contract/", views.contract, name="contract"),
    path("tenders/<id:pk>/award/report/", views.report, name="report"),
    path("tenders/<id:pk>/retender/", views.retender_view, name="retender"),
]
