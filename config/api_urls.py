from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from trading import api as trading_api
from trading import api_bids

router = DefaultRouter()
router.register("tenders", trading_api.TenderViewSet, basename="tender")
router.register("projects", trading_api.ProjectViewSet, basename="project")
router.register("objections", trading_api.ObjectionViewSet, basename="objection")
router.register("uploads", api_bids.UploadViewSet, basename="upload")
router.register("bids", api_bids.BidViewSet, basename="bid")
router.register("keys", accounts_api.PublicKeyViewSet, basename="key")
router.register("tokens", accounts_api.ApiTokenViewSet, basename="token")

urlpatterns = [
    path("pki/certificates/", api_bids.PlatformCertificatesView.as_view(), name="pki-certificates"),
    *router.urls,
]
