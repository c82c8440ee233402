from django.contrib.auth import views as auth_views
from django.urls import path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("password-reset/", views.password_reset_request, name="password_reset_request"),
    path("password-reset/code/", views.password_reset, name="password_reset"),
    path("security/", views.security, name="security"),
    path("organizations/", views.organizations, name="organizations"),
    path("organizations/<id:pk>/verify/", views.verify_organization, name="verify_organization"),
]
