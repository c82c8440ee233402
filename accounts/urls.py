from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("security/", views.security, name="security"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<int:pk>/verify/", views.verify_organization, name="verify_organization"),
]
