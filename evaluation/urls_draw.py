from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views_draw as views

urlpatterns = [
    path("tender/<id:tender_id>/new/", views.request_draw, name="draw_request"),
    path("<id:pk>/", views.draw_status, name="draw"),
    path("<id:pk>/secret/", views.contribute_secret, name="draw_secret"),
    path("<id:pk>/reveal/", views.reveal, name="draw_reveal"),
    path("<id:pk>/verify/", views.verify, name="draw_verify"),
    path("<id:pk>/frozen-list.json", views.frozen_list, name="draw_frozen_list"),
    path("answer/<slug:token>/", views.answer, name="draw_answer"),
]
