from django.urls import path

from config import ids  # noqa: F401  (registers <id:...>)

from . import views_ranking

app_name = "ranking"
urlpatterns = [
    path("", views_ranking.index, name="index"),
    path("<int:year>/<int:q>/", views_ranking.detail, name="detail"),
    path("<int:year>/<int:q>/pdf/", views_ranking.pdf, name="pdf"),
]
