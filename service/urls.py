from django.urls import path

from config import ids  # noqa: F401  (registers <id:...>)

from . import views

app_name = "service"
urlpatterns = [
    path("ratings/", views.ratings, name="ratings"),
    path("ratings/mine/", views.mine, name="mine"),
    path("ratings/rate/<id:seq>/", views.rate, name="rate"),
    path("ratings/<id:pk>/answer/", views.answer, name="answer"),
    path("overdue/", views.overdue, name="overdue"),
    path("overdue/<id:pk>/close/", views.close, name="close"),
]
