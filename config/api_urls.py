from rest_framework.routers import DefaultRouter

from trading import api as trading_api

router = DefaultRouter()
router.register("tenders", trading_api.TenderViewSet, basename="tender")
router.register("projects", trading_api.ProjectViewSet, basename="project")
router.register("objections", trading_api.ObjectionViewSet, basename="objection")

urlpatterns = router.urls
