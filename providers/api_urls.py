from rest_framework.routers import SimpleRouter

from .api import GatewayViewSet, ProviderViewSet

router = SimpleRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("gateways", GatewayViewSet, basename="gateway")

urlpatterns = router.urls
