from django.urls import path

from config import ids  # noqa: F401  (registers <id:...>)

from . import views_announce as views

app_name = "announcements"
urlpatterns = [
    path("", views.announcement_list, name="list"),
    path("<id:pk>/", views.announcement_detail, name="detail"),
    path("<id:pk>/pdf/", views.announcement_pdf, name="pdf"),
]
