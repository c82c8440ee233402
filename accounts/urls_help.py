from django.urls import path

from . import views_help

app_name = "help"
urlpatterns = [
    path("", views_help.index, name="index"),
    path("contacts/", views_help.contacts, name="contacts"),
    path("<slug:topic>/", views_help.topic, name="topic"),
]
