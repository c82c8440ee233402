from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views

app_name = "records"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("verify/", views.verify, name="verify"),
    path("<id:pk>/download/", views.download, name="download"),
]
