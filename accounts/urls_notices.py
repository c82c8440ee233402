from django.urls import path

from config import ids  # noqa: F401  (registers <id:...>)

from . import views_notices as views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("<id:pk>/read/", views.mark_read, name="read"),
]
