from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.console, name="console"),
    path("export.csv", views.export, name="export"),
]
