from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from trading import views as trading_views

urlpatterns = [
    path("", trading_views.home, name="home"),
    path("", include("trading.urls")),
    path("", include("trading.urls_award")),  # publicity, objections, complaints, award, re-tender
    path("announcements/", include("trading.urls_announce")),
    path("notices/", include("accounts.urls_notices")),
    path("accounts/", include("accounts.urls")),
    path("ledger/", include("ledger.urls")),
    path("records/", include("records.urls")),
    path("help/", include("accounts.urls_help")),
    path("evaluation/", include("evaluation.urls")),
    path("workspace/", include("evaluation.urls_workspace")),
    path("service/rankings/", include("service.urls_ranking")),
    path("service/", include("service.urls")),
    path("statistics/", include("service.urls_stats")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/ocds/", include("trading.urls_ocds")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
