from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views_session as views

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("open/<id:tender_id>/", views.open_session, name="session_open"),
    path("<id:session_id>/", views.session_page, name="session"),
]
