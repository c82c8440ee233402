from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views_clarify as views

urlpatterns = [
    path("", views.clarification_list, name="clarifications"),
    path("<id:pk>/answer/", views.answer, name="clarification_answer"),
    path("<id:pk>/file/", views.answer_file, name="clarification_file"),
]
