from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from trading import views as trading_views

urlpatterns = [
    path("", trading_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("ledger/", include("ledger.urls")),
    path("records/", include("records.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
