from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from trading import views as trading_views

urlpatterns = [
    path("", trading_views.home, name="home"),
    path("", include("trading.urls")),
    path("accounts/", include("accounts.urls")),
    path("ledger/", include("ledger.urls")),
    path("records/", include("records.urls")),
    path("help/", include("accounts.urls_help")),
    path("evaluation/", include("evaluation.urls")),
    path("workspace/", include("evaluation.urls_workspace")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
