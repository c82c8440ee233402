from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("verify/", views.verify, name="verify"),
    path("<int:pk>/download/", views.download, name="download"),
]
